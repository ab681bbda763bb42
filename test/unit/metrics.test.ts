/** The metric system: types and views, groups, scopes and variables, the registry, the reporters, the metric store and Flink's REST query semantics. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { JobProgress } from '../../src/client/cluster-client.js';
import { Configuration } from '../../src/config/index.js';
import { MetricGroup } from '../../src/metrics/group.js';
import { jobManagerGroup, jobManagerJobGroup, operatorGroup, taskGroup, taskManagerGroup } from '../../src/metrics/groups.js';
import { MetricStore } from '../../src/metrics/metric-store.js';
import { aggregateMetrics, parseAggregations, parseRanges, selectMetrics } from '../../src/metrics/query.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { createReporters, reporterNames } from '../../src/metrics/reporters/index.js';
import { PrometheusReporter } from '../../src/metrics/reporters/prometheus.js';
import { JsonLinesFileReporter, LogReporter } from '../../src/metrics/reporters/scheduled.js';
import { ScopeFormats } from '../../src/metrics/scope.js';
import { registerSystemMetrics } from '../../src/metrics/system.js';
import { DescriptiveStatisticsHistogram, MeterView, SimpleCounter, TimerGauge, UPDATE_INTERVAL_SECONDS } from '../../src/metrics/types.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const task = {
  host: 'h1',
  tmId: 'tm-1',
  jobId: 'a'.repeat(32),
  jobName: 'my job',
  vertexId: 'v1',
  taskName: 'Source: numbers -> map',
  subtask: 1,
  attempt: 0,
};

test('counter, meter view, histogram and timer gauge', () => {
  const c = new SimpleCounter();
  c.inc();
  c.inc(4);
  c.dec();
  assert.equal(c.getCount(), 4);
  const m = new MeterView(c, 60);
  c.inc(10 * UPDATE_INTERVAL_SECONDS);
  m.update();
  assert.equal(m.getRate(), 10 + 4 / UPDATE_INTERVAL_SECONDS, 'events per second over the time that has passed');
  m.markEvent(5 * UPDATE_INTERVAL_SECONDS);
  m.update();
  assert.equal(m.getCount(), 4 + 15 * UPDATE_INTERVAL_SECONDS);
  const h = new DescriptiveStatisticsHistogram(4);
  for (const v of [10, 1, 2, 3, 4]) h.update(v);
  const s = h.getStatistics();
  assert.deepEqual([h.getCount(), s.size, s.min, s.max, s.mean], [5, 4, 1, 4, 2.5], 'statistics over the window of the latest values');
  assert.equal(s.quantile(0.5), 2.5);
  const t = new TimerGauge();
  t.markStart();
  const until = performance.now() + 30;
  while (performance.now() < until) {
    /* measured busy wait */
  }
  t.markEnd();
  t.update();
  assert.ok(t.getValue() > 500, `almost all of the interval was measured (${t.getValue()} ms/s)`);
  assert.ok(t.getAccumulatedCount() >= 29);
  t.update();
  assert.equal(t.getValue(), 0, 'nothing measured in the next interval');
});

test('groups: scopes, variables, sub-groups and identifiers follow Flink', () => {
  const registry = new MetricRegistry({ updateViews: false });
  const op = operatorGroup(taskGroup(registry, task), 'op-1', 'map');
  assert.deepEqual(op.getScopeComponents(), ['h1', 'taskmanager', 'tm-1', 'my job', 'map', '1']);
  assert.equal(op.getMetricIdentifier('numRecordsIn'), 'h1.taskmanager.tm-1.my job.map.1.numRecordsIn');
  assert.equal(op.getAllVariables()['<task_name>'], 'Source: numbers -> map');
  assert.equal(op.getAllVariables()['<subtask_index>'], '1');
  const user = op.addGroup('app').addGroup('region', 'eu');
  assert.equal(user.getMetricIdentifier('hits'), 'h1.taskmanager.tm-1.my job.map.1.app.region.eu.hits');
  assert.equal(user.getAllVariables()['<region>'], 'eu', 'a key/value group adds a variable');
  assert.equal(user.getLogicalScope(), 'taskmanager.job.task.operator.app.region');
  assert.equal(op.addGroup('app'), op.addGroup('app'), 'the same sub-group is returned');
  const c = user.counter('hits');
  assert.equal(user.counter('hits'), c, 'a name registered twice keeps the first metric');
  assert.equal(jobManagerGroup(registry, 'h').getMetricIdentifier('x'), 'h.jobmanager.x');
  assert.equal(jobManagerJobGroup(registry, 'h', task.jobId, 'j').getMetricIdentifier('uptime'), 'h.jobmanager.j.uptime');
  assert.equal(taskManagerGroup(registry, 'h', 'tm').getMetricIdentifier('x'), 'h.taskmanager.tm.x');
  assert.throws(() => user.counter(''), /non-empty name/);
});

