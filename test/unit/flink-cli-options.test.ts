/** Flink's option spellings are rewritten before parsing; `flink list`'s output format. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rewriteFlinkOptions } from '../../src/cli/flink-options.js';
import { flinkJobList, flinkTime } from '../../src/cli/commands/remote.js';
import type { JobOverviewEntry } from '../../src/rest/api.js';

test("Flink's single-dash and camel-case long options become Weir's; the program's arguments after -- are kept", () => {
  assert.deepEqual(
    rewriteFlinkOptions(['run', '-sae', '-s', 'sp', '--allowNonRestoredState', '-cm', 'CLAIM', 'p.ts', '--', '-sae', '-cm']),
    ['run', '--shutdown-on-attached-exit', '-s', 'sp', '--allow-non-restored-state', '--claim-mode', 'CLAIM', 'p.ts', '--', '-sae', '-cm'],
  );
  assert.deepEqual(rewriteFlinkOptions(['stop', '--savepointPath=/x', '-type', 'native', '-detached', 'id']), [
    'stop',
    '--savepoint-path=/x',
    '--type',
    'native',
    '--detached',
    'id',
  ]);
  assert.deepEqual(rewriteFlinkOptions(['checkpoint', '-full', 'id']), ['checkpoint', '--full', 'id']);
  assert.deepEqual(rewriteFlinkOptions(['cancel', '--withSavepoint', '/d', 'id']), ['cancel', '--with-savepoint', '/d', 'id']);
});

test("flinkJobList prints flink list's sections and lines", () => {
  const job = (jid: string, name: string, state: JobOverviewEntry['state'], start: number): JobOverviewEntry =>
    ({ jid, name, state, 'start-time': start }) as JobOverviewEntry;
  const t = new Date(2024, 0, 2, 3, 4, 5).getTime();
  assert.equal(flinkTime(t), '02.01.2024 03:04:05');
  const jobs = [job('b', 'two', 'RUNNING', t + 1000), job('a', 'one', 'RESTARTING', t), job('c', 'three', 'FINISHED', t)];
  assert.equal(
    flinkJobList(jobs, { running: false, scheduled: false, all: false }),
    '------------------ Running/Restarting Jobs -------------------\n' +
      '02.01.2024 03:04:05 : a : one (RESTARTING)\n' +
      '02.01.2024 03:04:06 : b : two (RUNNING)\n' +
      '--------------------------------------------------------------\n' +
      'No scheduled jobs.\n',
  );
  assert.equal(flinkJobList([], { running: true, scheduled: false, all: false }), 'No running jobs.\n');
  assert.match(
    flinkJobList(jobs, { running: false, scheduled: false, all: true }),
    /---------------------- Terminated Jobs -----------------------\n02\.01\.2024 03:04:05 : c : three \(FINISHED\)\n-{62}\n$/,
  );
});
