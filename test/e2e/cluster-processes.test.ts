/**
 * A standalone cluster of real processes: a JobManager (runJobManager, in this process, with its
 * RPC server on a loopback port) and TaskManagers started as separate `node` processes
 * (runTaskManager), authenticated with a cluster secret.
 *
 * - a keyed exchange crosses two TaskManager processes and gives the right sums;
 * - a TaskManager killed with SIGKILL during a job: the job fails over to the remaining slots and
 *   finishes with the right result, while a job on another TaskManager is not touched;
 * - a stopped TaskManager (SIGSTOP) is lost by missed heartbeats and registers again when resumed;
 * - wrong secrets, garbage frames and malformed messages are refused without disturbing the cluster;
 * - a TaskManager ignores messages that do not carry the fencing token of its JobManager.
 *
 * Every wait has a deadline; every process started here is killed in after().
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import type { SubmittedJob } from '../../dist/client/program-executor.js';
import { graphDefaults, runProgram } from '../../dist/client/run-program.js';
import { bundleProgram } from '../../dist/client/bundler.js';
import { inspectProgram } from '../../dist/client/inspect-program.js';
import { runJobManager, type JobManagerProcess } from '../../dist/cluster/standalone/jobmanager-main.js';
import { runTaskManager } from '../../dist/cluster/standalone/taskmanager-main.js';
import type { JobResult } from '../../dist/runtime/jobmanager/job-master.js';
import { buildCli } from '../../dist/cli/main.js';
import { startCluster, stopCluster } from '../../dist/cluster/standalone/cluster-script.js';
import { connect, listen, type Logger } from '../../dist/runtime/rpc/transport.js';
import { dataPlaneSchema, jobManagerRpcSchema, registrationResponseSchema, taskManagerRpcSchema } from '../../dist/runtime/rpc/validate.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const program = (name: string): string => path.join(root, 'test', 'programs', name);
const SECRET = 'test-cluster-secret-0123456789abcdef';

// ---------------------------------------------------------------- helpers

function captureLogger(lines: string[]): Logger {
  const at = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
  return { debug: () => undefined, info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

interface TmProcess {
  name: string;
  child: ChildProcess;
  output: string[];
  id: string | undefined;
  exited: Promise<unknown>;
}

const processes: TmProcess[] = [];

let workDir: string | undefined;
let launcher: string | undefined;

/** Starts `runTaskManager` in a new node process (what `weir taskmanager` runs). */
function startTaskManager(name: string, jobManagerAddress: string, slots: number): TmProcess {
  if (!launcher) {
    workDir = mkdtempSync(path.join(tmpdir(), 'weir-cluster-test-'));
    // A file, not `node -e`: worker threads inherit the process's execArgv.
    launcher = path.join(workDir, 'taskmanager.mjs');
    writeFileSync(
      launcher,
      `const { Configuration } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/config/index.js')).href)});\n` +
        `const { runTaskManager } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/cluster/standalone/taskmanager-main.js')).href)});\n` +
        `await runTaskManager(Configuration.fromEntries(JSON.parse(process.env.WEIR_TEST_CONFIG)), process.env.WEIR_TEST_JOBMANAGER);\n`,
    );
  }
  const config = { 'security.cluster.secret': SECRET, 'taskmanager.numberOfTaskSlots': slots, 'weir.log.level': 'info' };
  const child = spawn(process.execPath, [launcher], {
    cwd: root,
    // TMPDIR: the BlobCache of a TaskManager killed with SIGKILL stays inside the test's directory.
    env: { ...process.env, TMPDIR: workDir, WEIR_TEST_CONFIG: JSON.stringify(config), WEIR_TEST_JOBMANAGER: jobManagerAddress },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tm: TmProcess = { name, child, output: [], id: undefined, exited: once(child, 'exit') };
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      tm.output.push(line);
      const m = / TaskManager (\S+) starting:/.exec(line);
      if (m) tm.id = m[1];
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  processes.push(tm);
  return tm;
}

/** The final value of each key: the last (largest, as every value is positive) sum collected for it. */
function finalSums(r: JobResult): Map<number, number> {
  const out = new Map<number, number>();
  for (const rows of Object.values(r.collected)) {
    for (const row of rows as { k: number; v: number }[]) out.set(row.k, Math.max(out.get(row.k) ?? 0, row.v));
  }
  return out;
}

function expectedSums(values: Iterable<number>, keys: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of values) out.set(v % keys, (out.get(v % keys) ?? 0) + v);
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

// ---------------------------------------------------------------- the cluster

let jm: JobManagerProcess;
const jmLog: string[] = [];
let tmA: TmProcess;
let tmB: TmProcess;
const jobConfig = Configuration.fromEntries({
  'restart-strategy.type': 'fixed-delay',
  'restart-strategy.fixed-delay.attempts': 3,
  'restart-strategy.fixed-delay.delay': '200 ms',
});

const registered = (): string[] => jm.rpc.taskManagerIds;

before(async () => {
  jm = await runJobManager(
    Configuration.fromEntries({
      'jobmanager.rpc.address': '127.0.0.1',
      'jobmanager.rpc.port': 0,
      'rest.port': 0,
      'heartbeat.interval': '200 ms',
      'heartbeat.timeout': '1 s',
      'security.cluster.secret': SECRET,
    }),
    { handleSignals: false, log: captureLogger(jmLog) },
  );
  tmA = startTaskManager('a', jm.rpcAddress, 1);
  await waitFor('TaskManager a to register', 30_000, () => registered().length === 1);
  tmB = startTaskManager('b', jm.rpcAddress, 1);
  await waitFor('TaskManager b to register', 30_000, () => registered().length === 2);
  assert.deepEqual(registered(), [tmA.id, tmB.id]);
});

after(async () => {
  // SIGTERM (a graceful shutdown), then SIGKILL whatever is still running after 10 s.
  const running = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  for (const p of running) p.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  }, 10_000);
  await Promise.all(running.map((p) => p.exited));
  clearTimeout(timer);
  await jm?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- tests

test('a keyed exchange crosses two TaskManager processes', async () => {
  let used: string[] = [];
  const run = await runProgram({
    program: program('cluster-keyed.ts'),
    args: ['20000', '10'],
    config: jobConfig,
    cluster: jm.client,
    listener: { onSubmitted: (j) => (used = jm.jobManager.dispatcher.job(j.jobId).taskManagerIds) },
  });
  const r = run.results[0]!;
  assert.equal(r.status, 'FINISHED', JSON.stringify(r.error));
  assert.deepEqual(new Set(used), new Set([tmA.id, tmB.id]), 'subtask 0 and 1 ran on different TaskManagers');
  assert.deepEqual(finalSums(r), expectedSums(range(1, 20_000), 10));
  // The records went over the TCP data connection between the two processes.
  for (const tm of [tmA, tmB]) {
    assert.ok(
      tm.output.some((l) => l.includes('data connection with TaskManager') && l.includes('established')),
      `TaskManager ${tm.name} logged its data connection:\n${tm.output.join('\n')}`,
    );
  }
  // Log lines carry timestamps.
  assert.match(tmA.output[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO /);
});

test('a TaskManager killed with SIGKILL: its job restarts on other slots, a job elsewhere is unaffected', async () => {
  const tmC = startTaskManager('c', jm.rpcAddress, 2);
  await waitFor('TaskManager c to register', 30_000, () => registered().length === 3);

  const submitted: SubmittedJob[] = [];
  const start = (args: string[]): Promise<Awaited<ReturnType<typeof runProgram>>> =>
    runProgram({
      program: program('cluster-datagen.ts'),
      args,
      config: jobConfig,
      cluster: jm.client,
      listener: { onSubmitted: (j) => submitted.push(j) },
    });
  // One program run at a time may be between its start and its submission (main() is global).
  const steady = start(['steady', '1', '3000', '600', '5']);
  await waitFor('the steady job to be submitted', 30_000, () => submitted.length === 1);
  const victimJob = start(['victim', '2', '3000', '1000', '7']);
  await waitFor('the victim job to be submitted', 30_000, () => submitted.length === 2);
  const steadyJm = jm.jobManager.dispatcher.job(submitted[0]!.jobId);
  const victimJm = jm.jobManager.dispatcher.job(submitted[1]!.jobId);

  const victimId = victimJm.taskManagerIds.find((id) => !steadyJm.taskManagerIds.includes(id));
  assert.ok(
    victimId,
    `the victim job runs on a TaskManager the steady job does not use (${victimJm.taskManagerIds} / ${steadyJm.taskManagerIds})`,
  );
  const victim = processes.find((p) => p.id === victimId)!;
  assert.ok(victim, `the process of TaskManager ${victimId}`);

  // Kill it while records flow into the victim job's sink.
  await waitFor('the victim job to process records', 30_000, () => {
    const v = victimJm.vertexSummaries();
    return victimJm.status === 'RUNNING' && v.at(-1)!.metrics.numRecordsIn > 200;
  });
  victim.child.kill('SIGKILL');
  await victim.exited;

  const [s, v] = await Promise.all([steady, victimJob]);
  const steadyResult = s.results[0]!;
  const victimResult = v.results[0]!;
  assert.equal(victimResult.status, 'FINISHED', JSON.stringify(victimResult.error));
  assert.ok(victimJm.attempt >= 1, 'the victim job restarted');
  assert.ok(
    victimJm.exceptions.some((e) => /was lost|broke/.test(e.error.message)),
    `the failure names the lost TaskManager: ${JSON.stringify(victimJm.exceptions.map((e) => e.error.message))}`,
  );
  assert.deepEqual(finalSums(victimResult), expectedSums(range(0, 2999), 7));
  assert.ok(!victimJm.taskManagerIds.includes(victimId));

  assert.equal(steadyResult.status, 'FINISHED', JSON.stringify(steadyResult.error));
  assert.equal(steadyJm.attempt, 0, 'the steady job never restarted');
  assert.equal(steadyJm.exceptions.length, 0);
  assert.deepEqual(finalSums(steadyResult), expectedSums(range(0, 2999), 5));

  assert.ok(!registered().includes(victimId), 'the killed TaskManager is unregistered');
  assert.ok(
    jmLog.some((l) => l.includes(`TaskManager ${victimId} is lost: connection closed`)),
    'the JobManager saw the connection close',
  );
  assert.equal(tmC.child.exitCode, null);
});

test('a TaskManager that stops answering is lost after heartbeat.timeout, and registers again when it resumes', async () => {
  const tm = processes.find((p) => p.id !== undefined && registered().includes(p.id))!;
  const id = tm.id!;
  const before = registered().length;
  tm.child.kill('SIGSTOP');
  try {
    await waitFor(`TaskManager ${id} to be lost by heartbeat`, 10_000, () => !registered().includes(id));
    assert.ok(
      jmLog.some((l) => l.includes(`TaskManager ${id} is lost: no heartbeat`)),
      jmLog.join('\n'),
    );
  } finally {
    tm.child.kill('SIGCONT');
  }
  await waitFor(`TaskManager ${id} to register again`, 20_000, () => registered().includes(id) && registered().length === before);
  assert.ok(
    tm.output.some((l) => l.includes('lost the JobManager')),
    tm.output.join('\n'),
  );
});

test('unauthenticated, garbage and malformed RPC connections are refused without disturbing the cluster', async () => {
  const [host, port] = [jm.rpc.address.host, jm.rpc.address.port];
  const tmsBefore = registered();
  const opts = (secret: string, id: string) => ({
    secret,
    self: { role: 'taskmanager' as const, id },
    peerRoles: ['jobmanager' as const],
    incoming: jobManagerRpcSchema,
    log: captureLogger([]),
  });

  // A wrong secret: the JobManager refuses the handshake.
  await assert.rejects(connect(host, port, opts('not-the-secret', 'intruder')), /wrong cluster secret/);
  // A JobManager that does not know the secret is refused by the client too.
  const fake = await listen(
    '127.0.0.1',
    0,
    {
      secret: 'other',
      self: { role: 'jobmanager', id: 'fake' },
      peerRoles: ['taskmanager'],
      incoming: taskManagerRpcSchema,
      log: captureLogger([]),
    },
    () => undefined,
  );
  await assert.rejects(connect('127.0.0.1', fake.port, opts(SECRET, 'tm-x')), /wrong cluster secret|does not know the cluster secret/);
  await fake.close();

  // Garbage bytes: a huge length prefix, then bytes that are not MessagePack.
  for (const garbage of [Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1])]) {
    const sock = net.connect({ host, port });
    sock.on('error', () => undefined);
    sock.resume();
    await once(sock, 'connect');
    sock.write(garbage);
    await Promise.race([
      once(sock, 'close'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the JobManager kept a garbage connection open')), 5_000)),
    ]);
  }

  // The right secret, but a malformed request: that connection is closed, nothing is registered.
  const conn = await connect<unknown, unknown>(host, port, opts(SECRET, 'malformed'));
  const closed = new Promise<string>((r) => conn.onClose(r));
  await assert.rejects(
    conn.request({ type: 'register', tmId: 'malformed', slots: 'many', dataAddress: 'x:1' }, registrationResponseSchema, 5_000),
  );
  await closed;
  // A report before registering is refused as well.
  const conn2 = await connect<unknown, unknown>(host, port, opts(SECRET, 'early'));
  const closed2 = new Promise<string>((r) => conn2.onClose(r));
  conn2.send({ type: 'report', msg: { type: 'collect', jobId: 'x', attempt: 0, collectId: 'c', values: [] } });
  await closed2;

  // A TaskManager's data port refuses a wrong secret too.
  const tm = processes.find((p) => p.id !== undefined && registered().includes(p.id))!;
  const dataPort = Number(/:(\d+)-[0-9a-f]+$/.exec(tm.id!)![1]);
  await assert.rejects(
    connect('127.0.0.1', dataPort, {
      secret: 'wrong',
      self: { role: 'taskmanager-data', id: 'intruder' },
      peerRoles: ['taskmanager-data'],
      incoming: dataPlaneSchema,
      log: captureLogger([]),
    }),
    /wrong cluster secret/,
  );

  assert.ok(jmLog.some((l) => l.includes('authentication failed')));
  assert.ok(jmLog.some((l) => l.includes('malformed frame')));
  assert.ok(
    jmLog.some((l) => l.includes('invalid request: message.slots')),
    jmLog.join('\n'),
  );
  assert.ok(jmLog.some((l) => l.includes('report message before registration')));
  assert.deepEqual(registered(), tmsBefore, 'the registered TaskManagers did not change');

  // The cluster still runs jobs across its TaskManagers.
  const run = await runProgram({ program: program('cluster-keyed.ts'), args: ['5000', '3'], config: jobConfig, cluster: jm.client });
  assert.equal(run.results[0]!.status, 'FINISHED');
  assert.deepEqual(finalSums(run.results[0]!), expectedSums(range(1, 5000), 3));
});

test('a TaskManager ignores messages without its JobManager fencing token', async () => {
  const log: string[] = [];
  const sent: unknown[] = [];
  let resolveConn!: (c: { send(m: unknown): boolean }) => void;
  const connected = new Promise<{ send(m: unknown): boolean }>((r) => (resolveConn = r));
  const fakeJm = await listen<unknown, { type: string }>(
    '127.0.0.1',
    0,
    {
      secret: SECRET,
      self: { role: 'jobmanager', id: 'fake-jm' },
      peerRoles: ['taskmanager'],
      incoming: taskManagerRpcSchema,
      log: captureLogger([]),
    },
    (conn) => {
      conn.onRequest = (m) => {
        sent.push(m);
        if (m.type === 'register') {
          queueMicrotask(() => resolveConn(conn));
          return { type: 'registered', fencingToken: 'the-right-token', heartbeatInterval: 200, heartbeatTimeout: 5000 };
        }
        throw new Error('no');
      };
    },
  );
  const tm = await runTaskManager(
    Configuration.fromEntries({ 'security.cluster.secret': SECRET, 'taskmanager.numberOfTaskSlots': 1 }),
    `127.0.0.1:${fakeJm.port}`,
    { handleSignals: false, log: captureLogger(log) },
  );
  try {
    await Promise.race([tm.registered(), new Promise((_, rej) => setTimeout(() => rej(new Error('no registration')), 10_000))]);
    const conn = await connected;
    conn.send({ type: 'toTaskManager', fencingToken: 'a-stale-token', msg: { type: 'releaseJob', jobId: 'j1' } });
    await waitFor('the rejection', 5_000, () => log.some((l) => l.includes('rejected a releaseJob message with a wrong fencing token')));
    // The right token is accepted (a heartbeat keeps the connection alive, nothing is logged).
    conn.send({ type: 'heartbeat', fencingToken: 'the-right-token' });
    assert.equal(log.filter((l) => l.includes('wrong fencing token')).length, 1);
    assert.equal(tm.taskManager.activeWorkers, 0);
  } finally {
    await tm.close();
    await fakeJm.close();
  }
});

test('a malformed job graph submitted over REST is a 400 naming the field, and no TaskManager or running job notices', async () => {
  const restUrl = jm.restUrl!;
  const tmsBefore = registered();
  const submitted: SubmittedJob[] = [];
  const steady = runProgram({
    program: program('cluster-datagen.ts'),
    args: ['steady-rest', '1', '3000', '1000', '5'],
    config: jobConfig,
    cluster: jm.client,
    listener: { onSubmitted: (j) => submitted.push(j) },
  });
  await waitFor('the steady job to be submitted', 30_000, () => submitted.length === 1);
  const steadyJm = jm.jobManager.dispatcher.job(submitted[0]!.jobId);
  await waitFor('the steady job to run', 30_000, () => steadyJm.status === 'RUNNING');

  const file = program('cluster-keyed.ts');
  const bundle = await bundleProgram(file);
  const upload = await fetch(`${restUrl}/bundles/upload?name=x.mjs`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: readFileSync(bundle.path),
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(upload.status, 200);
  const { id } = (await upload.json()) as { id: string };
  const { jobGraph } = await inspectProgram(file, ['100', '3'], Configuration.fromEntries({}));
  const good = {
    jobGraph,
    programArgs: ['100', '3'],
    cwd: root,
    executionIndex: 0,
    graphDefaults: graphDefaults(Configuration.fromEntries({})),
  };
  const run = async (body: unknown): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${restUrl}/bundles/${id}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, text: await res.text() };
  };
  const { structureFingerprint: _dropped, ...noStructure } = jobGraph;
  const noKeyed = {
    ...jobGraph,
    vertices: jobGraph.vertices.map((v, i) => (i === 0 ? { ...v, operators: v.operators.map(({ keyed: _k, ...op }) => op) } : v)),
  };
  const badId = { ...jobGraph, vertices: jobGraph.vertices.map((v, i) => (i === 0 ? { ...v, id: 'a/b' } : v)) };
  for (const [what, jg, field] of [
    ['no structureFingerprint', noStructure, /structureFingerprint is missing/],
    ['an operator without keyed', noKeyed, /vertices\[0\]\.operators\[0\]\.keyed is missing/],
    ['a vertex id with a slash', badId, /vertices\[0\]\.id must be a name/],
  ] as const) {
    const r = await run({ ...good, jobGraph: jg });
    assert.equal(r.status, 400, `${what}: ${r.text}`);
    assert.match(r.text, field, what);
    assert.match(r.text, /WEIR_BAD_PIPELINE/, what);
  }

  const s = await steady;
  assert.equal(s.results[0]!.status, 'FINISHED', JSON.stringify(s.results[0]!.error));
  assert.equal(steadyJm.attempt, 0, 'the steady job never restarted');
  assert.deepEqual(registered(), tmsBefore, 'no TaskManager was lost');
  for (const p of processes) assert.ok(!p.output.some((l) => l.includes('invalid message')), p.output.join('\n'));
});

test('a TaskManager that cannot read a submitted task fails that task and keeps its connection', async () => {
  const log: string[] = [];
  const reports: unknown[] = [];
  let resolveConn!: (c: { send(m: unknown): boolean; closed: boolean }) => void;
  const connected = new Promise<{ send(m: unknown): boolean; closed: boolean }>((r) => (resolveConn = r));
  const fakeJm = await listen<unknown, { type: string; msg?: unknown }>(
    '127.0.0.1',
    0,
    {
      secret: SECRET,
      self: { role: 'jobmanager', id: 'fake-jm' },
      peerRoles: ['taskmanager'],
      incoming: taskManagerRpcSchema,
      log: captureLogger([]),
    },
    (conn) => {
      conn.onMessage = (m) => {
        if (m.type === 'report') reports.push(m.msg);
      };
      conn.onRequest = (m) => {
        if (m.type === 'register') {
          queueMicrotask(() => resolveConn(conn));
          return { type: 'registered', fencingToken: 'tok', heartbeatInterval: 200, heartbeatTimeout: 5000 };
        }
        throw new Error('no');
      };
    },
  );
  const tm = await runTaskManager(
    Configuration.fromEntries({ 'security.cluster.secret': SECRET, 'taskmanager.numberOfTaskSlots': 1 }),
    `127.0.0.1:${fakeJm.port}`,
    { handleSignals: false, log: captureLogger(log) },
  );
  try {
    await Promise.race([tm.registered(), new Promise((_, rej) => setTimeout(() => rej(new Error('no registration')), 10_000))]);
    const conn = await connected;
    // A deployment without most of its fields: the job, attempt and task are readable, the rest is not.
    conn.send({
      type: 'toTaskManager',
      fencingToken: 'tok',
      msg: {
        type: 'submitTask',
        deployment: { jobId: 'j1', attempt: 0, jobGraph: { jobName: 'broken' } },
        slot: 0,
        task: { vertexId: 'v1', subtask: 0, locations: {} },
      },
    });
    await waitFor('the task failure report', 10_000, () => reports.length > 0);
    const r = reports[0] as {
      type: string;
      jobId: string;
      vertexId: string;
      subtask: number;
      state: string;
      error: { code: string; message: string };
    };
    assert.equal(r.type, 'taskState');
    assert.deepEqual([r.jobId, r.vertexId, r.subtask, r.state], ['j1', 'v1', 0, 'FAILED']);
    assert.match(r.error.message, /cannot read the task v1\/0.*message\.msg\.deployment\.\w+ is missing/);
    // The connection stays: later messages on it are still read.
    conn.send({ type: 'toTaskManager', fencingToken: 'tok', msg: { type: 'releaseJob', jobId: 'j1' } });
    conn.send({
      type: 'toTaskManager',
      fencingToken: 'tok',
      msg: { type: 'submitTask', deployment: { jobId: 'j2', attempt: 1 }, slot: 0, task: { vertexId: 'v2', subtask: 3, locations: {} } },
    });
    await waitFor('the second task failure report', 10_000, () => reports.length === 2);
    assert.deepEqual((reports[1] as { jobId: string; attempt: number }).jobId, 'j2');
    assert.equal(conn.closed, false, log.join('\n'));
    assert.ok(!log.some((l) => l.includes('lost the JobManager')), log.join('\n'));
    assert.equal(tm.taskManager.activeWorkers, 0);
  } finally {
    await tm.close();
    await fakeJm.close();
  }
});

test('a TaskManager that loses its JobManager says so with WEIR_JOBMANAGER_LOST, naming its address', async () => {
  const log: string[] = [];
  let drop!: () => void;
  const registeredHere = new Promise<void>((r) => (drop = r));
  let closeConn: (() => void) | undefined;
  const fakeJm = await listen<unknown, { type: string }>(
    '127.0.0.1',
    0,
    {
      secret: SECRET,
      self: { role: 'jobmanager', id: 'fake-jm' },
      peerRoles: ['taskmanager'],
      incoming: taskManagerRpcSchema,
      log: captureLogger([]),
    },
    (conn) => {
      closeConn = () => conn.close('the JobManager is shutting down', 'info', true);
      conn.onRequest = (m) => {
        if (m.type !== 'register') throw new Error('no');
        queueMicrotask(drop);
        return { type: 'registered', fencingToken: 'tok', heartbeatInterval: 200, heartbeatTimeout: 5000 };
      };
    },
  );
  const tm = await runTaskManager(
    Configuration.fromEntries({ 'security.cluster.secret': SECRET, 'taskmanager.numberOfTaskSlots': 1 }),
    `127.0.0.1:${fakeJm.port}`,
    { handleSignals: false, log: captureLogger(log) },
  );
  try {
    await Promise.race([registeredHere, new Promise((_, rej) => setTimeout(() => rej(new Error('no registration')), 10_000))]);
    await waitFor('the registration', 10_000, () => log.some((l) => l.includes('registered at the JobManager')));
    closeConn!();
    await waitFor('the loss to be logged', 10_000, () => log.some((l) => l.includes('lost the JobManager')));
    const line = log.find((l) => l.includes('lost the JobManager'))!;
    assert.match(line, new RegExp(`The JobManager at 127\\.0\\.0\\.1:${fakeJm.port} is gone .*check its log.*\\[WEIR_JOBMANAGER_LOST\\]`));
  } finally {
    await tm.close();
    await fakeJm.close();
  }
});

test('a sink that cannot be set up fails its job quickly with a clear error; the TaskManagers stay', async () => {
  const tmsBefore = registered();
  const noRestart = { 'restart-strategy.type': 'none' };
  const cases = [
    { args: ['file', '/proc/weir-test'], config: noRestart, code: 'WEIR_IO', match: /\/proc\/weir-test.*regular file system/ },
    {
      args: ['hang'],
      config: { ...noRestart, 'task.setup.timeout': '1 s' },
      code: 'WEIR_SETUP_TIMEOUT',
      match: /NeverReadySink did not finish setting up within 1000 ms \(task\.setup\.timeout\)/,
    },
  ];
  for (const c of cases) {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    // execute() throws the job's failure.
    const failure = await Promise.race([
      runProgram({ program: program('sink-setup.ts'), args: c.args, config: Configuration.fromEntries(c.config), cluster: jm.client }).then(
        () => assert.fail(`${c.args[0]}: the job did not fail`),
        (e: unknown) => e as { code?: string; message?: string },
      ),
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${c.args[0]}: the job did not fail within 60 s`)), 60_000))),
    ]).finally(() => clearTimeout(timer));
    assert.equal(failure.code, c.code, failure.message);
    assert.match(failure.message ?? '', c.match);
    assert.ok(Date.now() - started < 30_000, `failed after ${Date.now() - started} ms`);
  }
  assert.deepEqual(registered(), tmsBefore, 'no TaskManager was lost');
});

test('a TaskManager whose slot thread is stuck in native code still exits on SIGTERM, within its shutdown deadline', async () => {
  const jm2 = await runJobManager(
    Configuration.fromEntries({
      'jobmanager.rpc.address': '127.0.0.1',
      'jobmanager.rpc.port': 0,
      'rest.port': 0,
      'security.cluster.secret': SECRET,
    }),
    { handleSignals: false, log: captureLogger([]) },
  );
  const marker = path.join(workDir!, `stuck-${Date.now()}.marker`);
  try {
    const tm = startTaskManager('stuck', jm2.rpcAddress, 1);
    await waitFor('the TaskManager to register', 30_000, () => jm2.rpc.taskManagerIds.length === 1);
    const running = runProgram({
      program: program('stuck-worker.ts'),
      args: [marker],
      config: Configuration.fromEntries({ 'restart-strategy.type': 'none' }),
      cluster: jm2.client,
    }).catch(() => undefined);
    await waitFor('the slot thread to get stuck', 60_000, () => existsSync(marker));
    const signalled = Date.now();
    tm.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      tm.exited,
      new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('the TaskManager did not exit within 40 s of SIGTERM')), 40_000))),
    ]).finally(() => clearTimeout(timer));
    assert.ok(Date.now() - signalled < 40_000);
    assert.ok(
      tm.output.some((l) => l.includes('shutdown took longer than')),
      tm.output.join('\n'),
    );
    await jm2.close();
    await running;
  } finally {
    await jm2.close();
  }
});

test('weir cluster start/stop: JobManager and TaskManager processes run a job submitted over REST', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-cluster-script-'));
  const pidDir = path.join(dir, 'pid');
  try {
    const [rpcPort, restPort] = [await freePort(), await freePort()];
    const confDir = path.join(dir, 'conf');
    mkdirSync(confDir);
    writeFileSync(path.join(confDir, 'config.yaml'), `jobmanager.rpc.port: ${rpcPort}\nrest.port: ${restPort}\n`);
    // Until the CLI has the jobmanager/taskmanager subcommands, a stand-in does what they do.
    const cliReady = buildCli().commands.some((c) => c.name() === 'taskmanager');
    let weirCommand: string[] | undefined;
    if (!cliReady) {
      const shim = path.join(dir, 'weir-shim.mjs');
      const url = (p: string): string => JSON.stringify(pathToFileURL(path.join(root, 'dist', p)).href);
      writeFileSync(
        shim,
        `const [role, ...rest] = process.argv.slice(2);\n` +
          `const arg = (n) => rest[rest.indexOf(n) + 1];\n` +
          `const { loadConfiguration } = await import(${url('config/index.js')});\n` +
          `const config = loadConfiguration({ confDir: arg('--conf-dir') });\n` +
          `if (role === 'jobmanager') await (await import(${url('cluster/standalone/jobmanager-main.js')})).runJobManager(config);\n` +
          `else await (await import(${url('cluster/standalone/taskmanager-main.js')})).runTaskManager(config, arg('--jobmanager'));\n`,
      );
      weirCommand = [process.execPath, shim];
    }
    const cluster = await startCluster({
      confDir,
      taskManagers: 2,
      logDir: path.join(dir, 'log'),
      pidDir,
      timeoutMs: 60_000,
      ...(weirCommand ? { weirCommand } : {}),
    });
    assert.equal(cluster.overview.taskManagers.length, 2);
    assert.match(readFileSync(path.join(confDir, 'config.yaml'), 'utf8'), /^security\.cluster\.secret: "[0-9a-f]{64}"$/m);
    assert.deepEqual(
      readFileSync(path.join(pidDir, 'weir-taskmanager.pid'), 'utf8').trim().split('\n').map(Number),
      cluster.taskManagerPids,
    );

    const run = await runProgram({
      program: program('cluster-keyed.ts'),
      args: ['10000', '10'],
      config: Configuration.fromEntries({ 'execution.target': 'remote', 'rest.port': restPort }),
    });
    assert.equal(run.results[0]!.status, 'FINISHED', JSON.stringify(run.results[0]!.error));
    assert.deepEqual(finalSums(run.results[0]!), expectedSums(range(1, 10_000), 10));

    const stopped = await stopCluster({ pidDir, timeoutMs: 20_000 });
    assert.deepEqual(stopped.killed, [], 'every process stopped on SIGTERM');
    assert.deepEqual(new Set(stopped.stopped), new Set([cluster.jobManagerPid, ...cluster.taskManagerPids]));
    const jmLogText = readFileSync(cluster.logFiles[0]!, 'utf8');
    assert.match(jmLogText, /TaskManager \S+ registered from/);
    assert.match(jmLogText, /JobManager stopped/);
  } finally {
    await stopCluster({ pidDir, timeoutMs: 5_000 });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weir cluster start: the JobManager log tells the job lifecycle with causes; REST shows no running task while the job restarts', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-cluster-lifecycle-'));
  const pidDir = path.join(dir, 'pid');
  try {
    const [rpcPort, restPort] = [await freePort(), await freePort()];
    const confDir = path.join(dir, 'conf');
    mkdirSync(confDir);
    writeFileSync(
      path.join(confDir, 'config.yaml'),
      `jobmanager.rpc.port: ${rpcPort}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 2\n`,
    );
    const cluster = await startCluster({ confDir, taskManagers: 1, logDir: path.join(dir, 'log'), pidDir, timeoutMs: 60_000 });
    const url = `http://127.0.0.1:${restPort}`;
    let jobId = '';
    // Fails at record 300 on every attempt: one restart, 3 s after the failure, then FAILED.
    const outcome = runProgram({
      program: program('fails-keyed.ts'),
      args: ['300'],
      config: Configuration.fromEntries({
        'execution.target': 'remote',
        'rest.port': restPort,
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 1,
        'restart-strategy.fixed-delay.delay': 3000,
      }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );

    interface Details {
      state: string;
      vertices: { name: string; status: string; tasks: Record<string, number> }[];
      'status-counts': Record<string, number>;
    }
    // Polled often: RESTARTING lasts the restart delay (3 s).
    const restarting: Details | undefined = await waitFor(
      'the job to be RESTARTING',
      60_000,
      async () => {
        if (jobId === '') return undefined;
        const d = (await (await fetch(`${url}/jobs/${jobId}`)).json()) as Details;
        return d.state === 'RESTARTING' ? d : undefined;
      },
      { maxIntervalMs: 20 },
    );
    assert.ok(restarting, 'the job was seen RESTARTING');
    const shown = JSON.stringify(restarting.vertices);
    for (const v of restarting.vertices) {
      assert.notEqual(v.status, 'RUNNING', shown);
      assert.equal(v.tasks.RUNNING, 0, shown);
    }
    assert.equal(restarting['status-counts'].RUNNING, 0, shown);
    assert.ok(
      restarting.vertices.some((v) => v.status === 'FAILED'),
      shown,
    );
    const overview = (await (await fetch(`${url}/jobs/overview`)).json()) as {
      jobs: { jid: string; state: string; tasks: Record<string, number> }[];
    };
    const o = overview.jobs.find((j) => j.jid === jobId)!;
    if (o.state === 'RESTARTING') assert.equal(o.tasks.running, 0, JSON.stringify(o));

    const failure = await outcome;
    assert.ok(failure instanceof Error, 'the job failed after its restart');

    await stopCluster({ pidDir, timeoutMs: 20_000 });
    const log = readFileSync(cluster.logFiles[0]!, 'utf8');
    const job = `Job fails-keyed \\(${jobId}\\) switched from state`;
    assert.match(log, new RegExp(`Submitted job fails-keyed \\(${jobId}\\)\\.`));
    assert.match(log, new RegExp(`${job} CREATED to RUNNING\\.`));
    assert.match(log, new RegExp(`${job} RUNNING to FAILING\\. Cause: WEIR_\\w+: .*bad record 300`));
    assert.match(log, new RegExp(`${job} FAILING to RESTARTING\\. Cause: WEIR_\\w+: .*bad record 300`));
    assert.match(log, new RegExp(`${job} RESTARTING to RUNNING\\.`));
    assert.match(log, new RegExp(`${job} FAILING to FAILED\\. Cause: WEIR_\\w+: .*bad record 300`));
    assert.match(log, /explode \(\d\/2\) of job fails-keyed .* switched from RUNNING to FAILED: .*bad record 300/);
  } finally {
    await stopCluster({ pidDir, timeoutMs: 5_000 });
    rmSync(dir, { recursive: true, force: true });
  }
});