test('metrics.scope.* formats and the delimiter shape identifiers', () => {
  const config = Configuration.fromEntries({
    'metrics.scope.operator': 'ops.<job_id>.<operator_name>-<subtask_index>',
    'metrics.scope.delimiter': '/',
  });
  const registry = new MetricRegistry({ scopeFormats: ScopeFormats.fromConfig(config), updateViews: false });
  const op = operatorGroup(taskGroup(registry, task), 'op-1', 'map');
  assert.equal(op.getMetricIdentifier('numRecordsIn'), `ops/${task.jobId}/map-1/numRecordsIn`);
});

test('the registry samples its groups, updates views and drops closed groups', () => {
  const registry = new MetricRegistry({ updateViews: false });
  const tg = taskGroup(registry, task);
  const c = tg.counter('numRecordsIn');
  tg.meter('numRecordsInPerSecond', new MeterView(c));
  tg.gauge('isBackPressured', () => true);
  tg.gauge('broken', () => {
    throw new Error('no value');
  });
  tg.histogram('latency').update(7);
  c.inc(50);
  registry.updateViews();
  const [dump] = registry.dumpLocal();
  assert.equal(dump!.category, 'task');
  const byName = new Map(dump!.metrics.map((m) => [m.n, m]));
  assert.deepEqual([byName.get('numRecordsIn')!.k, byName.get('numRecordsIn')!.v], ['counter', 50]);
  assert.equal(byName.get('numRecordsInPerSecond')!.v, 50 / UPDATE_INTERVAL_SECONDS);
  assert.equal(byName.get('isBackPressured')!.v, true);
  assert.equal(byName.get('latency')!.h!.p50, 7);
  assert.equal(byName.has('broken'), false, 'a gauge that throws is left out of the sample');
  registry.setRemote('worker', [dump!]);
  assert.equal(registry.dumpAll().length, 2);
  tg.close();
  assert.equal(registry.dumpLocal().length, 0);
  registry.removeRemote('worker');
  assert.equal(registry.dumpAll().length, 0);
});

test('system metrics: the Node equivalents of Status.JVM.*', async () => {
  const registry = new MetricRegistry({ updateViews: false });
  const g = jobManagerGroup(registry, 'h');
  const stop = registerSystemMetrics(g, { threads: () => 3 });
  try {
    registry.updateViews();
    const names = new Map(registry.dumpLocal().flatMap((d) => d.metrics.map((m) => [[...d.sub.map((s) => s.name), m.n].join('.'), m.v])));
    for (const n of [
      'Status.JVM.CPU.Load',
      'Status.JVM.CPU.Time',
      'Status.JVM.Memory.Heap.Used',
      'Status.JVM.Memory.Heap.Committed',
      'Status.JVM.Memory.Heap.Max',
      'Status.JVM.GarbageCollector.All.Count',
      'Status.JVM.GarbageCollector.All.Time',
      'Status.Node.Memory.RSS',
      'Status.Node.EventLoop.Delay.P99',
    ])
      assert.equal(typeof names.get(n), 'number', n);
    assert.equal(names.get('Status.JVM.Threads.Count'), 4);
    assert.ok((names.get('Status.JVM.Memory.Heap.Used') as number) > 0);
  } finally {
    stop();
  }
});

