/**
 * The operator's Helm chart (deploy/helm/weir-operator) with a real helm (test/services/helm.sh)
 * and a real Kubernetes API server: `helm lint --strict` passes, `helm template` renders the
 * expected objects with the default values and with overrides, values.schema.json refuses bad
 * values with a message naming them, and the rendered manifests (CRD included) apply to the API
 * server, whose authorizer then grants the operator's and the job clusters' accounts their rules;
 * `helm install`/`uninstall` of a release against it keeps the CRD.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { Configuration } from '../../src/config/configuration.js';
import { ensureHelm, helm } from '../helpers/services/helm.js';
import { startKubernetes, type KubernetesControlPlane } from '../helpers/services/kubernetes.js';
import { waitFor } from '../helpers/wait.js';

const CHART = 'deploy/helm/weir-operator';
const RELEASE = 'weir-operator';
const NAMESPACE = 'weir-system';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  args: string[];
  env: { name: string; value?: string }[];
}

const work = mkdtempSync(join(tmpdir(), 'weir-helm-'));
// Helm's own directories in the test's, so no user's repositories or plugins apply.
const helmEnv = { HELM_CONFIG_HOME: join(work, 'config'), HELM_CACHE_HOME: join(work, 'cache'), HELM_DATA_HOME: join(work, 'data') };
let k8s: KubernetesControlPlane | undefined;

before(async () => {
  await ensureHelm();
});

after(async () => {
  await k8s?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function template(...args: string[]): Promise<K8sObject[]> {
  const r = await helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args], helmEnv);
  assert.equal(r.code, 0, `helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const ids = (objects: K8sObject[]): string[] =>
  objects.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`).sort();
const find = (objects: K8sObject[], kind: string, name: string, namespace?: string): K8sObject => {
  const o = objects.find(
    (x) => x.kind === kind && x.metadata.name === name && (namespace === undefined || x.metadata.namespace === namespace),
  );
  assert.ok(o, `${kind} ${name} is rendered`);
  return o;
};
const container = (deployment: K8sObject): Container =>
  (deployment as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0]!;
/** The configuration the `-D key=value` arguments make, as `weir` reads them (unknown keys refused). */
const configOf = (args: string[]): Configuration =>
  Configuration.fromEntries(
    args.flatMap((a, i) => (args[i - 1] === '-D' ? [a.split(/=(.*)/s).slice(0, 2) as [string, string]] : [])),
    '-D',
  );
/** Whether `rules` grant `verb` on `resource` of `group`. */
const grants = (rules: Rule[], group: string, resource: string, verb: string): boolean =>
  rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

