/**
 * Interval joins (Flink's KeyedStream.intervalJoin): `left.keyBy(k).intervalJoin(right.keyBy(k))
 * .between(lower, upper).process(fn)` joins each left element at time t with the right elements of
 * the same key whose timestamps lie in [t + lower, t + upper] (bounds exclusive on request), in
 * event time. Elements are buffered in keyed state until the watermark passes their bounds.
 */
import { WeirError } from '../../errors.js';
import { SingleOutputStreamOperator, type KeyedStream } from '../datastream.js';
import type { KeySelector } from '../functions.js';
import type { OutputTag } from '../output-tag.js';
import type { Duration } from '../time.js';
import { toMillis } from '../time.js';
import type { ProcessJoinFunctionLike } from './join-functions.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inferred = any;

/** A bound may be negative: milliseconds, or a duration string with an optional leading '-'. */
function signedMillis(d: Duration, what: string): number {
  if (typeof d === 'number') {
    if (!Number.isFinite(d)) throw new WeirError('WEIR_BAD_DURATION', `${what} must be a finite number of milliseconds, got ${d}`);
    return Math.round(d);
  }
  const t = String(d).trim();
  return t.startsWith('-') ? -toMillis(t.slice(1), what) : toMillis(t, what);
}

export class IntervalJoin<T1, T2, K> {
  constructor(
    private readonly left: KeyedStream<T1, K>,
    private readonly right: KeyedStream<T2, K>,
  ) {}
  /** The default: interval joins run in event time. */
  inEventTime(): this {
    return this;
  }
  inProcessingTime(): never {
    throw new WeirError(
      'WEIR_BAD_PIPELINE',
      'Time-bounded stream joins are only supported in event time (intervalJoin().inProcessingTime())',
    );
  }
  /** Joins left elements at t with right elements in [t + lowerBound, t + upperBound]. */
  between(lowerBound: Duration, upperBound: Duration): IntervalJoined<T1, T2, K> {
    const lower = signedMillis(lowerBound, 'intervalJoin lower bound');
    const upper = signedMillis(upperBound, 'intervalJoin upper bound');
    if (lower > upper)
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `intervalJoin: the lower bound (${lower} ms) must not be greater than the upper bound (${upper} ms)`,
      );
    return new IntervalJoined<T1, T2, K>(this.left, this.right, lower, upper);
  }
}

export class IntervalJoined<T1, T2, K> {
  private lowerInclusive = true;
  private upperInclusive = true;
  private leftLateTag: OutputTag | undefined;
  private rightLateTag: OutputTag | undefined;
  constructor(
    private readonly left: KeyedStream<T1, K>,
    private readonly right: KeyedStream<T2, K>,
    private readonly lower: number,
    private readonly upper: number,
  ) {}
  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }
  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }
  /** Left elements too late to join (behind the watermark) go to this side output instead of being dropped. */
  sideOutputLeftLateData(tag: OutputTag<T1>): this {
    this.leftLateTag = tag;
    return this;
  }
  sideOutputRightLateData(tag: OutputTag<T2>): this {
    this.rightLateTag = tag;
    return this;
  }
  process<R = Inferred>(fn: ProcessJoinFunctionLike<T1, T2, R>): SingleOutputStreamOperator<R> {
    if (typeof fn !== 'function' && (fn === null || typeof fn !== 'object' || typeof fn.processElement !== 'function'))
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        'intervalJoin(...).process() needs a ProcessJoinFunction (a function or an object with processElement)',
      );
    const lowerBound = this.lowerInclusive ? this.lower : this.lower + 1;
    const upperBound = this.upperInclusive ? this.upper : this.upper - 1;
    if (lowerBound > upperBound)
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `intervalJoin: with the exclusive bounds, no timestamp is within (${this.lower}, ${this.upper})`,
      );
    const env = this.left.env;
    const t = env.addTransformation('physical', 'Interval Join', [this.left.transformation, this.right.transformation], {
      type: 'intervalJoin',
      lowerBound,
      upperBound,
      ...(this.leftLateTag ? { leftLateTag: this.leftLateTag } : {}),
      ...(this.rightLateTag ? { rightLateTag: this.rightLateTag } : {}),
      fn,
    });
    t.keySelectors = [
      this.left.getKeySelector() as KeySelector<unknown, unknown>,
      this.right.getKeySelector() as KeySelector<unknown, unknown>,
    ];
    return new SingleOutputStreamOperator<R>(env, t);
  }
}
