/**
 * The message declarations and their checks: messages written with the derived types pass, and a
 * wrong one is refused naming its first wrong field, in the words receivers log and the REST API
 * returns.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolve as resolvePath } from 'node:path';
import { test } from 'node:test';
import type { JobGraph } from '../../src/graph/job-graph.js';
import type {
  DataPlaneMessage,
  FromSlotWorker,
  JobManagerRpc,
  TaskManagerRpc,
  ToJobManager,
  ToSlotWorker,
  ToTaskManager,
} from '../../src/runtime/rpc/messages.js';
import {
  blobChunkSchema,
  dataPlaneSchema,
  jobGraphSchema,
  jobManagerRpcSchema,
  taskManagerRpcSchema,
  unreadableSubmitTaskSchema,
  validate,
} from '../../src/runtime/rpc/validate.js';

const graph: JobGraph = {
  jobName: 'j',
  type: 'STREAMING',
  fingerprint: 'f',
  structureFingerprint: 's',
  vertices: [
    {
      id: 'v1',
      name: 'Source',
      parallelism: 2,
      maxParallelism: 128,
      operators: [
        {
          id: 'op1',
          uid: undefined,
          name: 'Source',
          type: 'source',
          description: '',
          keyed: false,
          chainedOutputs: [],
          networkOutputs: ['e1'],
        },
      ],
      inputs: [],
      isSource: true,
    },
  ],
  edges: [],
};

const submitTask: JobManagerRpc = {
  type: 'toTaskManager',
  fencingToken: 't',
  msg: {
    type: 'submitTask',
    slot: 0,
    task: { vertexId: 'v1', subtask: 1, locations: { v1: ['tm-1/0', 'tm-1/1'] } },
    deployment: {
      jobId: 'job1',
      attempt: 0,
      bundlePath: '/b.mjs',
      bundleId: 'a'.repeat(64),
      programArgs: ['x'],
      cwd: '/',
      executionIndex: 0,
      graphDefaults: { parallelism: 1, maxParallelism: 128, runtimeMode: 'STREAMING' },
      jobGraph: graph,
      settings: {
        runtimeMode: 'STREAMING',
        bufferTimeout: 100,
        bufferSize: 32768,
        buffersPerChannel: 2,
        floatingBuffersPerGate: 8,
        maxBuffersPerChannel: 10,
        autoWatermarkInterval: 200,
        config: { 'parallelism.default': 2 },
        checkpointing: { mode: 'EXACTLY_ONCE', jobDir: '/cp/job1' },
      },
    },
  },
};

test('messages written with the declared types pass; extra fields are ignored and undefined ones are absent', () => {
  assert.equal(validate(jobManagerRpcSchema, submitTask), undefined);
  assert.equal(validate(jobGraphSchema, { ...graph, extra: 1 }), undefined);
  const report: TaskManagerRpc = {
    type: 'report',
    msg: { type: 'taskState', jobId: 'job1', attempt: 0, vertexId: 'v1', subtask: 0, state: 'FAILED', error: undefined },
  };
  assert.equal(validate(taskManagerRpcSchema, report), undefined);
  const frames: DataPlaneMessage = {
    type: 'frames',
    from: 'a',
    to: 'b',
    frames: [
      { k: 'data', ch: 'c', buf: Buffer.from([1, 2]) },
      { k: 'event', ch: 'c', ev: { t: 'barrier', id: 3, timestamp: 5, mode: 'AT_LEAST_ONCE', savepoint: true } },
      { k: 'credit', ch: 'c', n: 2 },
    ],
  };
  assert.equal(validate(dataPlaneSchema, frames), undefined);
});

test('a refused message names its first wrong field', () => {
  const cases: [unknown, string][] = [
    [
      validate(taskManagerRpcSchema, { type: 'register', tmId: 'x', slots: 'many', dataAddress: 'x:1' }),
      'message.slots must be an integer in [1, 65536]',
    ],
    [validate(taskManagerRpcSchema, { type: 'hello' }), 'message.type must be one of register, heartbeat, report, fetchBlob (got "hello")'],
    [validate(taskManagerRpcSchema, 'text'), 'message must be an object'],
    [
      validate(jobGraphSchema, { ...graph, structureFingerprint: undefined }, 'body/jobGraph'),
      'body/jobGraph.structureFingerprint is missing',
    ],
    [
      validate(jobGraphSchema, { ...graph, vertices: [{ ...graph.vertices[0], id: 'a/b' }] }, 'body/jobGraph'),
      'body/jobGraph.vertices[0].id must be a name of letters, digits and . : @ + - _ (at most 200)',
    ],
    [validate(jobGraphSchema, { ...graph, type: 'BOTH' }), 'message.type must be one of "STREAMING", "BATCH"'],
    [
      validate(taskManagerRpcSchema, {
        type: 'report',
        msg: {
          type: 'taskState',
          jobId: 'j',
          attempt: 0,
          vertexId: 'v',
          subtask: 0,
          state: 'FAILED',
          error: { code: 'NOPE', message: '', name: '', context: {} },
        },
      }),
      'message.msg.error.code must be a Weir error code',
    ],
    [
      validate(dataPlaneSchema, { type: 'frames', from: 'a', to: 'b', frames: [{ k: 'data', ch: 'c', buf: [1, 2] }] }),
      'message.frames[0].buf must be binary',
    ],
    [
      validate(blobChunkSchema, { type: 'blobChunk', blobId: 'AB', size: 1, offset: 0, data: Buffer.alloc(1) }),
      'message.blobId must be 64 lowercase hex digits',
    ],
    [
      validate(taskManagerRpcSchema, {
        type: 'report',
        msg: {
          type: 'acknowledgeCheckpoint',
          jobId: 'j',
          attempt: 0,
          vertexId: 'v',
          subtask: 0,
          checkpointId: 1,
          handle: { file: null, size: 0 },
          metrics: { syncMs: Number.NaN, asyncMs: 0, alignmentMs: 0 },
        },
      }),
      'message.msg.metrics.syncMs must be a number',
    ],
    [validate(jobManagerRpcSchema, { type: 'heartbeat', fencingToken: 'x'.repeat(201) }), 'message.fencingToken is longer than 200'],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
});

test('a submitTask the TaskManager cannot run may still name its job and task', () => {
  const broken = {
    ...submitTask,
    msg: { ...submitTask.msg, deployment: { ...(submitTask.msg as { deployment: object }).deployment, cwd: 5 } },
  };
  assert.equal(validate(jobManagerRpcSchema, broken), 'message.msg.deployment.cwd must be a string');
  assert.equal(validate(unreadableSubmitTaskSchema, broken), undefined);
});

test('every check compiles', async () => {
  const checks = await import('../../src/runtime/rpc/validate.js');
  const compiled = Object.entries(checks).filter(([name]) => name.endsWith('Schema'));
  assert.ok(compiled.length >= 15, compiled.map(([n]) => n).join(', '));
  for (const [name, s] of compiled) assert.equal(typeof validate(s as Parameters<typeof validate>[0], {}), 'string', name);
});

test('programs, slot threads and the local runtime use the message types without loading TypeBox or ajv', () => {
  // Loading them costs a few hundred ms of CPU: only processes that check messages pay for it.
  // The hook runs on the loader thread; it appends to a file synchronously, since what that thread
  // writes to stderr may be lost when the process exits right after the import.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-loads-'));
  try {
    const loads = (entry: string): string => {
      const log = path.join(dir, `${path.basename(entry)}.log`);
      fs.writeFileSync(log, '');
      const hook = `import { appendFileSync } from 'node:fs'; export async function resolve(s, c, next) { if (s === 'typebox' || s === 'ajv') appendFileSync(${JSON.stringify(log)}, 'LOADS ' + s + '\\n'); return next(s, c); }`;
      const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          `data:text/javascript,${encodeURIComponent(register)}`,
          '--input-type=module',
          '-e',
          `await import(${JSON.stringify(resolvePath(entry))});`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      return fs.readFileSync(log, 'utf8');
    };
    for (const entry of [
      'src/index.ts',
      'src/runtime/taskmanager/task.ts',
      'src/cluster/local-mini-cluster.ts',
      'src/runtime/rpc/transport.ts',
    ])
      assert.doesNotMatch(loads(entry), /LOADS/, entry);
    // The check does see a module that loads them.
    const seen = loads('src/runtime/rpc/validate.ts');
    assert.match(seen, /LOADS typebox/);
    assert.match(seen, /LOADS ajv/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the message types are inferred from the schemas of each boundary (a wrong message is a type error)', () => {
  // Checked by the type checker (tsc -p tsconfig.test.json): were a type `any`, an expected error would be missing.
  const wrong = { type: 'no-such-message' } as const;
  // @ts-expect-error not a message to a TaskManager
  const a: ToTaskManager = wrong;
  // @ts-expect-error not a message to the JobManager
  const b: ToJobManager = wrong;
  // @ts-expect-error not a message to a slot worker
  const c: ToSlotWorker = wrong;
  // @ts-expect-error not a message from a slot worker
  const d: FromSlotWorker = wrong;
  // @ts-expect-error not a data-plane message
  const e: DataPlaneMessage = wrong;
  // @ts-expect-error not an RPC of a TaskManager
  const f: TaskManagerRpc = wrong;
  // @ts-expect-error not an RPC of the JobManager
  const g: JobManagerRpc = wrong;
  assert.equal([a, b, c, d, e, f, g].length, 7);
});
