/**
 * Operator chaining, as in Flink: an edge is chained when chaining is on, the target has this one
 * input, both sides have the same parallelism, the edge is forward and the chaining strategies
 * allow it (the target ALWAYS, the source not NEVER). And at run time: a chained successor is
 * called directly, and an error down the chain names the operator where it happened.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { StreamExecutionEnvironment } from '../../src/api/environment.js';
import { setPipelineExecutorFactory, type Pipeline } from '../../src/api/execution-context.js';
import { OutputTag } from '../../src/api/output-tag.js';
import { buildJobGraph, isChainable, type JobGraph } from '../../src/graph/job-graph.js';
import { buildStreamGraph, type StreamEdge, type StreamNode } from '../../src/graph/stream-graph.js';
import { ChainingOutput, OperatorFailure, OperatorOutput } from '../../src/runtime/operators/chaining.js';
import type { Output, StreamOperator } from '../../src/runtime/operators/operator.js';

afterEach(() => setPipelineExecutorFactory(undefined));

/** The JobGraph of the pipeline `build` declares (nothing runs: the executor only keeps the pipeline). */
async function jobGraphOf(build: (env: StreamExecutionEnvironment) => void, parallelism = 2): Promise<JobGraph> {
  let pipeline: Pipeline | undefined;
  setPipelineExecutorFactory(() => ({
    execute: (p) => {
      pipeline = p;
      return Promise.reject(new Error('kept, not run'));
    },
  }));
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env.setParallelism(parallelism);
  build(env);
  await assert.rejects(env.executeAsync('chaining'), /kept, not run/);
  assert.ok(pipeline);
  return buildJobGraph(buildStreamGraph(pipeline, { parallelism, maxParallelism: 128, runtimeMode: 'STREAMING' }));
}

/** The vertices as lists of operator names, in chain order. */
const chains = (jg: JobGraph): string[][] => jg.vertices.map((v) => v.operators.map((o) => o.name));

test('a forward edge between operators of the same parallelism with one input is chained', async () => {
  const jg = await jobGraphOf((env) => {
    env
      .fromSequence(0, 9)
      .name('src')
      .map((x) => x + 1)
      .name('m')
      .filter((x) => x > 2)
      .name('f')
      .print()
      .name('out');
  });
  assert.deepEqual(chains(jg), [['src', 'm', 'f', 'out']]);
  assert.equal(jg.edges.length, 0, 'no network edge');
  const [src, m] = jg.vertices[0]!.operators;
  assert.deepEqual(
    src!.chainedOutputs.map((c) => c.target),
    [m!.id],
  );
  assert.deepEqual(src!.networkOutputs, []);
});

test('a different parallelism breaks the chain (the edge becomes rebalance)', async () => {
  const jg = await jobGraphOf((env) => {
    env
      .fromSequence(0, 9)
      .name('src')
      .map((x) => x)
      .name('m')
      .setParallelism(1)
      .print()
      .name('out')
      .setParallelism(1);
  });
  assert.deepEqual(chains(jg), [['src'], ['m', 'out']]);
  assert.deepEqual(
    jg.edges.map((e) => e.partitioner),
    ['rebalance'],
  );
});

