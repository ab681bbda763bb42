/**
 * Exactly-once from Kafka to Kafka on a real broker, with TaskManager processes killed by SIGKILL:
 * a job reads keyed numbers from a topic (unbounded), keeps per-key running sums and writes every
 * update to another topic with EXACTLY_ONCE (a Kafka transaction per checkpoint per subtask).
 * While the input is produced, TaskManagers of the job are killed at random moments (spare ones
 * take over and the job restores from its latest checkpoint). A read_committed reader then sees
 * every expected update exactly once: per key the counts 1..n without gap or repeat, and the
 * sums of the input.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { runProgram } from '../../dist/client/run-program.js';
import { runJobManager, type JobManagerProcess } from '../../dist/cluster/standalone/jobmanager-main.js';
import type { Logger } from '../../dist/runtime/rpc/transport.js';
import { createTopic, produceJson, readCommitted, startKafka, type KafkaBroker } from '../helpers/services/kafka.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'kafka-sums.ts');
const SECRET = 'kafka-chaos-secret-0123456789abcdef';
const KEYS = 7;
const KILLS = 5;

let broker: KafkaBroker;
before(async () => {
  broker = await startKafka();
});
after(async () => {
  await broker?.close();
});

interface TmProcess {
  child: ChildProcess;
  id: string | undefined;
  exited: Promise<unknown>;
}

interface Row {
  k: number;
  v: number;
  n: number;
}

/** Every update of `values` (keyed by v % KEYS) exactly once, per key in order of n. */
export function assertExactlyOnceSums(rows: readonly Row[], values: readonly number[]): void {
  const expected = new Map<number, number[]>();
  for (const v of values) {
    const k = v % KEYS;
    expected.set(k, [...(expected.get(k) ?? []), v]);
  }
  assert.equal(rows.length, values.length, `one update per input record (${rows.length} for ${values.length})`);
  for (const [k, vs] of expected) {
    const got = rows.filter((r) => r.k === k).sort((a, b) => a.n - b.n);
    assert.equal(got.length, vs.length, `key ${k}: updates`);
    for (let i = 0; i < got.length; i++) if (got[i]!.n !== i + 1) assert.fail(`key ${k}: update ${i + 1} is missing or repeated`);
    assert.equal(
      got.at(-1)!.v,
      vs.reduce((a, b) => a + b, 0),
      `key ${k}: final sum`,
    );
  }
}

