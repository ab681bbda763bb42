/**
 * Asynchronous I/O (Flink's AsyncDataStream, AsyncFunction, RichAsyncFunction, AsyncRetryStrategy).
 * An AsyncFunction starts a request per record and completes a ResultFuture later; the operator
 * keeps up to `capacity` requests in flight per subtask while the task goes on with its mailbox,
 * emits results in input order (orderedWait) or as they complete (unorderedWait, never across a
 * watermark), and keeps the records of requests still in flight in its checkpoints, so a restore
 * starts them again: nothing is lost and no result is emitted twice.
 */
import { WeirError } from '../errors.js';
import { AbstractRichFunction, type RichFunction } from './functions.js';
import type { DataStream } from './datastream.js';
import { SingleOutputStreamOperator } from './datastream.js';
import { toMillis, type Duration } from './time.js';

/** Where an AsyncFunction delivers the results of one record (Flink's ResultFuture); only the first completion counts. */
export interface ResultFuture<OUT> {
  complete(results: Iterable<OUT>): void;
  completeExceptionally(error: unknown): void;
}

/** Flink's AsyncFunction. `timeout` is called when a request did not complete in time; by default it fails the job. */
export interface AsyncFunctionObject<IN, OUT> extends RichFunction {
  asyncInvoke(input: IN, resultFuture: ResultFuture<OUT>): void | Promise<void>;
  timeout?(input: IN, resultFuture: ResultFuture<OUT>): void;
}

/**
 * An AsyncFunction object, or a plain async function whose resolved value is the one result of
 * its record (`async (id) => fetchUser(id)`): the Node way to call a service from a stream.
 */
export type AsyncFunction<IN, OUT> = AsyncFunctionObject<IN, OUT> | ((input: IN) => Promise<OUT>);

/** The error a request that timed out fails with by default (Flink's TimeoutException). */
export class AsyncTimeoutError extends Error {
  override name = 'TimeoutException';
}

/** Base class of rich asynchronous functions (open/close and the runtime context). */
export abstract class RichAsyncFunction<IN, OUT> extends AbstractRichFunction implements AsyncFunctionObject<IN, OUT> {
  abstract asyncInvoke(input: IN, resultFuture: ResultFuture<OUT>): void | Promise<void>;
  /** A request did not complete in time; by default the job fails with a TimeoutException, as in Flink. */
  timeout(_input: IN, resultFuture: ResultFuture<OUT>): void {
    resultFuture.completeExceptionally(new AsyncTimeoutError('Async function call has timed out.'));
  }
}

/** Which outcomes of an attempt a retry strategy retries (Flink's AsyncRetryPredicate). */
export interface AsyncRetryPredicate<OUT> {
  resultPredicate?(results: OUT[]): boolean;
  exceptionPredicate?(error: unknown): boolean;
}

/** Flink's AsyncRetryStrategy: whether attempt `currentAttempts` may be followed by another, and after how long. */
export interface AsyncRetryStrategy<OUT = unknown> {
  canRetry(currentAttempts: number): boolean;
  getBackoffTimeMillis(currentAttempts: number): number;
  getRetryPredicate(): AsyncRetryPredicate<OUT>;
}

/** Flink's RetryPredicates. */
export const RetryPredicates = {
  /** Retries when an attempt completed with no result. */
  EMPTY_RESULT_PREDICATE: (results: unknown[]): boolean => results.length === 0,
  /** Retries on every exception. */
  HAS_EXCEPTION_PREDICATE: (_error: unknown): boolean => true,
};

abstract class RetryStrategyBuilder<OUT, S> {
  protected resultPredicate: ((results: OUT[]) => boolean) | undefined;
  protected exceptionPredicate: ((error: unknown) => boolean) | undefined;
  constructor(protected readonly maxAttempts: number) {
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new WeirError('WEIR_BAD_PIPELINE', `AsyncRetryStrategy: maxAttempts must be a positive integer, got ${String(maxAttempts)}`);
  }
  ifResult(predicate: (results: OUT[]) => boolean): this {
    this.resultPredicate = predicate;
    return this;
  }
  ifException(predicate: (error: unknown) => boolean): this {
    this.exceptionPredicate = predicate;
    return this;
  }
  protected predicate(): AsyncRetryPredicate<OUT> {
    const p: AsyncRetryPredicate<OUT> = {};
    if (this.resultPredicate) p.resultPredicate = this.resultPredicate;
    if (this.exceptionPredicate) p.exceptionPredicate = this.exceptionPredicate;
    return p;
  }
  abstract build(): S;
}

