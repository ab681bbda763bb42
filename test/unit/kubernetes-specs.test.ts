/**
 * The Kubernetes objects of a Weir cluster (src/providers/kubernetes/specs.ts, session.ts): names,
 * labels, owner references, how configuration reaches the processes (secrets through a Secret and
 * $(VAR) references, never in the arguments), and what a TaskManager pod inherits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfiguration } from '../../src/config/index.js';
import { clusterSpec } from '../../src/providers/kubernetes/session.js';
import {
  inheritedProperties,
  jobManagerDeployment,
  ownerReference,
  restService,
  secret,
  taskManagerPod,
} from '../../src/providers/kubernetes/specs.js';

const config = loadConfiguration({
  confDir: '/nonexistent',
  env: {},
  dynamic: [
    'kubernetes.cluster-id=c1',
    'kubernetes.config.file=/home/me/.kube/config',
    'kubernetes.taskmanager.cpu=0.5',
    'rest.port=8081',
    'taskmanager.numberOfTaskSlots=2',
    'security.cluster.secret=s3cret',
    'execution.target=kubernetes-session',
  ],
});
const spec = clusterSpec(config, 'c1', 'ns');
const deployment = jobManagerDeployment(spec, []);
const owner = ownerReference({ ...deployment, metadata: { ...deployment.metadata, uid: 'uid-1' } });

test('the JobManager Deployment runs weir jobmanager --provider kubernetes with the cluster properties', () => {
  const c = deployment.spec!.template.spec!.containers[0]!;
  assert.equal(deployment.metadata!.name, 'c1');
  assert.deepEqual(deployment.spec!.selector.matchLabels, { app: 'c1', type: 'weir-native-kubernetes', component: 'jobmanager' });
  assert.deepEqual(c.args!.slice(0, 3), ['jobmanager', '--provider', 'kubernetes']);
  const props = inheritedProperties(c);
  assert.ok(props.includes('taskmanager.numberOfTaskSlots=2'));
  assert.ok(props.includes('kubernetes.cluster-id=c1'));
  assert.ok(!props.some((p) => p.startsWith('kubernetes.config.file') || p.startsWith('execution.target')), props.join(' '));
  assert.ok(c.args!.includes('jobmanager.rpc.address=$(POD_IP)'));
  assert.ok(!c.args!.join(' ').includes('s3cret'), 'secret values are not in the arguments');
  assert.ok(props.includes('security.cluster.secret=$(WEIR_SECRET_0)'));
  assert.deepEqual(c.env!.find((e) => e.name === 'WEIR_SECRET_0')!.valueFrom!.secretKeyRef, {
    name: 'c1-secrets',
    key: 'security.cluster.secret',
  });
  assert.deepEqual(secret(spec, owner).stringData, { 'security.cluster.secret': 's3cret' });
});

test('the REST Service and the TaskManager pods are owned by the Deployment', () => {
  const svc = restService(spec, owner);
  assert.equal(svc.metadata!.name, 'c1-rest');
  assert.equal(svc.spec!.type, 'ClusterIP');
  assert.deepEqual(svc.metadata!.ownerReferences, [owner]);
  const pod = taskManagerPod({
    name: 'c1-taskmanager-1-3',
    clusterId: 'c1',
    namespace: 'ns',
    template: deployment.spec!.template.spec!.containers[0]!,
    serviceAccount: 'weir',
    jobManagerAddress: '10.0.0.5:6123',
    slots: 2,
    cpu: config.get('kubernetes.taskmanager.cpu'),
    memoryBytes: config.get('kubernetes.taskmanager.memory'),
    owner,
  });
  const c = pod.spec!.containers[0]!;
  assert.equal(pod.spec!.restartPolicy, 'Never');
  assert.deepEqual(pod.metadata!.ownerReferences, [owner]);
  assert.equal(pod.metadata!.labels!.component, 'taskmanager');
  assert.deepEqual(c.args!.slice(0, 3), ['taskmanager', '--jobmanager', '10.0.0.5:6123']);
  assert.ok(c.args!.includes('taskmanager.resource-id=c1-taskmanager-1-3'));
  assert.ok(c.args!.includes('security.cluster.secret=$(WEIR_SECRET_0)'));
  assert.ok(!c.args!.some((a) => a.startsWith('rest.port=') || a.startsWith('jobmanager.rpc.')), 'not the JobManager own ports');
  assert.equal(c.resources!.limits!.cpu, '0.5');
});
