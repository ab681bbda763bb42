/** A keyed stream cut into windows by an assigner (Flink's WindowedStream). */
import { WeirError } from '../../errors.js';
import type { KeyedStream } from '../datastream.js';
import { SingleOutputStreamOperator } from '../datastream.js';
import type { AggregateFunction, KeySelector, ProcessWindowFunctionLike, ReduceFunction, WindowFunctionLike } from '../functions.js';
import type { OutputTag } from '../output-tag.js';
import { toMillis, type Duration } from '../time.js';
import type { FieldAggregation, WindowFunctionSpec } from '../transformation.js';
import type { TimeWindow } from '../windows.js';
import { aggregationReducer } from '../field-aggregation.js';
import { checkFn, type Inferred } from '../stream-support.js';
import { fromWindowFunction } from './adapters.js';
import { checkEvictor, type Evictor } from './evictors.js';
import { canMerge, checkTrigger, type Trigger } from './triggers.js';
import { defaultTrigger, isTriggerAssigner, type AnyWindowAssigner, type Window } from './window.js';

export class WindowedStream<T, K, W extends Window = TimeWindow> {
  private lateness = 0;
  private lateTag: OutputTag | undefined;
  private customTrigger: Trigger | undefined;
  private customEvictor: Evictor | undefined;
  /** @internal Set by windowAll(): the operator runs as one subtask. */
  nonParallel = false;
  constructor(
    private readonly input: KeyedStream<T, K>,
    private readonly assigner: AnyWindowAssigner,
  ) {}
  /** Replaces the assigner's default trigger (Flink's WindowedStream.trigger). */
  trigger(trigger: Trigger<T, W> | Trigger): this {
    const t = checkTrigger(trigger, 'trigger()');
    if (this.assigner.isMerging && !canMerge(t))
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `A merging window assigner cannot be used with a trigger that does not support merging: ${t.toString()}`,
      );
    this.customTrigger = t;
    return this;
  }
  /** Removes elements from a window before and/or after its function runs (Flink's WindowedStream.evictor). */
  evictor(evictor: Evictor<T, W> | Evictor): this {
    this.customEvictor = checkEvictor(evictor, 'evictor()');
    return this;
  }
  /** Flink's WindowFunction: apply(key, window, elements, out). */
  apply<R = Inferred>(fn: WindowFunctionLike<T, R, K, W>): SingleOutputStreamOperator<R> {
    return this.build<R>('apply', { kind: 'process', process: fromWindowFunction(fn) });
  }
  sum(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.fieldAggregation({ kind: 'sum', field: field as string | number });
  }
  min(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.fieldAggregation({ kind: 'min', field: field as string | number });
  }
  max(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.fieldAggregation({ kind: 'max', field: field as string | number });
  }
  minBy(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.fieldAggregation({ kind: 'minBy', field: field as string | number });
  }
  maxBy(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.fieldAggregation({ kind: 'maxBy', field: field as string | number });
  }
  private fieldAggregation(a: FieldAggregation): SingleOutputStreamOperator<T> {
    return this.build<T>(`${a.kind}(${String(a.field)})`, { kind: 'reduce', reduce: aggregationReducer(a) });
  }
  /** Keeps windows (and re-fires them for late records) this long after the watermark passed their end. */
  allowedLateness(lateness: Duration): this {
    this.lateness = toMillis(lateness, 'allowedLateness');
    return this;
  }
  /** Records too late for every window they belong to go to this side output instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = tag;
    return this;
  }
  reduce<R = T>(fn: ReduceFunction<T>, windowFunction?: ProcessWindowFunctionLike<T, R, K, W>): SingleOutputStreamOperator<R> {
    return this.build<R>('reduce', { kind: 'reduce', reduce: checkFn(fn, 'reduce', 'reduce'), process: windowFunction });
  }
  aggregate<ACC, V, R = V>(
    fn: AggregateFunction<T, ACC, V>,
    windowFunction?: ProcessWindowFunctionLike<V, R, K, W>,
  ): SingleOutputStreamOperator<R> {
    if (!fn || typeof fn.createAccumulator !== 'function' || typeof fn.add !== 'function' || typeof fn.getResult !== 'function') {
      throw new WeirError('WEIR_BAD_PIPELINE', 'aggregate() needs an AggregateFunction with createAccumulator, add, getResult and merge');
    }
    return this.build<R>('aggregate', {
      kind: 'aggregate',
      aggregate: fn as AggregateFunction<unknown, unknown, unknown>,
      process: windowFunction,
    });
  }
  process<R = Inferred>(fn: ProcessWindowFunctionLike<T, R, K, W>): SingleOutputStreamOperator<R> {
    return this.build<R>('process', { kind: 'process', process: checkFn(fn, 'process', 'process') });
  }
  private build<R>(what: string, fn: WindowFunctionSpec): SingleOutputStreamOperator<R> {
    const env = this.input.env;
    const triggered = this.customTrigger !== undefined || this.customEvictor !== undefined || isTriggerAssigner(this.assigner);
    const extra = triggered
      ? `, ${(this.customTrigger ?? defaultTrigger(this.assigner)).toString()}${this.customEvictor ? `, ${evictorName(this.customEvictor)}` : ''}`
      : '';
    const t = env.addTransformation('physical', `Window(${this.assigner.describe()}${extra}, ${what})`, [this.input.transformation], {
      type: 'window',
      assigner: this.assigner,
      allowedLateness: this.lateness,
      lateDataTag: this.lateTag,
      fn,
      ...(triggered ? { trigger: this.customTrigger ?? defaultTrigger(this.assigner) } : {}),
      ...(this.customEvictor !== undefined ? { evictor: this.customEvictor } : {}),
    });
    t.keySelectors = [this.input.getKeySelector() as KeySelector<unknown, unknown>];
    if (this.nonParallel) {
      t.parallelism = 1;
      t.maxParallelism = 1;
    }
    return new SingleOutputStreamOperator<R>(env, t);
  }
}

/** An evictor's own toString (CountEvictor(5)), or 'Evictor' for one without. */
function evictorName(e: Evictor): string {
  const s = String(e);
  return s.startsWith('[object') ? 'Evictor' : s;
}
