import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeirError } from '../../src/errors.js';
import {
  Configuration,
  OPTIONS,
  OPTION_KEYS,
  isJobKey,
  isSecretKey,
  loadConfiguration,
  parseDynamicProperty,
  parseMemorySize,
  suggestKey,
} from '../../src/config/index.js';
import type { OptionSpec } from '../../src/config/index.js';
import { CONFIG_DOC_PATH, renderConfigDocs } from '../../scripts/gen-config-docs.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'weir-config-'));
}

function writeConf(dir: string, text: string): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

/** Asserts that fn throws a WeirError with this code whose message contains every fragment. */
function assertConfigError(fn: () => unknown, code: string, ...fragments: string[]): WeirError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WeirError, `expected a WeirError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const f of fragments) assert.ok(caught.message.includes(f), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(f)}`);
  return caught;
}

test('defaults: every option with a default parses, and get returns typed values', () => {
  const c = new Configuration();
  assert.equal(c.get('execution.target'), 'local');
  assert.equal(c.get('execution.runtime-mode'), 'STREAMING');
  assert.equal(c.getDuration('execution.buffer-timeout'), 100);
  assert.equal(c.getInteger('parallelism.default'), 1);
  assert.equal(c.getInteger('pipeline.max-parallelism'), 128);
  assert.equal(c.getDuration('pipeline.auto-watermark-interval'), 200);
  assert.equal(c.getInteger('taskmanager.numberOfTaskSlots'), 1);
  assert.equal(c.getMemorySize('taskmanager.network.memory.buffer-size'), 32 * 1024);
  assert.equal(c.getInteger('taskmanager.network.memory.buffers-per-channel'), 2);
  assert.equal(c.getInteger('taskmanager.network.memory.max-buffers-per-channel'), 10);
  assert.equal(c.getInteger('minicluster.number-of-taskmanagers'), 1);
  assert.equal(c.getString('jobmanager.rpc.address'), '127.0.0.1');
  assert.equal(c.getInteger('jobmanager.rpc.port'), 6123);
  assert.equal(c.getInteger('rest.port'), 8081);
  assert.equal(c.getDuration('heartbeat.interval'), 10_000);
  assert.equal(c.getDuration('heartbeat.timeout'), 50_000);
  assert.equal(c.getDuration('restart-strategy.failure-rate.failure-rate-interval'), 60_000);
  assert.equal(c.getNumber('restart-strategy.exponential-delay.backoff-multiplier'), 1.5);
  assert.equal(c.get('execution.checkpointing.mode'), 'EXACTLY_ONCE');
  assert.equal(c.getDuration('execution.checkpointing.timeout'), 600_000);
  assert.equal(c.get('state.backend.type'), 'hashmap');
  assert.equal(c.getBoolean('state.backend.incremental'), false);
  assert.equal(c.get('high-availability.type'), 'none');
  assert.equal(c.get('weir.log.level'), 'info');
  assert.deepEqual(c.getList('high-availability.etcd.endpoints'), ['http://127.0.0.1:2379']);
  // unset options without default
  assert.equal(c.get('execution.checkpointing.interval'), undefined);
  assert.equal(c.get('restart-strategy.type'), undefined);
  assert.equal(c.get('pipeline.name'), undefined);
  assert.equal(c.sourceOf('rest.port'), 'default');
  assert.equal(c.has('rest.port'), false);
});

test('the option table is well formed', () => {
  for (const key of OPTION_KEYS) {
    const spec: OptionSpec = OPTIONS[key];
    assert.ok(spec.description.length > 0 && !spec.description.includes('\n'), `${key}: one-line description`);
    if (spec.type === 'enum') assert.ok(spec.values && spec.values.length > 0, `${key}: enum without values`);
    // nested YAML maps are flattened, so no key may be the prefix of another
    for (const other of OPTION_KEYS) assert.ok(!other.startsWith(key + '.'), `${key} is a prefix of ${other}`);
    if (/(secret|password|token)/i.test(key)) assert.ok(isSecretKey(key), `${key} should be secret`);
  }
  assert.ok(isSecretKey('security.rest.token'));
  assert.ok(isSecretKey('security.cluster.secret'));
  assert.ok(!isSecretKey('rest.port'));
});