function checkDelay(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new WeirError('WEIR_BAD_PIPELINE', `AsyncRetryStrategy: ${what} must be >= 0 ms, got ${String(ms)}`);
  return ms;
}

class FixedDelayRetryStrategyBuilder<OUT> extends RetryStrategyBuilder<OUT, AsyncRetryStrategy<OUT>> {
  private readonly delay: number;
  constructor(maxAttempts: number, backoffTimeMillis: Duration) {
    super(maxAttempts);
    this.delay = checkDelay(toMillis(backoffTimeMillis, 'backoffTimeMillis'), 'backoffTimeMillis');
  }
  build(): AsyncRetryStrategy<OUT> {
    const { maxAttempts, delay } = this;
    const predicate = this.predicate();
    return {
      canRetry: (n) => n < maxAttempts,
      getBackoffTimeMillis: () => delay,
      getRetryPredicate: () => predicate,
    };
  }
}

class ExponentialBackoffDelayRetryStrategyBuilder<OUT> extends RetryStrategyBuilder<OUT, AsyncRetryStrategy<OUT>> {
  private readonly initial: number;
  private readonly max: number;
  constructor(
    maxAttempts: number,
    initialDelay: Duration,
    maxRetryDelay: Duration,
    private readonly multiplier: number,
  ) {
    super(maxAttempts);
    this.initial = checkDelay(toMillis(initialDelay, 'initialDelay'), 'initialDelay');
    this.max = checkDelay(toMillis(maxRetryDelay, 'maxRetryDelay'), 'maxRetryDelay');
    if (!(multiplier >= 1))
      throw new WeirError('WEIR_BAD_PIPELINE', `AsyncRetryStrategy: multiplier must be >= 1, got ${String(multiplier)}`);
  }
  build(): AsyncRetryStrategy<OUT> {
    const { maxAttempts, initial, max, multiplier } = this;
    const predicate = this.predicate();
    return {
      canRetry: (n) => n < maxAttempts,
      // Attempt 1 failed: wait initialDelay; then multiplier times longer each time, at most maxRetryDelay.
      getBackoffTimeMillis: (n) => Math.min(max, initial * Math.pow(multiplier, Math.max(0, n - 1))),
      getRetryPredicate: () => predicate,
    };
  }
}

/** Flink's AsyncRetryStrategies. */
export const AsyncRetryStrategies = {
  NO_RETRY_STRATEGY: {
    canRetry: () => false,
    getBackoffTimeMillis: () => -1,
    getRetryPredicate: () => ({}),
  } as AsyncRetryStrategy<never>,
  FixedDelayRetryStrategyBuilder,
  ExponentialBackoffDelayRetryStrategyBuilder,
};

/** Flink's AsyncDataStream.OutputMode. */
export type AsyncOutputMode = 'ORDERED' | 'UNORDERED';

/** Flink's default capacity of the async operator's queue. */
export const DEFAULT_ASYNC_CAPACITY = 100;

/** TimeUnit names accepted after the timeout, as in Flink's `unorderedWait(in, fn, 10, TimeUnit.SECONDS)`. */
export type TimeUnit = 'MILLISECONDS' | 'SECONDS' | 'MINUTES' | 'HOURS';
const UNIT_MS: Record<TimeUnit, number> = { MILLISECONDS: 1, SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000 };

function checkAsyncFunction(fn: unknown): unknown {
  if (typeof fn === 'function') return fn;
  if (fn !== null && typeof fn === 'object' && typeof (fn as Record<string, unknown>)['asyncInvoke'] === 'function') return fn;
  throw new WeirError(
    'WEIR_BAD_PIPELINE',
    'AsyncDataStream needs an async function or an AsyncFunction (an object with asyncInvoke(input, resultFuture))',
  );
}

function parseTimeout(timeout: Duration, unitOrCapacity: TimeUnit | number | undefined, capacity: number | undefined): [number, number] {
  let ms: number;
  let cap = capacity;
  if (typeof unitOrCapacity === 'string') {
    const f = UNIT_MS[unitOrCapacity];
    if (f === undefined || typeof timeout !== 'number')
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `AsyncDataStream: unknown time unit '${unitOrCapacity}' (use ${Object.keys(UNIT_MS).join(', ')})`,
      );
    ms = timeout * f;
  } else {
    ms = toMillis(timeout, 'AsyncDataStream timeout');
    if (unitOrCapacity !== undefined) cap = unitOrCapacity;
  }
  if (!(ms >= 0)) throw new WeirError('WEIR_BAD_PIPELINE', `AsyncDataStream: the timeout must be >= 0 ms (0: none), got ${String(ms)}`);
  cap ??= DEFAULT_ASYNC_CAPACITY;
  if (!Number.isInteger(cap) || cap < 1)
    throw new WeirError('WEIR_BAD_PIPELINE', `AsyncDataStream: the capacity must be a positive integer, got ${String(cap)}`);
  return [ms, cap];
}