test('helm lint --strict passes, with the default values and with overrides', async () => {
  const plain = await helm(['lint', '--strict', CHART], helmEnv);
  assert.equal(plain.code, 0, `helm lint failed: ${plain.stdout}${plain.stderr}`);
  assert.match(plain.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  const overridden = await helm(
    ['lint', '--strict', CHART, '--set', 'rbac.create=false', '--set', 'watchNamespaces={team-a,team-b}', '--set', 'image.tag=1.2.3'],
    helmEnv,
  );
  assert.equal(overridden.code, 0, `helm lint with overrides failed: ${overridden.stdout}${overridden.stderr}`);
});

test('helm template with the default values: the operator watching all namespaces, its RBAC and the job clusters account', async () => {
  const objects = await template();
  assert.deepEqual(ids(objects), [
    'ClusterRole/weir-operator',
    'ClusterRoleBinding/weir-operator',
    `Deployment/${NAMESPACE}/weir-operator`,
    `Role/${NAMESPACE}/weir-operator-job`,
    `RoleBinding/${NAMESPACE}/weir-operator-job`,
    `ServiceAccount/${NAMESPACE}/weir`,
    `ServiceAccount/${NAMESPACE}/weir-operator`,
  ]);
  const deployment = find(objects, 'Deployment', 'weir-operator');
  const spec = (deployment as unknown as { spec: { replicas: number; template: { spec: { serviceAccountName: string } } } }).spec;
  assert.equal(spec.replicas, 1);
  assert.equal(spec.template.spec.serviceAccountName, 'weir-operator');
  const c = container(deployment);
  // The image's entrypoint is weir (deploy/docker/Dockerfile); its tag is Weir's version.
  assert.equal(c.image, 'weir:0.1.0');
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  // weirConfiguration as -D arguments, valid Weir configuration; the job clusters run as the job account.
  assert.deepEqual(c.args, [
    'operator',
    '-D',
    'kubernetes.service-account=weir',
    '-D',
    'parallelism.default=1',
    '-D',
    'taskmanager.numberOfTaskSlots=1',
  ]);
  const config = configOf(c.args);
  assert.equal(config.get('kubernetes.service-account'), 'weir');
  assert.equal(config.get('parallelism.default'), 1);

  const rules = (find(objects, 'ClusterRole', 'weir-operator') as unknown as { rules: Rule[] }).rules;
  for (const resource of ['weirdeployments', 'weirdeployments/status', 'weirdeployments/finalizers'])
    assert.ok(grants(rules, 'weir.dev', resource, 'update'), `the operator may update ${resource}`);
  assert.ok(grants(rules, 'weir.dev', 'weirdeployments', 'watch'));
  assert.ok(grants(rules, 'apps', 'deployments', 'create'));
  for (const resource of ['pods', 'services', 'configmaps', 'secrets']) assert.ok(grants(rules, '', resource, 'delete'), resource);
  assert.ok(grants(rules, '', 'events', 'create'));
  assert.ok(grants(rules, 'coordination.k8s.io', 'leases', 'update'));
  const binding = find(objects, 'ClusterRoleBinding', 'weir-operator') as unknown as { subjects: { name: string; namespace: string }[] };
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'weir-operator', namespace: NAMESPACE }]);

  const jobRules = (find(objects, 'Role', 'weir-operator-job') as unknown as { rules: Rule[] }).rules;
  assert.ok(grants(jobRules, '', 'pods', 'create') && grants(jobRules, '', 'pods', 'delete') && grants(jobRules, '', 'pods', 'watch'));
  assert.ok(grants(jobRules, '', 'configmaps', 'update'));
  assert.ok(grants(jobRules, 'coordination.k8s.io', 'leases', 'update'));
  assert.ok(grants(jobRules, 'apps', 'deployments', 'get'));
  assert.ok(!grants(jobRules, 'apps', 'deployments', 'create'), 'the job clusters do not create Deployments');
  assert.ok(!grants(jobRules, '', 'secrets', 'get'), 'the job clusters do not read Secrets through the API');

  const crds = (await template('--include-crds')).filter((o) => o.kind === 'CustomResourceDefinition');
  assert.deepEqual(ids(crds), ['CustomResourceDefinition/weirdeployments.weir.dev']);
});

test('helm template with overrides: rbac off, watched namespaces, a custom image and job account', async () => {
  // Merged over the default weirConfiguration; a large whole number stays an integer, a list is joined with ';'.
  const valuesFile = join(work, 'values.yaml');
  writeFileSync(
    valuesFile,
    [
      'weirConfiguration:',
      '  kubernetes.taskmanager.memory: 2147483648',
      '  metrics.reporters: [prom]',
      '  rest.port: 18081',
      '  pipeline.auto-watermark-interval: 200 ms',
      '',
    ].join('\n'),
  );
  const objects = await template(
    '--set',
    'rbac.create=false',
    '--set',
    'watchNamespaces={team-a,team-b}',
    '--set',
    'image.repository=registry.example/weir',
    '--set',
    'image.tag=1.2.3',
    '--set',
    'image.pullPolicy=Always',
    '--set',
    'jobServiceAccount.name=runner',
    '--values',
    valuesFile,
    '--set-json',
    'operator.extraArgs=["-D","parallelism.default=4"]',
  );
  assert.deepEqual(ids(objects), [
    `Deployment/${NAMESPACE}/weir-operator`,
    'ServiceAccount/team-a/runner',
    'ServiceAccount/team-b/runner',
    `ServiceAccount/${NAMESPACE}/weir-operator`,
  ]);
  const c = container(find(objects, 'Deployment', 'weir-operator'));
  assert.equal(c.image, 'registry.example/weir:1.2.3');
  assert.equal(c.imagePullPolicy, 'Always');
  assert.deepEqual(c.args, [
    'operator',
    '-D',
    'kubernetes.service-account=runner',
    '-D',
    'kubernetes.taskmanager.memory=2147483648',
    '-D',
    'metrics.reporters=prom',
    '-D',
    'parallelism.default=1',
    '-D',
    'pipeline.auto-watermark-interval=200 ms',
    '-D',
    'rest.port=18081',
    '-D',
    'taskmanager.numberOfTaskSlots=1',
    '-D',
    'kubernetes.operator.watched.namespaces=team-a,team-b',
    '-D',
    'parallelism.default=4',
  ]);
  const config = configOf(c.args.slice(0, 15));
  assert.equal(config.get('rest.port'), 18081);
  assert.equal(config.get('kubernetes.taskmanager.memory'), 2147483648);
  assert.deepEqual(config.get('metrics.reporters'), ['prom']);

  // With RBAC on and watched namespaces: a Role per watched namespace instead of a ClusterRole,
  // and leader election in the operator's own namespace.
  const scoped = await template('--set', 'watchNamespaces={team-a}');
  assert.deepEqual(
    ids(scoped).filter((id) => /^(Cluster)?Role/.test(id)),
    [
      'Role/team-a/weir-operator',
      'Role/team-a/weir-operator-job',
      `Role/${NAMESPACE}/weir-operator-leader-election`,
      'RoleBinding/team-a/weir-operator',
      'RoleBinding/team-a/weir-operator-job',
      `RoleBinding/${NAMESPACE}/weir-operator-leader-election`,
    ],
  );
  const teamRules = (find(scoped, 'Role', 'weir-operator', 'team-a') as unknown as { rules: Rule[] }).rules;
  assert.ok(grants(teamRules, 'weir.dev', 'weirdeployments/status', 'patch'));
});