test('YAML file: flat keys, nested maps and both, with typed values', () => {
  const dir = tempDir();
  try {
    const path = writeConf(
      dir,
      [
        '# a comment',
        'parallelism.default: 4',
        'execution.checkpointing:',
        '  interval: 10s',
        '  mode: at_least_once',
        'restart-strategy:',
        '  type: fixed-delay',
        '  fixed-delay:',
        '    attempts: 3',
        '    delay: 5 min',
        'taskmanager.network.memory.buffer-size: 64 kb',
        'rest.upload.max-size: 1048576',
        'state.backend.incremental: true',
        'high-availability.etcd.endpoints: [http://a:2379, http://b:2379]',
        'security.rest.token: 0123',
        'rest.address:',
        '',
      ].join('\n'),
    );
    const c = Configuration.fromYamlFile(path);
    assert.equal(c.get('parallelism.default'), 4);
    assert.equal(c.get('execution.checkpointing.interval'), 10_000);
    assert.equal(c.get('execution.checkpointing.mode'), 'AT_LEAST_ONCE');
    assert.equal(c.get('restart-strategy.type'), 'fixed-delay');
    assert.equal(c.get('restart-strategy.fixed-delay.attempts'), 3);
    assert.equal(c.get('restart-strategy.fixed-delay.delay'), 300_000);
    assert.equal(c.get('taskmanager.network.memory.buffer-size'), 65_536);
    assert.equal(c.get('rest.upload.max-size'), 1_048_576);
    assert.equal(c.get('state.backend.incremental'), true);
    assert.deepEqual(c.get('high-availability.etcd.endpoints'), ['http://a:2379', 'http://b:2379']);
    assert.equal(c.get('security.rest.token'), '0123', 'string values keep their text');
    assert.equal(c.has('rest.address'), false, 'an empty value leaves the option unset');
    assert.equal(c.sourceOf('parallelism.default'), `${path}:2`);
    assert.equal(c.sourceOf('restart-strategy.fixed-delay.attempts'), `${path}:9`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty file is an empty configuration', () => {
  assert.deepEqual(Configuration.fromYaml('', 'x.yaml').keys(), []);
  assert.deepEqual(Configuration.fromYaml('# only comments\n', 'x.yaml').keys(), []);
});

test('unknown key: names it and where it came from, and suggests the closest key', () => {
  assertConfigError(
    () => new Configuration().set('parallelism.defualt', '4', '-D'),
    'WEIR_CONFIG_UNKNOWN_KEY',
    "Unknown configuration key 'parallelism.defualt' (from -D). Did you mean 'parallelism.default'?",
  );
  assertConfigError(
    () => Configuration.fromYaml('rest:\n  prot: 8081\n', 'conf/config.yaml'),
    'WEIR_CONFIG_UNKNOWN_KEY',
    "'rest.prot'",
    'conf/config.yaml:2',
    "'rest.port'",
  );
  // Flink's older names and a key missing its prefix
  assert.equal(suggestKey('state.checkpoints.dir'), 'execution.checkpointing.dir');
  assert.equal(suggestKey('numberOfTaskSlots'), 'taskmanager.numberOfTaskSlots');
  assert.equal(suggestKey('taskmanager.numberoftaskslots'), 'taskmanager.numberOfTaskSlots');
  assertConfigError(() => new Configuration().set('completely.unrelated.thing', 'x'), 'WEIR_CONFIG_UNKNOWN_KEY', 'docs/configuration.md');
});

test('bad values name the key, the value, the expected type and the source', () => {
  const c = new Configuration();
  assertConfigError(
    () => c.set('parallelism.default', 'four', '-D'),
    'WEIR_CONFIG_BAD_VALUE',
    "'four'",
    "'parallelism.default'",
    '(from -D)',
    'an integer',
  );
  assertConfigError(() => c.set('parallelism.default', '0', '-D'), 'WEIR_CONFIG_BAD_VALUE', 'at least 1');
  assertConfigError(() => c.set('parallelism.default', '1.5'), 'WEIR_CONFIG_BAD_VALUE', 'an integer');
  assertConfigError(() => c.set('rest.port', '70000'), 'WEIR_CONFIG_BAD_VALUE', 'between 0 and 65535');
  assertConfigError(() => c.set('state.backend.incremental', 'yes'), 'WEIR_CONFIG_BAD_VALUE', 'true or false');
  assertConfigError(() => c.set('heartbeat.interval', '10 parsecs'), 'WEIR_CONFIG_BAD_VALUE', "'10 parsecs'", 'a duration');
  assertConfigError(() => c.set('taskmanager.network.memory.buffer-size', '32 kilo'), 'WEIR_CONFIG_BAD_VALUE', 'a memory size');
  assertConfigError(() => c.set('metrics.reporter.prom.port', '9249-80'), 'WEIR_CONFIG_BAD_VALUE', 'port range');
  assertConfigError(() => c.set('parallelism.default', ['1', '2']), 'WEIR_CONFIG_BAD_VALUE', 'an integer');
  assert.equal(c.has('parallelism.default'), false, 'a rejected value changes nothing');
});

test('bad enum value lists the allowed values', () => {
  assertConfigError(
    () => new Configuration().set('execution.target', 'yarn-session', '-D'),
    'WEIR_CONFIG_BAD_VALUE',
    "Invalid value 'yarn-session' for configuration key 'execution.target' (from -D): expected one of local, remote, process-session",
  );
  assertConfigError(() => new Configuration().set('state.backend.type', 'rocksdb'), 'WEIR_CONFIG_BAD_VALUE', 'one of hashmap, lsm');
  // matching ignores case and -/_
  assert.equal(
    new Configuration().set('execution.checkpointing.mode', 'at-least-once').get('execution.checkpointing.mode'),
    'AT_LEAST_ONCE',
  );
  assert.equal(new Configuration().set('execution.target', 'PROCESS_SESSION').get('execution.target'), 'process-session');
});

test('bad value in the file names the file and line', () => {
  assertConfigError(
    () => Configuration.fromYaml('rest.port: 8081\nheartbeat.timeout: soon\n', '/etc/weir/config.yaml'),
    'WEIR_CONFIG_BAD_VALUE',
    "'soon'",
    "'heartbeat.timeout'",
    '(from /etc/weir/config.yaml:2)',
  );
});

test('several problems in one file are reported together', () => {
  const e = assertConfigError(
    () => Configuration.fromYaml('rest.prot: 1\nparallelism.default: x\n', 'c.yaml'),
    'WEIR_CONFIG_UNKNOWN_KEY',
    '2 configuration errors',
  );
  assert.match(e.message, /rest\.prot/);
  assert.match(e.message, /parallelism\.default/);
});

test('secret values are not echoed in errors', () => {
  assertConfigError(() => new Configuration().set('security.rest.token', ['a', 'b']), 'WEIR_CONFIG_BAD_VALUE', '******');
});

test('malformed YAML names the file', () => {
  const dir = tempDir();
  try {
    const path = writeConf(dir, 'rest.port: 8081\nexecution.checkpointing: [\n  interval: 10s\n');
    assertConfigError(() => Configuration.fromYamlFile(path), 'WEIR_CONFIG_FILE', `Configuration file '${path}' is not valid YAML`);
    writeConf(dir, 'rest.port: 1\nrest.port: 2\n');
    assertConfigError(() => Configuration.fromYamlFile(path), 'WEIR_CONFIG_FILE', path, 'unique');
    writeConf(dir, '- a\n- b\n');
    assertConfigError(() => Configuration.fromYamlFile(path), 'WEIR_CONFIG_FILE', path, 'map of keys to values');
    writeConf(dir, 'rest.port: 1\nrest:\n  port: 2\n');
    assertConfigError(() => Configuration.fromYamlFile(path), 'WEIR_CONFIG_FILE', "'rest.port' is set twice", 'lines 1 and 3');
    assertConfigError(() => Configuration.fromYamlFile(join(dir, 'missing.yaml')), 'WEIR_CONFIG_FILE', 'missing.yaml', 'does not exist');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-D overrides the file; loadConfiguration finds the file by confDir or WEIR_CONF_DIR', () => {
  const dir = tempDir();
  try {
    writeConf(dir, 'parallelism.default: 4\nrest.port: 9000\n');
    const c = loadConfiguration({ confDir: dir, dynamic: ['parallelism.default=8', 'execution.checkpointing.interval=5 s'] });
    assert.equal(c.get('parallelism.default'), 8);
    assert.equal(c.sourceOf('parallelism.default'), '-D');
    assert.equal(c.get('rest.port'), 9000);
    assert.equal(c.get('execution.checkpointing.interval'), 5000);

    const viaEnv = loadConfiguration({ env: { WEIR_CONF_DIR: dir } });
    assert.equal(viaEnv.get('rest.port'), 9000);

    const none = loadConfiguration({ confDir: join(dir, 'nope'), dynamic: [] });
    assert.deepEqual(none.keys(), []);

    assertConfigError(
      () => loadConfiguration({ confDir: dir, dynamic: ['parallelism.defualt=2'] }),
      'WEIR_CONFIG_UNKNOWN_KEY',
      '(from -D)',
      "'parallelism.default'",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseDynamicProperty splits at the first =', () => {
  assert.deepEqual(parseDynamicProperty('a.b=c=d'), { key: 'a.b', value: 'c=d' });
  assert.deepEqual(parseDynamicProperty('pipeline.name='), { key: 'pipeline.name', value: '' });
  assertConfigError(() => parseDynamicProperty('parallelism.default'), 'WEIR_CONFIG_BAD_VALUE', 'key=value');
  assertConfigError(() => parseDynamicProperty('=4'), 'WEIR_CONFIG_BAD_VALUE', 'key=value');
});

test('durations: ms numbers and strings with units', () => {
  const c = new Configuration();
  const cases: [string | number, number][] = [
    [250, 250],
    ['250', 250],
    ['100ms', 100],
    ['10s', 10_000],
    ['10 s', 10_000],
    ['5 min', 300_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1 d', 86_400_000],
    ['1.5s', 1500],
  ];
  for (const [raw, ms] of cases) assert.equal(c.set('heartbeat.interval', raw).getDuration('heartbeat.interval'), ms, String(raw));
  assertConfigError(() => c.set('heartbeat.interval', -5), 'WEIR_CONFIG_BAD_VALUE');
  assertConfigError(() => c.set('heartbeat.interval', '0'), 'WEIR_CONFIG_BAD_VALUE', 'at least 1 ms');
});

test('memory sizes: bytes and strings with units (powers of 1024)', () => {
  assert.equal(parseMemorySize('32kb'), 32_768);
  assert.equal(parseMemorySize('32 KB'), 32_768);
  assert.equal(parseMemorySize('64 mb'), 64 * 1024 * 1024);
  assert.equal(parseMemorySize('1g'), 1024 ** 3);
  assert.equal(parseMemorySize('1.5 kb'), 1536);
  assert.equal(parseMemorySize('4096'), 4096);
  assert.equal(parseMemorySize(4096), 4096);
  assert.equal(parseMemorySize('100 bytes'), 100);
  assert.equal(parseMemorySize('lots'), undefined);
  assert.equal(parseMemorySize(-1), undefined);
  assertConfigError(
    () => new Configuration().set('taskmanager.network.memory.buffer-size', '512'),
    'WEIR_CONFIG_BAD_VALUE',
    'at least 1 kb',
  );
});

test('lists: YAML sequences, ;-separated strings and [a, b] in -D', () => {
  const c = new Configuration();
  assert.deepEqual(c.set('high-availability.etcd.endpoints', 'http://a:1; http://b:2').getList('high-availability.etcd.endpoints'), [
    'http://a:1',
    'http://b:2',
  ]);
  assert.deepEqual(c.setDynamic('high-availability.etcd.endpoints=[x, y]').get('high-availability.etcd.endpoints'), ['x', 'y']);
});

test('merge: later wins, sources kept, inputs unchanged', () => {
  const a = Configuration.fromEntries({ 'parallelism.default': 2, 'rest.port': '9000' }, 'a');
  const b = Configuration.fromEntries([['parallelism.default', '3']], 'b');
  const m = a.merge(b);
  assert.equal(m.get('parallelism.default'), 3);
  assert.equal(m.sourceOf('parallelism.default'), 'b');
  assert.equal(m.get('rest.port'), 9000);
  assert.equal(a.get('parallelism.default'), 2);
  m.set('rest.port', 1);
  assert.equal(a.get('rest.port'), 9000);
});

test('toJSON: all values including defaults, secrets redacted when asked', () => {
  const c = Configuration.fromEntries({ 'security.rest.token': 's3cret', 'parallelism.default': '3' });
  const all = c.toJSON();
  assert.equal(all['parallelism.default'], 3);
  assert.equal(all['rest.port'], 8081);
  assert.equal(all['execution.buffer-timeout'], 100);
  assert.equal(all['security.rest.token'], 's3cret');
  assert.ok(!('execution.checkpointing.interval' in all), 'unset options without default are left out');
  const redacted = c.toJSON({ redactSecrets: true });
  assert.equal(redacted['security.rest.token'], '******');
  assert.equal(redacted['parallelism.default'], 3);
  assert.ok(!JSON.stringify(c.toStringMap({ redactSecrets: true })).includes('s3cret'));
  // JSON.stringify calls toJSON with a key: it must still work
  assert.equal(JSON.parse(JSON.stringify({ c })).c['rest.port'], 8081);
});

test('toStringMap and toDynamicProperties round-trip through parsing', () => {
  const c = Configuration.fromEntries({
    'heartbeat.interval': '90s',
    'execution.buffer-timeout': 7,
    'taskmanager.network.memory.buffer-size': '64kb',
    'rest.upload.max-size': 1000,
    'high-availability.etcd.endpoints': ['a', 'b'],
    'restart-strategy.exponential-delay.jitter-factor': 0.25,
  });
  const strings = c.toStringMap();
  assert.equal(strings['heartbeat.interval'], '90 s');
  assert.equal(strings['taskmanager.network.memory.buffer-size'], '64 kb');
  assert.equal(strings['rest.upload.max-size'], '1000 bytes');
  assert.deepEqual(Configuration.fromEntries(strings).toJSON(), c.toJSON());
  const again = new Configuration();
  for (const p of c.toDynamicProperties()) again.setDynamic(p);
  assert.deepEqual(again.toJSON(), c.toJSON());
  assert.equal(c.toDynamicProperties().length, 6);
});

test('getRequired names the missing key', () => {
  assertConfigError(
    () => new Configuration().getRequired('high-availability.storageDir', 'when high-availability.type is etcd'),
    'WEIR_CONFIG_BAD_VALUE',
    "'high-availability.storageDir'",
    'when high-availability.type is etcd',
  );
  assert.equal(new Configuration().getRequired('rest.port'), 8081);
});

test('docs/configuration.md is up to date with the option table', () => {
  assert.equal(readFileSync(CONFIG_DOC_PATH, 'utf8'), renderConfigDocs(), 'run: npx tsx scripts/gen-config-docs.ts');
  for (const key of OPTION_KEYS) assert.ok(renderConfigDocs().includes(`\`${key}\``));
});

test('high availability and the Prometheus reporter are accepted; an unknown HA type is refused, naming the key', () => {
  const dir = tempDir();
  try {
    writeConf(dir, 'parallelism.default: 2\nhigh-availability.type: etcd\n');
    assert.equal(loadConfiguration({ confDir: dir, env: {} }).get('high-availability.type'), 'etcd', 'high availability is provided');
    writeConf(dir, 'high-availability.type: kubernetes\n');
    assert.equal(loadConfiguration({ confDir: dir, env: {} }).get('high-availability.type'), 'kubernetes', 'Kubernetes HA is provided');
    writeConf(dir, 'high-availability.type: consul\n');
    assertConfigError(() => loadConfiguration({ confDir: dir, env: {} }), 'WEIR_CONFIG_BAD_VALUE', "'high-availability.type'");
    writeConf(dir, 'high-availability.type: none\n');
    assert.equal(loadConfiguration({ confDir: dir, env: {} }).get('high-availability.type'), 'none', 'none is the default');
    const prom = loadConfiguration({ confDir: dir, env: {}, dynamic: ['metrics.reporters=prom', 'metrics.reporter.prom.port=9300-9310'] });
    assert.equal(prom.get('metrics.reporter.prom.port'), '9300-9310', 'the Prometheus reporter is built: its keys are accepted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics keys: reporter names, factories, prefixes and scope formats are checked', () => {
  const c = new Configuration();
  c.set('metrics.reporters', 'prom,slf4j');
  assert.deepEqual(c.get('metrics.reporters'), ['prom,slf4j'], "Flink's comma-separated names are kept for the reporters to split");
  assertConfigError(() => c.set('metrics.reporters', 'prom,jmx'), 'WEIR_CONFIG_BAD_VALUE', "found 'jmx'");
  c.set('metrics.reporter.prom.factory.class', 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory');
  assertConfigError(
    () => c.set('metrics.reporter.prom.factory.class', 'org.apache.flink.metrics.jmx.JMXReporterFactory'),
    'WEIR_CONFIG_BAD_VALUE',
  );
  c.set('metrics.reporter.prom.prefix', 'flink');
  assertConfigError(() => c.set('metrics.reporter.prom.prefix', 'my-prefix'), 'WEIR_CONFIG_BAD_VALUE', 'Prometheus name prefix');
  c.set('metrics.scope.operator', 'op.<job_name>.<operator_name>.<subtask_index>');
  assertConfigError(() => c.set('metrics.scope.tm', '<host>.<job_name>'), 'WEIR_CONFIG_BAD_VALUE', 'found <job_name>');
});

test('isJobKey: job keys go with a job to a running cluster, cluster keys do not', () => {
  for (const k of [
    'parallelism.default',
    'execution.checkpointing.interval',
    'restart-strategy.type',
    'state.backend.type',
    'pipeline.name',
  ])
    assert.equal(isJobKey(k), true, k);
  for (const k of ['rest.port', 'taskmanager.numberOfTaskSlots', 'slot.request.timeout', 'execution.target', 'execution.attached'])
    assert.equal(isJobKey(k), false, k);
});