function addAsyncOperator<IN, OUT>(
  stream: DataStream<IN>,
  fn: AsyncFunction<IN, OUT>,
  mode: AsyncOutputMode,
  timeout: number,
  capacity: number,
  retry: AsyncRetryStrategy<OUT> | undefined,
): SingleOutputStreamOperator<OUT> {
  const f = checkAsyncFunction(fn);
  if (retry !== undefined && (typeof retry.canRetry !== 'function' || typeof retry.getBackoffTimeMillis !== 'function'))
    throw new WeirError(
      'WEIR_BAD_PIPELINE',
      'AsyncDataStream: the retry strategy must be an AsyncRetryStrategy (see AsyncRetryStrategies)',
    );
  const env = stream.env;
  const t = env.addTransformation(
    'physical',
    mode === 'ORDERED' ? 'async wait operator (ordered)' : 'async wait operator',
    [stream.transformation],
    {
      type: 'asyncWait',
      fn: f,
      ordered: mode === 'ORDERED',
      timeout,
      capacity,
      retry: retry as AsyncRetryStrategy<unknown> | undefined,
    },
  );
  return new SingleOutputStreamOperator<OUT>(env, t);
}

function parseRetryArgs<OUT>(
  timeout: Duration,
  rest: [number, AsyncRetryStrategy<OUT>] | [TimeUnit, number, AsyncRetryStrategy<OUT>],
): [number, number, AsyncRetryStrategy<OUT>] {
  const [ms, cap] = rest.length === 3 ? parseTimeout(timeout, rest[0], rest[1]) : parseTimeout(timeout, rest[0], undefined);
  const strategy = rest.length === 3 ? rest[2] : rest[1];
  if (strategy === undefined || strategy === null)
    throw new WeirError('WEIR_BAD_PIPELINE', 'AsyncDataStream: ...WithRetry needs an AsyncRetryStrategy (see AsyncRetryStrategies)');
  return [ms, cap, strategy];
}

/** Flink's AsyncDataStream: adds an asynchronous operator to a stream. Timeouts are ms or duration strings; 0 means none. */
export class AsyncDataStream {
  static unorderedWait<IN, OUT>(
    stream: DataStream<IN>,
    fn: AsyncFunction<IN, OUT>,
    timeout: Duration,
    unitOrCapacity?: TimeUnit | number,
    capacity?: number,
  ): SingleOutputStreamOperator<OUT> {
    const [ms, cap] = parseTimeout(timeout, unitOrCapacity, capacity);
    return addAsyncOperator(stream, fn, 'UNORDERED', ms, cap, undefined);
  }
  static orderedWait<IN, OUT>(
    stream: DataStream<IN>,
    fn: AsyncFunction<IN, OUT>,
    timeout: Duration,
    unitOrCapacity?: TimeUnit | number,
    capacity?: number,
  ): SingleOutputStreamOperator<OUT> {
    const [ms, cap] = parseTimeout(timeout, unitOrCapacity, capacity);
    return addAsyncOperator(stream, fn, 'ORDERED', ms, cap, undefined);
  }
  /** With retries: `(stream, fn, timeout, [unit,] capacity, strategy)`; the timeout covers all attempts, as in Flink. */
  static unorderedWaitWithRetry<IN, OUT>(
    stream: DataStream<IN>,
    fn: AsyncFunction<IN, OUT>,
    timeout: Duration,
    ...rest: [capacity: number, strategy: AsyncRetryStrategy<OUT>] | [unit: TimeUnit, capacity: number, strategy: AsyncRetryStrategy<OUT>]
  ): SingleOutputStreamOperator<OUT> {
    const [ms, cap, strategy] = parseRetryArgs(timeout, rest);
    return addAsyncOperator(stream, fn, 'UNORDERED', ms, cap, strategy);
  }
  static orderedWaitWithRetry<IN, OUT>(
    stream: DataStream<IN>,
    fn: AsyncFunction<IN, OUT>,
    timeout: Duration,
    ...rest: [capacity: number, strategy: AsyncRetryStrategy<OUT>] | [unit: TimeUnit, capacity: number, strategy: AsyncRetryStrategy<OUT>]
  ): SingleOutputStreamOperator<OUT> {
    const [ms, cap, strategy] = parseRetryArgs(timeout, rest);
    return addAsyncOperator(stream, fn, 'ORDERED', ms, cap, strategy);
  }
}