test('a partitioner other than forward breaks the chain, even at the same parallelism', async () => {
  for (const [kind, part] of [
    ['hash', (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => s.keyBy((x) => x % 3)],
    ['rebalance', (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => s.rebalance()],
    ['rescale', (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => s.rescale()],
    ['broadcast', (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => s.broadcast()],
    ['shuffle', (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => s.shuffle()],
  ] as const) {
    const jg = await jobGraphOf((env) => {
      part(env.fromSequence(0, 9).name('src'))
        .map((x: number) => x)
        .name('m')
        .print()
        .name('out');
    });
    assert.deepEqual(chains(jg), [['src'], ['m', 'out']], kind);
    assert.deepEqual(
      jg.edges.map((e) => e.partitioner),
      [kind],
    );
  }
  const forward = await jobGraphOf((env) => {
    env
      .fromSequence(0, 9)
      .name('src')
      .forward()
      .map((x) => x)
      .name('m')
      .print()
      .name('out');
  });
  assert.deepEqual(chains(forward), [['src', 'm', 'out']], 'an explicit forward() chains');
});

test('an operator with more than one input edge is not chained', async () => {
  const union = await jobGraphOf((env) => {
    const a = env.fromSequence(0, 9).name('a');
    const b = env.fromSequence(10, 19).name('b');
    a.union(b)
      .map((x) => x)
      .name('m')
      .print()
      .name('out');
  });
  assert.deepEqual(chains(union), [['a'], ['b'], ['m', 'out']]);
  const connected = await jobGraphOf((env) => {
    const a = env.fromSequence(0, 9).name('a');
    const b = env.fromSequence(10, 19).name('b');
    a.connect(b)
      .map({ map1: (x: number) => x, map2: (x: number) => -x })
      .name('co')
      .print()
      .name('out');
  });
  assert.deepEqual(chains(connected), [['a'], ['b'], ['co', 'out']]);
  assert.deepEqual(
    connected.edges.map((e) => e.inputIndex),
    [0, 1],
  );
});

test('chaining strategies: startNewChain() begins a chain, disableChaining() stands alone', async () => {
  const newChain = await jobGraphOf((env) => {
    env
      .fromSequence(0, 9)
      .name('src')
      .map((x) => x)
      .name('m1')
      .map((x) => x)
      .name('m2')
      .startNewChain()
      .print()
      .name('out');
  });
  assert.deepEqual(chains(newChain), [
    ['src', 'm1'],
    ['m2', 'out'],
  ]);
  assert.deepEqual(
    newChain.edges.map((e) => e.partitioner),
    ['forward'],
    'still a forward edge, over the network',
  );
  const alone = await jobGraphOf((env) => {
    env
      .fromSequence(0, 9)
      .name('src')
      .map((x) => x)
      .name('m1')
      .map((x) => x)
      .name('m2')
      .disableChaining()
      .print()
      .name('out');
  });
  assert.deepEqual(chains(alone), [['src', 'm1'], ['m2'], ['out']]);
});

test('disableOperatorChaining(): every operator is a vertex of its own', async () => {
  const jg = await jobGraphOf((env) => {
    env.disableOperatorChaining();
    env
      .fromSequence(0, 9)
      .name('src')
      .map((x) => x)
      .name('m')
      .print()
      .name('out');
  });
  assert.deepEqual(chains(jg), [['src'], ['m'], ['out']]);
  assert.deepEqual(
    jg.edges.map((e) => e.partitioner),
    ['forward', 'forward'],
  );
});

test('a side output on a forward edge is chained, with its tag', async () => {
  const late = new OutputTag<number>('odd');
  const jg = await jobGraphOf((env) => {
    const main = env
      .fromSequence(0, 9)
      .name('src')
      .process({
        processElement: (x: number, ctx, out) => (x % 2 === 0 ? out.collect(x) : ctx.output(late, x)),
      })
      .name('split');
    main.getSideOutput(late).print().name('odd-out');
    main.print().name('even-out');
  });
  assert.equal(jg.vertices.length, 1);
  const split = jg.vertices[0]!.operators.find((o) => o.name === 'split')!;
  const byName = new Map(jg.vertices[0]!.operators.map((o) => [o.id, o.name]));
  assert.deepEqual(split.chainedOutputs.map((c) => [byName.get(c.target), c.tag]).sort(), [
    ['even-out', undefined],
    ['odd-out', late.id],
  ]);
});

test('the rule itself: each condition alone keeps an edge from being chained', () => {
  const edge = (o: {
    kind?: 'forward' | 'rebalance';
    sourceParallelism?: number;
    inputs?: number;
    source?: StreamNode['chainingStrategy'];
    target?: StreamNode['chainingStrategy'];
  }): StreamEdge => {
    const source = { parallelism: o.sourceParallelism ?? 2, chainingStrategy: o.source ?? 'ALWAYS' } as StreamNode;
    const target = { parallelism: 2, chainingStrategy: o.target ?? 'ALWAYS', inEdges: [] as StreamEdge[] } as StreamNode;
    const e = { source, target, partitioner: { kind: o.kind ?? 'forward' } } as StreamEdge;
    for (let i = 0; i < (o.inputs ?? 1); i++) target.inEdges.push(e);
    return e;
  };
  assert.equal(isChainable(edge({}), true), true);
  assert.equal(isChainable(edge({ source: 'HEAD' }), true), true, 'a HEAD source starts a chain that continues');
  assert.equal(isChainable(edge({}), false), false, 'chaining disabled');
  assert.equal(isChainable(edge({ kind: 'rebalance' }), true), false, 'not forward');
  assert.equal(isChainable(edge({ sourceParallelism: 1 }), true), false, 'another parallelism');
  assert.equal(isChainable(edge({ inputs: 2 }), true), false, 'more than one input');
  assert.equal(isChainable(edge({ target: 'HEAD' }), true), false, 'the target starts a new chain');
  assert.equal(isChainable(edge({ target: 'NEVER' }), true), false, 'the target is never chained');
  assert.equal(isChainable(edge({ source: 'NEVER' }), true), false, 'the source is never chained');
});

// ---------------------------------------------------------------- at run time

/** An operator that records what it is given and passes records on (or throws). */
function recorder(name: string, calls: string[], downstream?: Output, fail?: (v: unknown) => boolean): StreamOperator {
  return {
    open: () => undefined,
    processElement(v, ts, input) {
      calls.push(`${name}:${String(v)}@${ts}#${input}`);
      if (fail?.(v)) throw new Error(`${name} cannot take ${String(v)}`);
      downstream?.collect(v, ts);
    },
    processWatermark(wm, input) {
      calls.push(`${name}:wm${wm}#${input}`);
      downstream?.emitWatermark(wm);
    },
    endInput: () => undefined,
    finish: () => undefined,
    close: () => undefined,
  };
}

test('a chained successor is called directly, on its input, with records and watermarks', () => {
  const calls: string[] = [];
  const last = recorder('last', calls);
  const mid = recorder('mid', calls, new ChainingOutput(last, 'last', 1));
  const out = new ChainingOutput(mid, 'mid', 0);
  out.collect('a', 5);
  out.emitWatermark(7);
  assert.deepEqual(calls, ['mid:a@5#0', 'last:a@5#1', 'mid:wm7#0', 'last:wm7#1']);
});

test('an error down the chain names the operator where it happened, once', () => {
  const calls: string[] = [];
  const last = recorder('last', calls, undefined, (v) => v === 'bad');
  const mid = recorder('mid', calls, new ChainingOutput(last, 'last', 0));
  const out = new ChainingOutput(mid, 'mid', 0);
  assert.throws(
    () => out.collect('bad', undefined),
    (e: unknown) => e instanceof OperatorFailure && e.operatorName === 'last' && e.message === 'last cannot take bad',
  );
});

test('an operator output fans out to its main outputs, and side outputs by tag', () => {
  const seen: string[] = [];
  const sink = (name: string): Output => ({
    collect: (v) => void seen.push(`${name}:${String(v)}`),
    collectSide: () => undefined,
    emitWatermark: (wm) => void seen.push(`${name}:wm${wm}`),
    emitWatermarkStatus: () => undefined,
  });
  const tag = new OutputTag<number>('side');
  const other = new OutputTag<number>('other');
  const out = new OperatorOutput([sink('a'), sink('b')], new Map([[tag.id, [sink('s')]]]));
  out.collect(1, undefined);
  out.collectSide(tag, 2, undefined);
  out.collectSide(other, 3, undefined);
  out.emitWatermark(9);
  assert.deepEqual(seen, ['a:1', 'b:1', 's:2', 'a:wm9', 'b:wm9', 's:wm9']);
  assert.equal(out.counter, 1, 'main records counted');
});
