/**
 * The JobMaster's state machine and failover with a fake ResourceManager and TaskManager and a
 * manual clock: an event that does not apply in the current status is ignored (never an
 * exception), and a restart waits for the restart strategy's delay on the injected clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobGraph } from '../../src/graph/job-graph.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { JobMaster, type JobSubmission } from '../../src/runtime/jobmanager/job-master.js';
import { JobStateMachine } from '../../src/runtime/jobmanager/job-state.js';
import type { ResourceManager, SlotAllocation, TaskManagerGateway } from '../../src/runtime/jobmanager/resource-manager.js';
import type { ToTaskManager } from '../../src/runtime/rpc/messages.js';
import type { Logger } from '../../src/runtime/rpc/transport.js';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

test('job state machine: a transition the table does not list is ignored and logged at debug', () => {
  const log = recordingLogger();
  const clock = new ManualClock(5);
  const s = new JobStateMachine({ jobId: 'j1', jobName: 'job' }, log, clock);
  assert.equal(s.transition('CANCELLING'), false, 'INITIALIZING cannot be cancelling');
  assert.equal(s.status, 'INITIALIZING');
  assert.match(log.lines[0]!, /^debug Job job \(j1\) is INITIALIZING: a switch to CANCELLING does not apply there/);
  assert.equal(s.transition('CREATED'), true);
  clock.advance(10);
  assert.equal(s.transition('RUNNING'), true);
  assert.equal(s.transition('FINISHED'), true);
  assert.equal(s.transition('RUNNING'), false, 'a terminal status stays');
  assert.equal(s.status, 'FINISHED');
  assert.deepEqual(s.timestamps, { INITIALIZING: 5, CREATED: 5, RUNNING: 15, FINISHED: 15 });
  assert.ok(log.lines.includes('info Job job (j1) switched from state CREATED to RUNNING.'));
});

const jobGraph = {
  jobName: 'job',
  type: 'STREAMING',
  vertices: [
    { id: 'map', name: 'Map', parallelism: 1, maxParallelism: 128, operators: [{ id: 'map', name: 'Map' }], inputs: [], isSource: false },
  ],
  edges: [],
} as unknown as JobGraph;

function jobMaster(config: Record<string, unknown>): { jm: JobMaster; sent: ToTaskManager[]; clock: ManualClock; ended: JobMaster[] } {
  const sent: ToTaskManager[] = [];
  const tm: TaskManagerGateway = { id: 'tm-1', numberOfSlots: 1, send: (m) => sent.push(m) };
  const rm = {
    requestSlots: (): Promise<SlotAllocation[]> => Promise.resolve([{ tm, slot: 0 }]),
    release: () => undefined,
  } as unknown as ResourceManager;
  const submission = {
    jobId: 'j1',
    jobGraph,
    bundle: { id: 'b', path: '/b.mjs' },
    programArgs: [],
    cwd: '/',
    executionIndex: 0,
    graphDefaults: {},
    config,
  } as unknown as JobSubmission;
  const clock = new ManualClock();
  const ended: JobMaster[] = [];
  const jm = new JobMaster(submission, rm, (j) => ended.push(j), recordingLogger(), clock);
  return { jm, sent, clock, ended };
}

/** Lets the JobMaster's deployment (awaiting the fake slots) run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

test('a job cancelled before it started ends CANCELED instead of throwing', async () => {
  const { jm, ended } = jobMaster({});
  jm.cancel();
  assert.equal(jm.status, 'CANCELED');
  assert.equal((await jm.result()).status, 'CANCELED');
  assert.equal(ended.length, 1);
});

test('failover: a failed task restarts the job after the restart delay on the clock, with a new attempt', async () => {
  const { jm, sent, clock } = jobMaster({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.delay': 1000 });
  jm.start();
  await settle();
  assert.equal(jm.status, 'RUNNING');
  assert.equal(sent.filter((m) => m.type === 'submitTask').length, 1);
  jm.handle({ type: 'taskState', jobId: 'j1', attempt: 0, vertexId: 'map', subtask: 0, state: 'FAILED' });
  assert.equal(jm.status, 'RESTARTING');
  assert.equal(jm.exceptions.length, 1);
  // A late report of the failed attempt changes nothing.
  jm.handle({ type: 'taskState', jobId: 'j1', attempt: 0, vertexId: 'map', subtask: 0, state: 'FINISHED' });
  clock.advance(999);
  await settle();
  assert.equal(jm.status, 'RESTARTING', 'the delay is not over');
  clock.advance(1);
  await settle();
  assert.equal(jm.status, 'RUNNING');
  assert.equal(jm.attempt, 1);
  assert.equal(sent.filter((m) => m.type === 'submitTask').length, 2);
  // The one restart fixed-delay allows by default is used: the next failure fails the job.
  jm.handle({ type: 'taskState', jobId: 'j1', attempt: 1, vertexId: 'map', subtask: 0, state: 'FAILED' });
  assert.equal(jm.status, 'FAILED');
  assert.equal((await jm.result()).status, 'FAILED');
});
