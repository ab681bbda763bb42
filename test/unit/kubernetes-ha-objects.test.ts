/**
 * The naming and encoding of the Kubernetes HA objects (src/ha/kubernetes-objects.ts): readable
 * object names for the HA layout, a hash where a path is not a valid name, ConfigMap keys checked,
 * text values kept readable and other bytes in binaryData, per-key versions read back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  dataKey,
  haSelector,
  keysOf,
  objectName,
  readValue,
  versionsOf,
  VERSIONS_ANNOTATION,
  writeValue,
} from '../../src/ha/kubernetes-objects.js';

test('object names: <cluster-id>-ha-<directory>, hashed when the path is not a valid name; paths outside the root refused', () => {
  assert.equal(objectName('c1', '/weir/c1', '/weir/c1/execution-plans'), 'c1-ha-execution-plans');
  assert.equal(objectName('c1', '/weir/c1', '/weir/c1/checkpoints/0a1b'), 'c1-ha-checkpoints-0a1b');
  assert.equal(objectName('c1', '/weir/c1', '/weir/c1/leader'), 'c1-ha-leader');
  const odd = objectName('c1', '/weir/c1', '/weir/c1/Jobs/A_b');
  assert.match(odd, /^c1-ha-jobs-a-b-[0-9a-f]{10}$/);
  assert.notEqual(odd, objectName('c1', '/weir/c1', '/weir/c1/Jobs/A-b'), 'different paths, different names');
  assert.ok(objectName('c1', '/weir/c1', `/weir/c1/${'x'.repeat(300)}`).length <= 253);
  assert.throws(() => objectName('c1', '/weir/c1', '/weir/c2/x'), /outside the cluster's root/);
  assert.equal(haSelector('c1'), 'app=c1,type=weir-native-kubernetes,configmap-type=high-availability');
});

test('values: UTF-8 text in data, other bytes in binaryData; keys checked; versions from the annotation', () => {
  const cm: V1ConfigMap = { metadata: { name: 'x' } };
  writeValue(cm, 'a', Buffer.from('{"k":1}'));
  writeValue(cm, 'b', Buffer.from([0xff, 0xfe]));
  assert.equal(cm.data?.a, '{"k":1}');
  assert.equal(cm.binaryData?.b, Buffer.from([0xff, 0xfe]).toString('base64'));
  assert.deepEqual(readValue(cm, 'b'), Buffer.from([0xff, 0xfe]));
  assert.deepEqual(keysOf(cm).sort(), ['a', 'b']);
  writeValue(cm, 'a', undefined);
  assert.equal(readValue(cm, 'a'), undefined);
  assert.throws(() => dataKey('a/b'), /cannot be a ConfigMap key/);
  assert.equal(dataKey('0000000000000000007'), '0000000000000000007');
  assert.deepEqual(versionsOf(undefined), { counter: 0, keys: {} });
  cm.metadata!.annotations = { [VERSIONS_ANNOTATION]: JSON.stringify({ counter: 3, keys: { b: 2 } }) };
  assert.deepEqual(versionsOf(cm), { counter: 3, keys: { b: 2 } });
});
