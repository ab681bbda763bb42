/**
 * Chaos on etcd, real processes: three `weir jobmanager` (one leads), three `weir taskmanager`, and
 * an attached `weir run` of a checkpointed keyed job writing through the two-phase-commit
 * FileSink. Ten rounds, each at a random moment: kill -9 of the leading JobManager and of a
 * random TaskManager (both started again at once, as a supervisor would). The job ends FINISHED
 * and its committed output holds every record exactly once.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEtcd, type EtcdServer } from '../helpers/services/etcd.js';
import { assertCommittedExactlyOnce, HaCluster } from '../helpers/ha-cluster.js';
import { waitFor } from '../helpers/wait.js';

let etcd: EtcdServer;
let cluster: HaCluster;

before(async () => {
  etcd = await startEtcd();
  cluster = new HaCluster({ 'high-availability.type': 'etcd', 'high-availability.etcd.endpoints': etcd.endpoint });
});
after(async () => {
  await cluster?.stop();
  await etcd?.stop();
});

const ROUNDS = 10;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(`${ROUNDS} kill -9 of the leading JobManager and ${ROUNDS} of TaskManagers at random moments: FINISHED, exactly once`, async (t) => {
  // The job is throttled (20 ms per record and subtask: 100 records/s, 120 s of input) until the rounds are over, so it outlasts
  // them however slowly the machine recovers; then it runs the rest at full speed.
  const COUNT = 12_000;
  const KEYS = 7;
  for (let i = 0; i < 3; i++) await cluster.startJobManager();
  await cluster.leader().catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  for (let i = 0; i < 3; i++) cluster.startTaskManager();
  const out = join(cluster.dir, 'out');
  const throttle = join(cluster.dir, 'throttle');
  writeFileSync(throttle, '');
  const run = cluster.weir('run', [
    'run',
    '-t',
    'remote',
    '-D',
    'restart-strategy.type=fixed-delay',
    '-D',
    'restart-strategy.fixed-delay.attempts=1000',
    '-D',
    'restart-strategy.fixed-delay.delay=200 ms',
    'test/programs/ha-chaos-keyed.ts',
    '--',
    out,
    String(COUNT),
    String(KEYS),
    '300',
    throttle,
    '20',
  ]);
  const ha = await cluster.ha();
  const jobId = await waitFor('the job in the execution-plan store', 30_000, async () => (await ha.executionPlans.jobIds())[0]);
  const running = async (url: string): Promise<boolean> => {
    const r = await fetch(`${url}/jobs/${jobId}`).catch(() => undefined);
    return !!r?.ok && ((await r.json()) as { state: string }).state === 'RUNNING';
  };
  let leader = await cluster.leader();
  await waitFor('the job to run', 30_000, () => running(leader.restUrl));
  const recoveries: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // A supervisor has started the killed JobManagers again; on a busy machine a JobManager takes a
    // few seconds to come up, so wait until a standby campaigns (else the kill waits for its start).
    await waitFor(`round ${round + 1}: a standby JobManager`, 30_000, () =>
      cluster.jobManagers.some((p) => p !== leader.proc && !p.exited && /JobManager started/.test(p.output)),
    );
    await pause(200 + Math.random() * 800);
    assert.equal(run.exited, false, `the job ended before round ${round + 1}\n${run.output.slice(-1000)}`);
    const killedAt = Date.now();
    leader.proc.child.kill('SIGKILL');
    await pause(Math.random() * 500);
    const tm = cluster.taskManagers[Math.floor(Math.random() * cluster.taskManagers.length)]!;
    tm.child.kill('SIGKILL');
    await tm.exit;
    cluster.restartTaskManager(tm);
    const old = leader;
    leader = await cluster.leader(20_000, old.pid).catch((e: Error) => assert.fail(`round ${round + 1}: ${e.message}\n${cluster.logs()}`));
    cluster.restartJobManager(old.proc);
    await waitFor(`round ${round + 1}: the job to run again`, 30_000, () => running(leader.restUrl)).catch((e: Error) =>
      assert.fail(`${e.message}\n${cluster.logs()}`),
    );
    recoveries.push(Date.now() - killedAt);
  }
  t.diagnostic(`kill → RUNNING per round (ms): ${recoveries.join(', ')}`);
  rmSync(throttle);
  await waitFor('weir run to end', 60_000, () => run.exited).catch(() => undefined);
  assert.equal(run.exited ? await run.exit : 'still running', 0, `${run.output.slice(-2000)}\n${cluster.logs()}`);
  assert.match(run.output, /FINISHED/);
  assertCommittedExactlyOnce(out, COUNT, KEYS);
  assert.equal((await ha.jobResults.get(jobId))?.status, 'FINISHED');
});