test('values that do not fit values.schema.json make helm template fail, naming the value', async () => {
  const wrongType = await helm(['template', RELEASE, CHART, '--set', 'operator.replicas=two'], helmEnv);
  assert.notEqual(wrongType.code, 0);
  assert.match(wrongType.stderr, /values don't meet the specifications of the schema/);
  assert.match(wrongType.stderr, /\/operator\/replicas/);
  assert.match(wrongType.stderr, /integer/);

  const badNamespace = await helm(['template', RELEASE, CHART, '--set', 'watchNamespaces={Team_A}'], helmEnv);
  assert.notEqual(badNamespace.code, 0);
  assert.match(badNamespace.stderr, /\/watchNamespaces\/0/);

  const misspelled = await helm(['template', RELEASE, CHART, '--set', 'imag.tag=1.2.3'], helmEnv);
  assert.notEqual(misspelled.code, 0);
  assert.match(misspelled.stderr, /imag/);
  assert.match(misspelled.stderr, /additional properties|additionalProperties/i);
});

test('the rendered manifests apply to a real API server: the CRD is Established and the accounts get their rules', async () => {
  k8s = await startKubernetes();
  const r = await helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, '--include-crds'], helmEnv);
  assert.equal(r.code, 0, r.stderr);
  const manifest = join(work, 'manifest.yaml');
  writeFileSync(manifest, r.stdout);
  await k8s.kubectl('create', 'namespace', NAMESPACE);
  const applied = await k8s.kubectl('apply', '--server-side', '--field-manager=helm-chart-test', '-f', manifest);
  assert.match(applied, /customresourcedefinition.apiextensions.k8s.io\/weirdeployments.weir.dev serverside-applied/);

  await waitFor('the WeirDeployment CRD to be Established', 30_000, async () =>
    (await k8s!.kubectl(
      'get',
      'crd',
      'weirdeployments.weir.dev',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Established")].status}',
    )) === 'True'
      ? true
      : undefined,
  );
  const listed = await k8s.kubectl(
    'get',
    'deployment/weir-operator',
    'serviceaccount/weir-operator',
    'serviceaccount/weir',
    'role/weir-operator-job',
    'rolebinding/weir-operator-job',
    '--namespace',
    NAMESPACE,
    '-o',
    'name',
  );
  assert.deepEqual(listed.trim().split('\n').sort(), [
    'deployment.apps/weir-operator',
    'role.rbac.authorization.k8s.io/weir-operator-job',
    'rolebinding.rbac.authorization.k8s.io/weir-operator-job',
    'serviceaccount/weir',
    'serviceaccount/weir-operator',
  ]);
  assert.equal(
    (await k8s.kubectl('get', 'clusterrole/weir-operator', 'clusterrolebinding/weir-operator', '-o', 'name')).trim(),
    'clusterrole.rbac.authorization.k8s.io/weir-operator\nclusterrolebinding.rbac.authorization.k8s.io/weir-operator',
  );

  // The CRD serves weir.dev/v1beta1 WeirDeployments with a status subresource.
  const resource = join(work, 'weirdeployment.yaml');
  writeFileSync(
    resource,
    'apiVersion: weir.dev/v1beta1\nkind: WeirDeployment\nmetadata:\n  name: wordcount\n  namespace: weir-system\nspec:\n  image: weir:0.1.0\n  job:\n    bundleURI: file:///opt/weir/examples/word-count.ts\n    parallelism: 2\n',
  );
  await k8s.kubectl('apply', '-f', resource);
  assert.equal(await k8s.kubectl('get', 'weirdeployments', 'wordcount', '-n', NAMESPACE, '-o', 'jsonpath={.spec.job.parallelism}'), '2');

  // The API server's authorizer (RBAC) answers for the accounts as the operator and the pods would ask.
  const canI = async (account: string, ...args: string[]): Promise<string> => {
    try {
      return (await k8s!.kubectl('auth', 'can-i', `--as=system:serviceaccount:${NAMESPACE}:${account}`, ...args)).trim();
    } catch (e) {
      // kubectl auth can-i exits 1 when the answer is no.
      return ((e as { stdout?: string }).stdout ?? '').trim();
    }
  };
  assert.equal(await canI('weir-operator', 'update', 'weirdeployments.weir.dev', '--subresource=status', '-n', 'anywhere'), 'yes');
  assert.equal(await canI('weir-operator', 'watch', 'weirdeployments.weir.dev', '--all-namespaces'), 'yes');
  assert.equal(await canI('weir-operator', 'create', 'deployments.apps', '-n', 'team-x'), 'yes');
  assert.equal(await canI('weir-operator', 'update', 'leases.coordination.k8s.io', '-n', NAMESPACE), 'yes');
  assert.equal(await canI('weir-operator', 'create', 'clusterroles.rbac.authorization.k8s.io'), 'no');
  assert.equal(await canI('weir', 'create', 'pods', '-n', NAMESPACE), 'yes');
  assert.equal(await canI('weir', 'update', 'configmaps', '-n', NAMESPACE), 'yes');
  assert.equal(await canI('weir', 'get', 'deployments.apps', '-n', NAMESPACE), 'yes');
  assert.equal(await canI('weir', 'create', 'deployments.apps', '-n', NAMESPACE), 'no');
  assert.equal(await canI('weir', 'create', 'pods', '-n', 'default'), 'no');
});