test('the Prometheus reporter: a port from the range, names and labels as Flink makes them, via prom-client', async () => {
  const base = await freePort();
  const registry = new MetricRegistry({ updateViews: false });
  const first = new PrometheusReporter({
    port: `${base}-${base + 5}`,
    host: '127.0.0.1',
    prefix: 'flink',
    filterLabelValueCharacters: true,
  });
  const second = new PrometheusReporter({
    port: `${base}-${base + 5}`,
    host: '127.0.0.1',
    prefix: 'flink',
    filterLabelValueCharacters: true,
  });
  await first.open(registry);
  await second.open(registry);
  try {
    assert.notEqual(first.port, second.port, 'two processes on one host each find a port in the range');
    const op = operatorGroup(taskGroup(registry, task), 'op-1', 'map');
    op.counter('numRecordsOut').inc(42);
    op.gauge('isBackPressured', () => false);
    op.gauge('name', () => 'not a number');
    op.addGroup('app').histogram('latency').update(3);
    const text = await (await fetch(`http://127.0.0.1:${first.port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('flink_taskmanager_job_task_operator_numRecordsOut{'));
    assert.ok(line, text);
    assert.match(line, / 42$/);
    assert.match(line, /operator_name="map"/);
    assert.match(line, /task_name="Source:_numbers____map"/, 'label values are filtered as Flink does');
    assert.match(line, new RegExp(`job_id="${task.jobId}"`));
    assert.match(line, /subtask_index="1"/);
    assert.match(text, /flink_taskmanager_job_task_operator_isBackPressured\{[^}]*\} 0/);
    assert.match(text, /flink_taskmanager_job_task_operator_app_latency\{[^}]*quantile="0.5"[^}]*\} 3/);
    assert.match(text, /flink_taskmanager_job_task_operator_app_latency_count\{[^}]*\} 1/);
    assert.doesNotMatch(text, /_name\{/, 'gauges without a number are left out');
    const blocker = new PrometheusReporter({
      port: String(first.port),
      host: '127.0.0.1',
      prefix: 'weir',
      filterLabelValueCharacters: true,
    });
    await assert.rejects(blocker.open(registry), /no free port in metrics.reporter.prom.port/);
  } finally {
    await first.close();
    await second.close();
  }
});

test('the log and JSON-lines file reporters write every metric', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-metrics-'));
  try {
    const registry = new MetricRegistry({ updateViews: false });
    taskManagerGroup(registry, 'h', 'tm-9').counter('numThings').inc(3);
    const lines: string[] = [];
    const log = new LogReporter(60_000, (t) => lines.push(t));
    const path = join(dir, 'sub', 'metrics.jsonl');
    const file = new JsonLinesFileReporter(60_000, path);
    await log.open(registry);
    await file.open(registry);
    await log.report();
    await file.report();
    await file.close();
    assert.match(lines[0]!, /-- Counters -+\nh\.taskmanager\.tm-9\.numThings: 3/);
    const rows = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.length, 2, 'one line per report, the last on close');
    assert.deepEqual(
      { identifier: rows[0]!.identifier, type: rows[0]!.type, value: rows[0]!.value, scope: rows[0]!.scope },
      { identifier: 'h.taskmanager.tm-9.numThings', type: 'counter', value: 3, scope: 'taskmanager' },
    );
    assert.deepEqual(rows[0]!.variables, { '<host>': 'h', '<tm_id>': 'tm-9' });
    // A directory where the file should be: it cannot be appended to.
    await assert.rejects(new JsonLinesFileReporter(1000, join(dir, 'sub')).open(registry), /cannot write metrics.reporter.file.path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reporters from the configuration; a reporter that cannot start is reported and left out', async () => {
  const c = Configuration.fromEntries({ 'metrics.reporters': 'prom,slf4j' });
  assert.deepEqual(reporterNames(c), ['prom', 'slf4j']);
  assert.deepEqual(
    createReporters(c, () => undefined).map((r) => r.name),
    ['prom', 'slf4j'],
  );
  assert.throws(
    () => createReporters(Configuration.fromEntries({ 'metrics.reporters': 'file' }), () => undefined),
    /metrics.reporter.file.path is not set/,
  );
  const port = await freePort();
  const taken = new PrometheusReporter({ port: String(port), host: '127.0.0.1', prefix: 'weir', filterLabelValueCharacters: true });
  await taken.open(new MetricRegistry({ updateViews: false }));
  const failures: string[] = [];
  const registry = new MetricRegistry({
    updateViews: false,
    reporters: [new PrometheusReporter({ port: String(port), host: '127.0.0.1', prefix: 'weir', filterLabelValueCharacters: true })],
  });
  await registry.start((name, e) => failures.push(`${name}: ${(e as Error).message}`));
  await taken.close();
  await registry.close();
  assert.equal(failures.length, 1);
  assert.match(failures[0]!, /^prom: .*WEIR_METRICS_REPORTER|^prom: The Prometheus reporter found no free port/);
});

test("the metric store names metrics as Flink's REST API does; get, agg and subtasks", () => {
  const registry = new MetricRegistry({ updateViews: false });
  const store = new MetricStore(registry);
  jobManagerGroup(registry, 'h').gauge('taskSlotsTotal', () => 4);
  jobManagerJobGroup(registry, 'h', task.jobId, 'j').gauge('uptime', () => 1234);
  const tmRegistry = new MetricRegistry({ updateViews: false });
  for (const subtask of [0, 1, 2]) {
    const tg = taskGroup(tmRegistry, { ...task, subtask });
    tg.counter('numRecordsIn').inc(10 * (subtask + 1));
    const op = operatorGroup(tg, 'op', 'map');
    op.counter('numRecordsOut').inc(subtask);
    op.addGroup('app').histogram('h').update(5);
  }
  const tm = taskManagerGroup(tmRegistry, 'h', 'tm-1');
  tm.gauge('Status.JVM.CPU.Load', () => 0.5);
  store.update('tm-1', tmRegistry.dumpLocal());
  assert.deepEqual(selectMetrics(store.jobManager(), 'taskSlotsTotal,unknown'), [{ id: 'taskSlotsTotal', value: '4' }]);
  assert.deepEqual(selectMetrics(store.job(task.jobId), undefined), [{ id: 'uptime' }]);
  assert.deepEqual(store.jobIds(), [task.jobId]);
  assert.deepEqual(store.taskManagerIds(), ['tm-1']);
  assert.equal(store.taskManager('tm-1')!.get('Status.JVM.CPU.Load'), '0.5');
  assert.equal(store.taskManager('tm-2'), undefined);
  assert.deepEqual(store.subtaskIndices(task.jobId, 'v1'), [0, 1, 2]);
  const sub = store.subtask(task.jobId, 'v1', 2);
  assert.equal(sub.get('numRecordsIn'), '30');
  assert.equal(sub.get('map.numRecordsOut'), '2', 'operator metrics carry the operator name');
  assert.equal(sub.get('map.app.h_median'), '5', 'histograms as Flink shows them');
  assert.equal(store.vertex(task.jobId, 'v1').get('1.numRecordsIn'), '20', 'vertex metrics carry the subtask index');
  const components = [0, 1, 2].map((i) => store.subtask(task.jobId, 'v1', i));
  assert.deepEqual(aggregateMetrics(components, 'numRecordsIn', parseAggregations(undefined)), [
    { id: 'numRecordsIn', min: 10, max: 30, avg: 20, sum: 60, skew: 50 },
  ]);
  assert.deepEqual(aggregateMetrics(components, 'numRecordsIn,nope', parseAggregations('sum,MAX')), [
    { id: 'numRecordsIn', sum: 60, max: 30 },
  ]);
  assert.ok(
    aggregateMetrics(components, undefined, []).some((m) => m.id === 'map.numRecordsOut'),
    'names without get',
  );
  assert.throws(() => parseAggregations('median'), /agg 'median' is not an aggregation/);
  assert.deepEqual(parseRanges('1,3,5-7'), [1, 3, 5, 6, 7]);
  assert.throws(() => parseRanges('3-1'), /not a range/);
  assert.throws(() => parseRanges('x'), /not an integer/);
  store.removeTaskManager('tm-1');
  assert.deepEqual(store.subtaskIndices(task.jobId, 'v1'), []);
});

test('user metric groups are what rich functions get from getMetricGroup()', () => {
  const registry = new MetricRegistry({ updateViews: false });
  const g: MetricGroup = operatorGroup(taskGroup(registry, task), 'op', 'map');
  const m = g.meter('events');
  m.markEvent(3);
  g.gauge('queue', { getValue: () => 9 });
  const [dump] = registry.dumpLocal().filter((d) => d.category === 'operator');
  assert.deepEqual(
    dump!.metrics.map((x) => [x.n, x.k]),
    [
      ['events', 'meter'],
      ['queue', 'gauge'],
    ],
  );
  assert.equal(m.getCount(), 3);
});

test('weir run on a terminal redraws its progress block in place: records per second, busy and backpressured time, last checkpoint', async () => {
  const { watchProgress } = await import('../../src/cli/commands/remote.js');
  let written = '';
  const out = Object.assign(new PassThrough(), { isTTY: true });
  out.on('data', (b: Buffer) => (written += b.toString()));
  let polls = 0;
  const progress = (): Promise<JobProgress> => {
    polls++;
    return Promise.resolve({
      status: 'RUNNING',
      vertices: [
        {
          id: 'v1',
          name: 'Source: events',
          parallelism: 2,
          status: 'RUNNING',
          metrics: {
            numRecordsIn: 10 * polls,
            numRecordsOut: 10 * polls,
            numBytesIn: 0,
            numBytesOut: 0,
            backPressuredTimeMs: 0,
            busyTimeMs: 0,
            idleTimeMs: 0,
          },
        },
      ],
      live: {
        vertices: {
          v1: { recordsInPerSecond: 12_345, recordsOutPerSecond: 900, busyTimeMsPerSecond: 250, backPressuredTimeMsPerSecond: 700 },
        },
        lastCheckpoint: { id: 7, durationMs: 42, sizeBytes: 2048, completedAt: Date.now() },
      },
    });
  };
  const stop = watchProgress({ jobId: 'j', cluster: { progress } }, out, 5);
  await waitFor('three redraws', 10_000, () => polls >= 3 && written.split('RUNNING').length > 3);
  stop();
  assert.match(
    written,
    /RUNNING — last checkpoint #7: 42 ms, 2\.0 KiB\n {2}Source: events \[p=2\] {2}\d+ in \/ \d+ out {2}12k\/s in, 900\/s out, busy 25%, backpressured 70%\n/,
  );
  assert.ok(written.includes('\x1b[2F\x1b[J'), 'the previous block (2 lines) is erased before the next is drawn');
});

test('values that are not finite numbers cross boundaries as text', () => {
  const registry = new MetricRegistry({ updateViews: false });
  const g = taskManagerGroup(registry, 'h', 'tm');
  g.gauge('nan', () => Number.NaN);
  g.gauge('inf', () => Number.POSITIVE_INFINITY);
  g.gauge('obj', () => ({ a: 1 }));
  g.histogram('h').update(Number.NaN);
  const byName = new Map(registry.dumpLocal()[0]!.metrics.map((m) => [m.n, m]));
  assert.equal(byName.get('nan')!.v, 'NaN');
  assert.equal(byName.get('inf')!.v, 'Infinity');
  assert.equal(byName.get('obj')!.v, '{"a":1}');
  assert.ok(Object.values(byName.get('h')!.h!).every((x) => Number.isFinite(x)));
});
