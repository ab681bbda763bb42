/**
 * AsyncDataStream cases for test/e2e/async-io.test.ts (args: case, parallelism, ...). The "service"
 * is a timer per request, so requests really overlap; each result says how many requests of its
 * subtask were in flight when it started (the capacity bound) and which attempt answered.
 */
import {
  AsyncDataStream,
  AsyncRetryStrategies,
  RetryPredicates,
  RichAsyncFunction,
  StreamExecutionEnvironment,
  WatermarkStrategy,
} from 'weir';
import type { ResultFuture, RuntimeContext } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [which = 'ordered', parallelismArg = '1', ...rest] = process.argv.slice(2);
const parallelism = Number(parallelismArg);

export interface Out {
  v: number;
  r: number;
  inFlight: number;
  attempt: number;
  subtask: number;
}

/** Answers v*10 after a delay that varies per record, so completions come out of order. */
class Service extends RichAsyncFunction<number, Out> {
  private inFlight = 0;
  private subtask = -1;
  private readonly attempts = new Map<number, number>();
  constructor(
    private readonly failFirst = 0,
    private readonly emptyFirst = 0,
    private readonly neverAnswer: (v: number) => boolean = () => false,
  ) {
    super();
  }
  override open(ctx: RuntimeContext): void {
    this.subtask = ctx.getIndexOfThisSubtask();
  }
  asyncInvoke(v: number, rf: ResultFuture<Out>): void {
    const attempt = (this.attempts.get(v) ?? 0) + 1;
    this.attempts.set(v, attempt);
    if (this.neverAnswer(v)) return;
    const inFlight = ++this.inFlight;
    setTimeout(
      () => {
        this.inFlight--;
        if (attempt <= this.failFirst) rf.completeExceptionally(new Error(`service unavailable for ${v}`));
        else if (attempt <= this.emptyFirst) rf.complete([]);
        else rf.complete([{ v, r: v * 10, inFlight, attempt, subtask: this.subtask }]);
      },
      1 + ((v * 7) % 13),
    );
  }
  override timeout(v: number, rf: ResultFuture<Out>): void {
    rf.complete([{ v, r: -1, inFlight: 0, attempt: 0, subtask: this.subtask }]);
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(parallelism);

export let result: unknown[] = [];

if (which === 'ordered' || which === 'unordered') {
  const capacity = Number(rest[0] ?? '5');
  // One source subtask, so each async subtask receives its records in increasing order.
  const input = env.fromSequence(1, 400).setParallelism(1).rebalance();
  const wait = which === 'ordered' ? AsyncDataStream.orderedWait : AsyncDataStream.unorderedWait;
  result = await wait(input, new Service(), 5_000, capacity).executeAndCollect(`async-${which}`);
} else if (which === 'plain') {
  // A plain async function: its value is the record's one result.
  result = await AsyncDataStream.orderedWait(
    env.fromSequence(1, 100).rebalance(),
    async (v: number) => {
      await new Promise((r) => setTimeout(r, (v * 3) % 5));
      return `v${v}`;
    },
    '10s',
  ).executeAndCollect('async-plain');
} else if (which === 'timeout') {
  // Every fifth request never answers: timeout() answers r = -1 while the queue (capacity 3) is full.
  result = await AsyncDataStream.unorderedWait(
    env.fromSequence(1, 60).rebalance(),
    new Service(0, 0, (v) => v % 5 === 0),
    100,
    3,
  ).executeAndCollect('async-timeout');
} else if (which === 'retry-fixed') {
  const strategy = new AsyncRetryStrategies.FixedDelayRetryStrategyBuilder<Out>(3, 5)
    .ifException(RetryPredicates.HAS_EXCEPTION_PREDICATE)
    .build();
  result = await AsyncDataStream.orderedWaitWithRetry(
    env.fromSequence(1, 100).rebalance(),
    new Service(2),
    10_000,
    10,
    strategy,
  ).executeAndCollect('async-retry-fixed');
} else if (which === 'retry-exponential') {
  const strategy = new AsyncRetryStrategies.ExponentialBackoffDelayRetryStrategyBuilder<Out>(4, 2, 20, 2)
    .ifResult(RetryPredicates.EMPTY_RESULT_PREDICATE)
    .build();
  result = await AsyncDataStream.unorderedWaitWithRetry(
    env.fromSequence(1, 100).rebalance(),
    new Service(0, 3),
    10_000,
    'MILLISECONDS',
    10,
    strategy,
  ).executeAndCollect('async-retry-exponential');
} else if (which === 'retry-exhausted') {
  const strategy = new AsyncRetryStrategies.FixedDelayRetryStrategyBuilder<Out>(2, 1).ifException(() => true).build();
  result = await AsyncDataStream.orderedWaitWithRetry(env.fromSequence(1, 10), new Service(5), 10_000, 10, strategy).executeAndCollect(
    'async-exhausted',
  );
} else if (which === 'default-timeout') {
  result = await AsyncDataStream.orderedWait(env.fromSequence(1, 10), { asyncInvoke: () => undefined }, 50, 5).executeAndCollect(
    'async-default-timeout',
  );
} else if (which === 'savepoint') {
  // Slow requests at a steady rate into a two-phase-commit sink: a savepoint finds requests in flight.
  const [out = 'out', count = '3000', uid = 'async'] = rest;
  env.enableCheckpointing(200);
  const input = env
    .fromSource(new DataGeneratorSource((i) => i, Number(count), { ratePerSecond: 1500 }), WatermarkStrategy.noWatermarks(), 'numbers')
    .uid('numbers')
    .rebalance();
  AsyncDataStream.unorderedWait(
    input,
    async (v: number) => {
      await new Promise((r) => setTimeout(r, 150));
      return { v, r: v * 10 };
    },
    '30s',
    50,
  )
    .uid(uid)
    .name('enrich')
    .sinkTo(FileSink.jsonLines(out))
    .uid('sink');
  await env.execute('async-savepoint');
}
