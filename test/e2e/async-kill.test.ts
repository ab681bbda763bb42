/**
 * Async I/O through real processes: a JobManager and TaskManager processes (one slot each, so each runs an async subtask); a
 * TaskManager running the async operator is killed with SIGKILL while requests are in flight. The
 * job restores from its latest checkpoint, whose in-flight records are sent again, and the
 * committed output holds every record's result exactly once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';
import { waitFor } from '../helpers/wait.js';
import { killTaskManagers, startProcessCluster } from '../helpers/process-cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'async-io.ts');

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

test('a TaskManager running async requests is killed (SIGKILL): after the restore every result is committed exactly once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-async-kill-'));
  tempDirs.push(dir);
  const out = path.join(dir, 'out');
  const cluster = await startProcessCluster(dir, 3);
  const jm = cluster.jm;
  try {
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
    // One kill right away, while requests are in flight; the spare TaskManager takes over.
    const killed = await killTaskManagers(cluster, job, { kills: 1, checkpoints: 'first', pauseMs: () => 0, replace: false });
    assert.equal(killed, 1, 'a TaskManager process of the job was killed');
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
    await cluster.close();
  }
});
