/**
 * Pod templates (src/providers/kubernetes/pod-template.ts): Flink's merge rules with Weir's main
 * container `weir-main-container`, the choice of template per component, and the errors for files
 * that are missing, not YAML or not a Pod.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { loadConfiguration } from '../../src/config/index.js';
import { WeirError } from '../../src/errors.js';
import { loadPodTemplate, mergePodTemplate, podTemplateFor } from '../../src/providers/kubernetes/pod-template.js';
import { clusterSpec, templatedDeployment } from '../../src/providers/kubernetes/session.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-pod-template-'));

const generated = {
  metadata: { name: 'c1-taskmanager-1-1', labels: { app: 'c1', component: 'taskmanager' }, annotations: { weir: 'own' } },
  spec: {
    restartPolicy: 'Never',
    serviceAccountName: 'weir',
    nodeSelector: { 'weir/own': 'yes' },
    containers: [
      {
        name: 'weir-main-container',
        image: 'weir:0.1.0',
        command: ['weir'],
        args: ['taskmanager'],
        env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        ports: [{ name: 'rest', containerPort: 8081 }],
        resources: { requests: { cpu: '1', memory: '1073741824' }, limits: { cpu: '1', memory: '1073741824' } },
      },
    ],
  },
};

const template: V1Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { labels: { team: 'a', app: 'other' }, annotations: { note: 'x', weir: 'template' } },
  spec: {
    restartPolicy: 'Always',
    serviceAccountName: 'template-sa',
    nodeSelector: { pool: 'fast', 'weir/own': 'no' },
    tolerations: [{ key: 'dedicated', operator: 'Exists' }],
    volumes: [{ name: 'data', emptyDir: {} }],
    initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['db'] }],
    containers: [
      {
        name: 'weir-main-container',
        image: 'template-image',
        command: ['sh'],
        env: [
          { name: 'POD_IP', value: 'template-ip' },
          { name: 'EXTRA', value: '$(POD_IP)' },
        ],
        ports: [{ name: 'metrics', containerPort: 9249 }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        resources: { requests: { cpu: '4', 'ephemeral-storage': '1Gi' } },
        workingDir: '/work',
      },
      { name: 'sidecar', image: 'fluent-bit' },
    ],
  },
};

test("the template's metadata and pod fields are kept, Weir's own win on a clash", () => {
  const { metadata, spec } = mergePodTemplate(template, generated);
  assert.equal(metadata.name, 'c1-taskmanager-1-1');
  assert.deepEqual(metadata.labels, { team: 'a', app: 'c1', component: 'taskmanager' });
  assert.deepEqual(metadata.annotations, { note: 'x', weir: 'own' });
  assert.equal(spec.restartPolicy, 'Never');
  assert.equal(spec.serviceAccountName, 'weir');
  assert.deepEqual(spec.nodeSelector, { pool: 'fast', 'weir/own': 'yes' });
  assert.deepEqual(spec.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
  assert.deepEqual(spec.volumes, [{ name: 'data', emptyDir: {} }]);
  assert.deepEqual(spec.initContainers, template.spec!.initContainers);
  assert.deepEqual(spec.hostAliases, template.spec!.hostAliases);
});

test('weir-main-container is merged with the main container; other containers are kept', () => {
  const { spec } = mergePodTemplate(template, generated);
  assert.deepEqual(
    spec.containers.map((c) => c.name),
    ['weir-main-container', 'sidecar'],
  );
  const main = spec.containers[0]!;
  assert.equal(main.image, 'weir:0.1.0');
  assert.deepEqual(main.command, ['weir']);
  assert.deepEqual(main.args, ['taskmanager']);
  assert.equal(main.workingDir, '/work');
  assert.deepEqual(
    main.env!.map((e) => [e.name, e.value]),
    [
      ['POD_IP', undefined],
      ['EXTRA', '$(POD_IP)'],
    ],
    "Weir's variables first and winning, so that the template's may refer to them",
  );
  assert.deepEqual(
    main.ports!.map((p) => p.name),
    ['rest', 'metrics'],
  );
  assert.deepEqual(main.volumeMounts, [{ name: 'data', mountPath: '/data' }]);
  assert.deepEqual(main.resources!.requests, { cpu: '1', 'ephemeral-storage': '1Gi', memory: '1073741824' });
});

test('without a template, or with one without weir-main-container, the generated pod is used', () => {
  assert.deepEqual(mergePodTemplate(undefined, generated), generated);
  const noMain = mergePodTemplate({ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'side', image: 'x' }] } }, generated);
  assert.deepEqual(noMain.spec.containers[0], generated.spec.containers[0]);
  assert.equal(noMain.spec.containers[1]!.name, 'side');
});

test('a bad template file is an error naming the file and the key', () => {
  const notYaml = join(dir, 'bad.yaml');
  writeFileSync(notYaml, 'a: [1,\n b: }');
  const list = join(dir, 'list.yaml');
  writeFileSync(list, '- 1\n- 2\n');
  const two = join(dir, 'two.yaml');
  writeFileSync(two, 'apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\n');
  const service = join(dir, 'service.yaml');
  writeFileSync(service, 'apiVersion: v1\nkind: Service\n');
  const key = 'kubernetes.pod-template-file.default';
  const cases: [string, RegExp][] = [
    [join(dir, 'missing.yaml'), /missing\.yaml \(kubernetes\.pod-template-file\.default\) cannot be read: ENOENT/],
    [notYaml, /bad\.yaml .* is not valid YAML/],
    [list, /list\.yaml .* is not a Pod \(not a YAML mapping\)/],
    [two, /two\.yaml .* must hold exactly one YAML document/],
    [service, /service\.yaml .* is not a Pod: it has apiVersion v1 and kind Service/],
  ];
  for (const [file, expected] of cases)
    assert.throws(
      () => loadPodTemplate(file, key),
      (e: unknown) => e instanceof WeirError && e.code === 'WEIR_KUBERNETES' && expected.test(e.message),
    );
});

test("each component's key wins over kubernetes.pod-template-file.default; the TaskManagers' travels in the Deployment's annotation", () => {
  const a = join(dir, 'a.yaml');
  writeFileSync(a, 'apiVersion: v1\nkind: Pod\nmetadata: { labels: { which: default } }\n');
  const b = join(dir, 'b.yaml');
  writeFileSync(b, 'apiVersion: v1\nkind: Pod\nmetadata: { labels: { which: taskmanager } }\n');
  const config = loadConfiguration({
    confDir: '/nonexistent',
    env: {},
    dynamic: [`kubernetes.pod-template-file.default=${a}`, `kubernetes.pod-template-file.taskmanager=${b}`, 'kubernetes.cluster-id=c1'],
  });
  assert.equal(podTemplateFor(config, 'jobmanager')!.metadata!.labels!.which, 'default');
  assert.equal(podTemplateFor(config, 'taskmanager')!.metadata!.labels!.which, 'taskmanager');
  const spec = clusterSpec(config, 'c1', 'ns');
  assert.ok(!spec.properties.some((p) => p.startsWith('kubernetes.pod-template-file')), 'client-side files are not passed on');
  const d = templatedDeployment(config, spec, []);
  assert.equal(d.spec!.template.metadata!.labels!.which, 'default');
  assert.equal(d.spec!.template.metadata!.labels!.component, 'jobmanager');
  const tm = JSON.parse(d.metadata!.annotations!['weir/taskmanager-pod-template']!) as V1Pod;
  assert.equal(tm.metadata!.labels!.which, 'taskmanager');
});
