/**
 * FileSink with checkpointing (two-phase commit): part files become pending at each barrier and
 * visible only when committed; close() never publishes; a new attempt discards the in-progress
 * files of earlier attempts of its subtask; commits are idempotent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { FileSink } from '../../src/connectors/file/index.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const listing = (dir: string): string[] => fs.readdirSync(dir).sort();
const read = (dir: string, f: string): number[] =>
  fs
    .readFileSync(path.join(dir, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { n: number }).n);

test('FileSink with checkpointing: pending at the barrier, visible on commit, discarded after a failure', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-2pc-'));
  dirs.push(dir);
  const sink = FileSink.jsonLines<{ n: number }>(dir);
  const committer = sink.createCommitter();
  const w = await sink.createWriter({ subtaskIndex: 1, parallelism: 2, jobId: 'j', attempt: 0, checkpointing: true });
  for (let n = 0; n < 3; n++) await w.write({ n }, undefined);
  await w.flush(false);
  // The barrier of checkpoint 1: the part file is closed and pending (its name is fixed at once).
  const pending1 = w.prepareCommit!(1);
  await w.write({ n: 3 }, undefined);
  const c1 = await pending1;
  assert.deepEqual(
    c1.map((p) => path.basename(p.finalPath)),
    ['part-1-0-0.jsonl'],
  );
  assert.deepEqual(
    listing(dir).filter((f) => !f.startsWith('.')),
    [],
    'nothing visible before the commit',
  );
  // A barrier with nothing written since the last one prepares nothing.
  const c2 = await w.prepareCommit!(2);
  assert.equal(c2.length, 1, 'n=3 went to the second part');
  assert.deepEqual(await w.prepareCommit!(3), []);

  await committer.commit(c1);
  await committer.commit(c1); // idempotent: a restore commits again what a completed checkpoint held
  assert.deepEqual(listing(dir), ['.part-1-0-1.jsonl.inprogress', 'part-1-0-0.jsonl']);
  assert.deepEqual(read(dir, 'part-1-0-0.jsonl'), [0, 1, 2]);

  // End of input writes the rest but commits nothing; close() (a failure) never publishes.
  await w.write({ n: 4 }, undefined);
  await w.flush(true);
  await w.close();
  assert.deepEqual(listing(dir), ['.part-1-0-1.jsonl.inprogress', '.part-1-0-2.jsonl.inprogress', 'part-1-0-0.jsonl']);

  // The next attempt of subtask 1 (restored from checkpoint 1) discards what attempt 0 left in progress;
  // subtask 0's files are not its business.
  fs.writeFileSync(path.join(dir, '.part-0-0-5.jsonl.inprogress'), '{"n":99}\n');
  const w2 = await sink.createWriter({
    subtaskIndex: 1,
    parallelism: 2,
    jobId: 'j',
    attempt: 1,
    checkpointing: true,
    restoredCheckpointId: 1,
  });
  assert.deepEqual(listing(dir), ['.part-0-0-5.jsonl.inprogress', 'part-1-0-0.jsonl']);
  await w2.write({ n: 3 }, undefined);
  const c3 = await w2.prepareCommit!(4);
  await committer.commit(c3);
  assert.deepEqual(listing(dir), ['.part-0-0-5.jsonl.inprogress', 'part-1-0-0.jsonl', 'part-1-1-0.jsonl']);
  await w2.close();

  // A pending file that is gone and was never committed cannot be committed.
  await assert.rejects(
    Promise.resolve(committer.commit([{ inProgressPath: path.join(dir, '.gone.inprogress'), finalPath: path.join(dir, 'gone.jsonl') }])),
    /cannot commit/,
  );
});

test('FileSink without checkpointing keeps one part file per subtask and attempt, committed at the end', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-2pc-'));
  dirs.push(dir);
  const sink = FileSink.jsonLines<{ n: number }>(dir);
  const w = await sink.createWriter({ subtaskIndex: 0, parallelism: 1, jobId: 'j', attempt: 2 });
  await w.write({ n: 1 }, undefined);
  assert.equal(w.prepareCommit, undefined);
  await w.flush(true);
  await w.close();
  assert.deepEqual(listing(dir), ['part-0-2.jsonl']);
});
