/**
 * Async I/O through real processes: a JobManager and TaskManager processes (one slot each, so each runs an async subtask); a
 * TaskManager running the async operator is killed with SIGKILL while requests are in flight. The
 * job restores from its latest checkpoint, whose in-flight records are sent again, and the
 * committed output holds every record's result exactly once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { runJobManager, type JobManagerProcess } from '../../dist/cluster/standalone/jobmanager-main.js';
import { Configuration } from '../../dist/config/index.js';
import type { Logger } from '../../dist/runtime/rpc/transport.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'async-io.ts');
const SECRET = 'async-kill-secret-0123456789abcdef0123';

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

interface TmProcess {
  child: ChildProcess;
  id: string | undefined;
  exited: Promise<unknown>;
}

test('a TaskManager running async requests is killed (SIGKILL): after the restore every result is committed exactly once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-async-kill-'));
  tempDirs.push(dir);
  const out = path.join(dir, 'out');
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
      'heartbeat.timeout': '2 s',
      'security.cluster.secret': SECRET,
    }),
    { handleSignals: false, log: quiet },
  );
  const tms: TmProcess[] = [];
  const startTm = (): void => {
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
  };
  try {
    for (let i = 0; i < 3; i++) startTm();
    await waitFor('the TaskManagers to register', 30_000, () => jm.rpc.taskManagerIds.length === 3);
    const count = 4000;
    let jobId: string | undefined;
    const run = runProgram({
      program: PROGRAM,
      args: ['savepoint', '2', out, String(count), 'async'],
      parallelism: 2,
      cluster: jm.client,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 3,
        'restart-strategy.fixed-delay.delay': '200 ms',
        'execution.checkpointing.dir': path.join(dir, 'checkpoints'),
      }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    await waitFor('the job to be submitted', 30_000, () => jobId !== undefined);
    const job = jm.jobManager.dispatcher.job(jobId!);
    await waitFor(
      'two checkpoints of the running job',
      30_000,
      () => job.status === 'RUNNING' && job.checkpointStats().counts.completed >= 2,
    );
    const ids = job.taskManagerIds;
    const victim = tms.find((x) => x.id !== undefined && ids.includes(x.id));
    assert.ok(victim, `a TaskManager process of the job (${ids.join(', ')})`);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const r = await run;
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
    assert.ok(job.attempt >= 1, 'the job failed over');
    assert.ok((job.checkpointStats().latest.restored?.id ?? 0) >= 1, 'it restored a checkpoint');

    const rows: { v: number; r: number }[] = [];
    for (const f of fs.readdirSync(out)) {
      assert.match(f, /^part-\d+-\d+-\d+\.jsonl$/, 'only committed part files');
      for (const line of fs.readFileSync(path.join(out, f), 'utf8').split('\n'))
        if (line) rows.push(JSON.parse(line) as { v: number; r: number });
    }
    assert.equal(rows.length, count, `one result per record (${rows.length} for ${count})`);
    assert.deepEqual(
      rows.map((x) => x.v).sort((a, b) => a - b),
      Array.from({ length: count }, (_, i) => i),
    );
    for (const x of rows) assert.equal(x.r, x.v * 10);
  } finally {
    for (const x of tms) if (x.child.exitCode === null && x.child.signalCode === null) x.child.kill('SIGKILL');
    await Promise.all(tms.map((x) => x.exited));
    await jm.close();
  }
});