test(`Kafka → running sums → Kafka with EXACTLY_ONCE: ${KILLS} TaskManagers killed with SIGKILL, a read_committed reader sees every update exactly once`, async (t) => {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-kafka-chaos-'));
  await createTopic(broker.bootstrap, 'chaos-in', 3);
  await createTopic(broker.bootstrap, 'chaos-out', 2);
  const launcher = path.join(dir, 'taskmanager.mjs');
  fs.writeFileSync(
    launcher,
    `const { Configuration } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/config/index.js')).href)});\n` +
      `const { runTaskManager } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/cluster/standalone/taskmanager-main.js')).href)});\n` +
      `await runTaskManager(Configuration.fromEntries(JSON.parse(process.env.WEIR_TEST_CONFIG)), process.env.WEIR_TEST_JOBMANAGER);\n`,
  );
  const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const jm: JobManagerProcess = await runJobManager(
    Configuration.fromEntries({
      'jobmanager.rpc.address': '127.0.0.1',
      'jobmanager.rpc.port': 0,
      'rest.port': 0,
      'heartbeat.interval': '200 ms',
      'heartbeat.timeout': '3 s',
      'security.cluster.secret': SECRET,
    }),
    { handleSignals: false, log: quiet },
  );
  const tms: TmProcess[] = [];
  const startTm = (): TmProcess => {
    const child = spawn(process.execPath, [launcher], {
      cwd: root,
      env: {
        ...process.env,
        TMPDIR: dir,
        WEIR_TEST_CONFIG: JSON.stringify({
          'security.cluster.secret': SECRET,
          'taskmanager.numberOfTaskSlots': 1,
          'weir.log.level': 'info',
        }),
        WEIR_TEST_JOBMANAGER: jm.rpcAddress,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tm: TmProcess = { child, id: undefined, exited: once(child, 'exit') };
    const onData = (chunk: Buffer): void => {
      const m = / TaskManager (\S+) starting:/.exec(chunk.toString('utf8'));
      if (m) tm.id ??= m[1];
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    tms.push(tm);
    return tm;
  };
  const values: number[] = [];
  let jobId: string | undefined;
  let producing = true;
  const producer = (async () => {
    // Input arrives while the job runs and TaskManagers die: 100 records every 100 ms.
    for (let round = 0; producing && round < 2000; round++) {
      const batch = Array.from({ length: 100 }, (_, i) => values.length + i);
      await produceJson(
        broker.bootstrap,
        'chaos-in',
        batch.map((v) => ({ k: v % KEYS, v })),
        (r) => String(r.k),
      );
      values.push(...batch);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    // The job's two slots and a spare; each killed TaskManager is replaced by a new process.
    for (let i = 0; i < 3; i++) startTm();
    await waitFor('the TaskManagers to register', 30_000, () => jm.rpc.taskManagerIds.length === 3);
    const run = runProgram({
      program: PROGRAM,
      args: [broker.bootstrap, 'chaos-in', 'chaos-out', 'chaos', '250', 'unbounded', 'EXACTLY_ONCE'],
      cluster: jm.client,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 4 * KILLS,
        'restart-strategy.fixed-delay.delay': '200 ms',
        'execution.checkpointing.dir': path.join(dir, 'checkpoints'),
      }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    run.catch(() => undefined);
    await waitFor('the job to be submitted', 30_000, () => jobId !== undefined);
    const job = jm.jobManager.dispatcher.job(jobId!);
    let killed = 0;
    for (let k = 0; k < KILLS; k++) {
      const attempt = job.attempt;
      // The first kill after a checkpoint (so that there is one to restore), the later ones at any moment of the restarted job.
      const completedBefore = k === 0 ? 0 : -1;
      await waitFor(
        'the job to run',
        30_000,
        () => job.status === 'RUNNING' && job.checkpointStats().counts.completed > completedBefore,
      ).catch((e: Error) => {
        throw new Error(
          `${e.message}: kill ${k}, status ${job.status}, attempt ${job.attempt}, checkpoints ${JSON.stringify(job.checkpointStats().counts)}, failures ${JSON.stringify(job.exceptions.map((x) => x.error.message))}`,
        );
      });
      // Not a synchronisation: a random moment, mid-transaction or during recovery.
      await new Promise((r) => setTimeout(r, 800 + Math.floor(Math.random() * 2000)));
      const ids = job.taskManagerIds;
      const victim = tms.find((x) => x.id !== undefined && ids.includes(x.id) && x.child.exitCode === null && x.child.signalCode === null);
      assert.ok(victim, `a TaskManager process of the job (${ids.join(', ')})`);
      victim.child.kill('SIGKILL');
      await victim.exited;
      const killedAt = Date.now();
      startTm();
      killed++;
      await waitFor('the job to fail over', 30_000, () => job.attempt > attempt);
      t.diagnostic(
        `kill ${k + 1} at ${killedAt - started} ms, failover seen after ${Date.now() - killedAt} ms (${values.length} records produced)`,
      );
    }
    producing = false;
    await producer;
    const expected = values.length;
    // The last updates become visible with the next completed checkpoints.
    let rows: Row[] = [];
    await waitFor(`all ${expected} updates to be committed`, 45_000, async () => {
      rows = (await readCommitted(broker.bootstrap, 'chaos-out')).map((r) => JSON.parse(r.value!.toString('utf8')) as Row);
      return rows.length >= expected;
    }).catch((e: Error) => {
      throw new Error(
        `${e.message}: ${rows.length} committed; job ${job.status}, attempt ${job.attempt}, failures ${JSON.stringify(job.exceptions.slice(-3).map((x) => x.error.message))}`,
      );
    });
    job.cancel();
    await waitFor('the job to be cancelled', 15_000, () => job.status === 'CANCELED');
    assert.equal(killed, KILLS);
    assert.ok(job.attempt >= KILLS, `the job failed over after each kill (attempt ${job.attempt})`);
    assertExactlyOnceSums(rows, values);
    t.diagnostic(
      `${expected} records, ${killed} kills, ${job.attempt} restarts, ${job.checkpointStats().counts.completed} checkpoints, ${Date.now() - started} ms`,
    );
  } finally {
    producing = false;
    await producer.catch(() => undefined);
    if (jobId !== undefined) {
      const job = jm.jobManager.dispatcher.job(jobId);
      if (!['FINISHED', 'FAILED', 'CANCELED'].includes(job.status)) job.cancel();
    }
    for (const x of tms) if (x.child.exitCode === null && x.child.signalCode === null) x.child.kill('SIGKILL');
    await Promise.all(tms.map((x) => x.exited));
    await jm.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
