/**
 * Metrics end to end on a standalone cluster (a `weir jobmanager` and two `weir taskmanager`
 * processes, each with the Prometheus reporter): a real Prometheus scrapes them and PromQL through
 * its HTTP API sees every operator's records flowing and the program's user counter; the REST
 * metrics paths answer with Flink's semantics (`get`, `agg`, `subtasks`); and under a slow sink the
 * tasks' busy, idle and backpressured time add up to a second per second, backpressure upstream.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Configuration } from '../../dist/config/index.js';
import { runProgram } from '../../dist/client/run-program.js';
import { startCluster, stopCluster } from '../../dist/cluster/standalone/cluster-script.js';
import { RestClient } from '../../dist/rest/client.js';
import { freePort } from '../helpers/ports.js';
import { startPrometheus, type Prometheus } from '../helpers/services/prometheus.js';
import { waitFor } from '../helpers/wait.js';
import { weir, weirAsync } from './deploy-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-metrics-e2e-'));
const pidDir = join(dir, 'pid');
let restUrl = '';
let rest: RestClient;
let prometheus: Prometheus | undefined;
let promPorts: number[] = [];

before(async () => {
  const confDir = join(dir, 'conf');
  mkdirSync(confDir);
  const restPort = await freePort();
  // A range of ports for the three processes' endpoints; each takes the first free one in it.
  const base = await freePort();
  promPorts = Array.from({ length: 8 }, (_, i) => base + i);
  writeFileSync(
    join(confDir, 'config.yaml'),
    [
      `jobmanager.rpc.port: ${await freePort()}`,
      `rest.port: ${restPort}`,
      'taskmanager.numberOfTaskSlots: 1',
      'metrics.reporters: prom',
      `metrics.reporter.prom.port: ${base}-${base + promPorts.length - 1}`,
      'metrics.fetcher.update-interval: 500 ms',
      '',
    ].join('\n'),
  );
  await startCluster({ confDir, taskManagers: 2, logDir: join(dir, 'log'), pidDir });
  restUrl = `http://127.0.0.1:${restPort}`;
  rest = new RestClient({ url: restUrl });
});

after(async () => {
  await prometheus?.stop();
  await stopCluster({ pidDir });
});

async function submit(program: string): Promise<string> {
  const config = Configuration.fromEntries({
    'execution.target': 'remote',
    'execution.attached': false,
    'rest.port': Number(new URL(restUrl).port),
  });
  const run = await runProgram({ program, config });
  return run.jobs[0]!.jobId;
}

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${restUrl}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

test('Prometheus scrapes every process: records flow through every operator, the user counter counts', async (t) => {
  // Attached, as a user runs it: the client shows live progress while the job runs.
  const client = weirAsync(['run', '-m', `127.0.0.1:${new URL(restUrl).port}`, 'test/programs/metrics-job.ts']);
  const jobId = await waitFor('the job to be submitted', 60_000, () => /Submitted job '.*' \(([0-9a-f]{32})\)/.exec(client.output())?.[1]);
  t.after(async () => {
    await rest.cancelJob(jobId).catch(() => undefined);
    await waitFor('the attached client to end', 20_000, () => client.child.exitCode !== null).catch(() => client.child.kill('SIGKILL'));
  });
  prometheus = await startPrometheus(
    promPorts.map((p) => `127.0.0.1:${p}`),
    1000,
  );
  const up = await waitFor('the JobManager and both TaskManagers to be scraped', 30_000, async () => {
    const targets = (await prometheus!.targets()).filter((x) => x.health === 'up');
    return targets.length >= 3 && targets;
  });
  t.diagnostic(`scraped: ${up.map((x) => x.scrapeUrl).join(', ')}`);

  const operators = ['events', 'count', 'drop_tenth', 'sum_per_key', 'discard'];
  const flowing = await waitFor(
    'a non-zero rate of numRecordsOut for every operator',
    45_000,
    async () => {
      const rows = await prometheus!.query(
        `sum by (operator_name) (rate(weir_taskmanager_job_task_operator_numRecordsOut{job_id="${jobId}"}[5s]))`,
      );
      const positive = new Map(rows.filter((r) => r.value > 0).map((r) => [r.metric.operator_name!, r.value]));
      return operators.every((o) => [...positive.keys()].some((k) => k.includes(o))) && positive;
    },
    { maxIntervalMs: 1000 },
  );
  t.diagnostic(`records out per second: ${JSON.stringify(Object.fromEntries(flowing))}`);
  const user = await waitFor(
    'a non-zero rate of the user counter',
    20_000,
    async () => {
      const rows = await prometheus!.query(`sum(rate(weir_taskmanager_job_task_operator_app_processedEvents{job_id="${jobId}"}[5s]))`);
      return rows[0] !== undefined && rows[0].value > 0 && rows[0].value;
    },
    { maxIntervalMs: 1000 },
  );
  t.diagnostic(`user counter: ${user.toFixed(0)}/s`);
  assert.ok(user < 10_000, `the user counter follows the generator's 2000 records/s at most (${user})`);
  const tms = await prometheus.query('weir_jobmanager_numRegisteredTaskManagers');
  assert.equal(tms[0]?.value, 2, 'the JobManager reports its two TaskManagers');
  const heap = await prometheus.query('weir_taskmanager_Status_JVM_Memory_Heap_Used');
  assert.equal(heap.length, 2, 'each TaskManager reports its heap');
  const hist = await prometheus.query(`weir_taskmanager_job_task_operator_app_keySizes{job_id="${jobId}",quantile="0.5"}`);
  assert.ok(hist.length >= 1, 'user histograms are exported with quantiles');

  // The REST API's metrics paths, against the same running job.
  const job = await rest.job(jobId);
  const source = job.vertices[0]!;
  const names = await get<{ id: string }[]>(`/jobs/${jobId}/vertices/${source.id}/subtasks/0/metrics`);
  assert.equal(names.status, 200, JSON.stringify(names.body));
  for (const m of ['numRecordsOut', 'busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'isBackPressured'])
    assert.ok(
      names.body.some((x) => x.id === m),
      `subtask metric ${m} is listed`,
    );
  assert.ok(
    names.body.some((x) => x.id.endsWith('.app.processedEvents')),
    'operator metrics are listed with their operator name',
  );
  const agg = await waitFor('aggregated subtask metrics', 10_000, async () => {
    const r = await get<{ id: string; sum?: number; max?: number; min?: number; avg?: number; skew?: number }[]>(
      `/jobs/${jobId}/vertices/${source.id}/subtasks/metrics?get=numRecordsOut&agg=sum,max&subtasks=0-1`,
    );
    return r.body[0] !== undefined && r.body[0].sum! > 0 && r.body;
  });
  assert.deepEqual(Object.keys(agg[0]!).sort(), ['id', 'max', 'sum'], 'only the requested aggregations');
  assert.ok(agg[0]!.max! <= agg[0]!.sum!);
  const one = await get<{ id: string; value: string }[]>(
    `/jobs/${jobId}/vertices/${source.id}/subtasks/1/metrics?get=numRecordsOut,nonexistent`,
  );
  assert.equal(one.body.length, 1);
  assert.ok(Number(one.body[0]!.value) > 0);
  const vertex = await get<{ id: string }[]>(`/jobs/${jobId}/vertices/${source.id}/metrics`);
  assert.ok(
    vertex.body.some((x) => x.id === '0.numRecordsOut') && vertex.body.some((x) => x.id === '1.numRecordsOut'),
    'vertex metrics carry the subtask index',
  );
  const jm = await get<{ id: string; value: string }[]>('/jobmanager/metrics?get=numRegisteredTaskManagers,taskSlotsTotal,numRunningJobs');
  assert.deepEqual(Object.fromEntries(jm.body.map((m) => [m.id, m.value])), {
    numRegisteredTaskManagers: '2',
    taskSlotsTotal: '2',
    numRunningJobs: '1',
  });
  const jobMetrics = await get<{ id: string; value: string }[]>(`/jobs/${jobId}/metrics?get=uptime,numRestarts`);
  const jv = Object.fromEntries(jobMetrics.body.map((m) => [m.id, Number(m.value)]));
  assert.ok(jv.uptime! > 0 && jv.numRestarts === 0, JSON.stringify(jv));
  const jobsAgg = await get<{ id: string; max: number }[]>('/jobs/metrics?get=uptime&agg=max');
  assert.ok(jobsAgg.body[0]!.max > 0);
  const tmAgg = await get<{ id: string; min: number; sum: number }[]>('/taskmanagers/metrics?get=Status.JVM.Memory.Heap.Used&agg=min,sum');
  assert.ok(tmAgg.body[0]!.min > 0 && tmAgg.body[0]!.sum >= 2 * tmAgg.body[0]!.min);
  const tmId = (await rest.request<{ taskmanagers: { id: string }[] }>('GET', '/taskmanagers')).taskmanagers[0]!.id;
  const tm = await get<{ id: string; value: string }[]>(`/taskmanagers/${encodeURIComponent(tmId)}/metrics?get=Status.JVM.CPU.Time`);
  assert.ok(Number(tm.body[0]?.value) > 0);
  const bad = await get<{ errors: string[] }>(`/jobs/${jobId}/vertices/${source.id}/subtasks/metrics?get=numRecordsOut&agg=median`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.errors[0]!, /agg 'median' is not an aggregation/);
  const unknown = await get<unknown[]>(`/jobs/${'0'.repeat(32)}/metrics`);
  assert.deepEqual([unknown.status, unknown.body], [200, []], 'a job without metrics has none (as Flink)');

  // The CLI: the attached run's progress lines carry rates, busy and backpressured time; weir list the throughput.
  const line = await waitFor('live progress with rates', 20_000, () =>
    client
      .output()
      .split('\n')
      .find(
        (l) =>
          /RUNNING — .*\(\d[\d.]*k?\/s in, \d[\d.]*k?\/s out, busy \d+%, backpressured \d+%\)/.test(l) && !/\(0\/s in, 0\/s out/.test(l),
      ),
  );
  t.diagnostic(`progress: ${line}`);
  const list = weir('list', '-m', `127.0.0.1:${new URL(restUrl).port}`);
  assert.equal(list.code, 0, list.out);
  assert.match(list.out, /THROUGHPUT/);
  const row = list.out.split('\n').find((l) => l.startsWith(jobId));
  assert.match(row ?? '', /RUNNING .* \d[\d.]*k?\/s/, list.out);
  await rest.cancelJob(jobId);
});

test('busy, idle and backpressured time add up to 1000 ms per second; backpressure dominates upstream of a slow sink', async (t) => {
  await waitFor(
    'the slots to be free',
    20_000,
    async () => (await get<{ 'slots-available': number }>('/overview')).body['slots-available'] === 2,
  );
  const jobId = await submit('test/programs/slow-sink-keyed.ts');
  t.after(() => rest.cancelJob(jobId).catch(() => undefined));
  const job = await waitFor('the job to run', 20_000, async () => {
    const j = await rest.job(jobId);
    return j.vertices.length === 2 && j.vertices.every((v) => v.status === 'RUNNING') && j;
  });
  const [source, sink] = [job.vertices[0]!, job.vertices[1]!];
  const times = 'busyTimeMsPerSecond,idleTimeMsPerSecond,backPressuredTimeMsPerSecond';
  type Row = { id: string; value: string };
  const read = async (vid: string, idx: number): Promise<Record<string, number>> => {
    const r = await get<Row[]>(`/jobs/${jobId}/vertices/${vid}/subtasks/${idx}/metrics?get=${times}`);
    return Object.fromEntries(r.body.map((m) => [m.id.replace('TimeMsPerSecond', ''), Number(m.value)]));
  };
  // Timer gauges and meters are views updated every 5 s: wait until every subtask's have been (its meter shows a rate).
  await waitFor(
    'the views of every subtask to be updated',
    30_000,
    async () => {
      const rates = await Promise.all(
        [source.id, source.id, sink.id, sink.id].map((v, i) =>
          get<Row[]>(`/jobs/${jobId}/vertices/${v}/subtasks/${i % 2}/metrics?get=numRecordsInPerSecond`),
        ),
      );
      return rates.every((r) => Number(r.body[0]?.value ?? 0) > 0);
    },
    { maxIntervalMs: 500 },
  );
  const final = [await read(source.id, 0), await read(source.id, 1), await read(sink.id, 0), await read(sink.id, 1)];
  t.diagnostic(`source: ${JSON.stringify(final.slice(0, 2))}, sink: ${JSON.stringify(final.slice(2))}`);
  for (const s of final) {
    const total = s.busy! + s.idle! + s.backPressured!;
    assert.ok(Math.abs(total - 1000) <= 20, `busy + idle + backpressured ≈ 1000 ms/s (${JSON.stringify(s)})`);
  }
  for (const s of final.slice(0, 2))
    assert.ok(s.backPressured! > 700, `the sources are backpressured most of the time (${JSON.stringify(s)})`);
  for (const s of final.slice(2)) assert.ok(s.busy! > s.backPressured!, `the slow sink is busy, not backpressured (${JSON.stringify(s)})`);
  // accumulated over the job's life: it passes 3 s of backpressure some seconds after the source starts, whenever the views first updated
  const av = await waitFor('3 s of backpressure accumulated by a source subtask', 20_000, async () => {
    const acc = await get<{ id: string; value: string }[]>(
      `/jobs/${jobId}/vertices/${source.id}/subtasks/0/metrics?get=accumulatedBackPressuredTime,isBackPressured`,
    );
    const m = Object.fromEntries(acc.body.map((x) => [x.id, x.value]));
    return Number(m.accumulatedBackPressuredTime) > 3000 && m;
  });
  assert.ok(av.isBackPressured === 'true' || av.isBackPressured === 'false', JSON.stringify(av));
  await rest.cancelJob(jobId);
});