test('helm install and uninstall against the API server: a release watching one namespace, its NOTES, the CRD kept', async () => {
  assert.ok(k8s, 'the control plane of the previous test');
  const kube = ['--kubeconfig', k8s.kubeconfigPath];
  await k8s.kubectl('create', 'namespace', 'team-a');
  const installed = await helm(
    ['install', 'scoped', CHART, '--namespace', 'weir-scoped', '--create-namespace', '--set', 'watchNamespaces={team-a}', ...kube],
    helmEnv,
  );
  assert.equal(installed.code, 0, installed.stderr);
  assert.match(installed.stdout, /STATUS: deployed/);
  // NOTES.txt, rendered for this release.
  assert.match(installed.stdout, /reconciles WeirDeployment resources \(weirdeployments\.weir\.dev\/v1beta1\) in the namespaces team-a\./);
  assert.match(installed.stdout, /kubectl --namespace weir-scoped get deployment scoped-weir-operator/);

  const listed = await k8s.kubectl(
    'get',
    'deployment/scoped-weir-operator',
    'role/scoped-weir-operator-leader-election',
    '-n',
    'weir-scoped',
    '-o',
    'name',
  );
  assert.equal(listed.trim().split('\n').length, 2);
  const inTeam = await k8s.kubectl(
    'get',
    'role/scoped-weir-operator',
    'role/scoped-weir-operator-job',
    'serviceaccount/weir',
    '-n',
    'team-a',
    '-o',
    'name',
  );
  assert.equal(inTeam.trim().split('\n').length, 3);
  const as = '--as=system:serviceaccount:weir-scoped:scoped-weir-operator';
  assert.equal(
    (await k8s.kubectl('auth', 'can-i', as, 'patch', 'weirdeployments.weir.dev', '--subresource=status', '-n', 'team-a')).trim(),
    'yes',
  );
  const elsewhere = await k8s
    .kubectl('auth', 'can-i', as, 'list', 'weirdeployments.weir.dev', '-n', NAMESPACE)
    .catch((e: { stdout?: string }) => e.stdout ?? '');
  assert.equal(elsewhere.trim(), 'no', 'the scoped operator does not see other namespaces');

  const uninstalled = await helm(['uninstall', 'scoped', '--namespace', 'weir-scoped', '--wait', '--timeout', '30s', ...kube], helmEnv);
  assert.equal(uninstalled.code, 0, uninstalled.stderr);
  const left = await k8s.kubectl('get', 'deployments,roles', '-n', 'weir-scoped', '-o', 'name');
  assert.equal(left.trim(), '', 'the release objects are deleted');
  // Helm never deletes a chart's CRDs (that would delete every WeirDeployment).
  assert.equal(
    (await k8s.kubectl('get', 'crd', 'weirdeployments.weir.dev', '-o', 'name')).trim(),
    'customresourcedefinition.apiextensions.k8s.io/weirdeployments.weir.dev',
  );
  assert.equal((await k8s.kubectl('get', 'weirdeployments', '-n', NAMESPACE, '-o', 'name')).trim(), 'weirdeployment.weir.dev/wordcount');
});
