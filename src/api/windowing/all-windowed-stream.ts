/**
 * windowAll() on a non-keyed stream (Flink's AllWindowedStream): as Flink, the stream is keyed by
 * one constant key and the window operator runs as a single subtask; the functions see no key.
 */
import type { SingleOutputStreamOperator, WindowedStream } from '../datastream.js';
import type {
  AggregateFunction,
  AllWindowFunctionLike,
  ProcessAllWindowFunctionLike,
  ProcessWindowFunctionLike,
  ReduceFunction,
} from '../functions.js';
import type { OutputTag } from '../output-tag.js';
import type { Duration } from '../time.js';
import type { TimeWindow } from '../windows.js';
import { fromAllWindowFunction, fromProcessAllWindowFunction } from './adapters.js';
import type { Evictor } from './evictors.js';
import type { Trigger } from './triggers.js';
import type { Window } from './window.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inferred = any;

export class AllWindowedStream<T, W extends Window = TimeWindow> {
  constructor(private readonly windowed: WindowedStream<T, number, W>) {}
  trigger(trigger: Trigger<T, W> | Trigger): this {
    this.windowed.trigger(trigger);
    return this;
  }
  evictor(evictor: Evictor<T, W> | Evictor): this {
    this.windowed.evictor(evictor);
    return this;
  }
  allowedLateness(lateness: Duration): this {
    this.windowed.allowedLateness(lateness);
    return this;
  }
  sideOutputLateData(tag: OutputTag<T>): this {
    this.windowed.sideOutputLateData(tag);
    return this;
  }
  reduce<R = T>(fn: ReduceFunction<T>, windowFunction?: ProcessAllWindowFunctionLike<T, R, W>): SingleOutputStreamOperator<R> {
    return this.windowed.reduce<R>(
      fn,
      windowFunction === undefined
        ? undefined
        : (fromProcessAllWindowFunction(windowFunction) as ProcessWindowFunctionLike<T, R, number, W>),
    );
  }
  aggregate<ACC, V, R = V>(
    fn: AggregateFunction<T, ACC, V>,
    windowFunction?: ProcessAllWindowFunctionLike<V, R, W>,
  ): SingleOutputStreamOperator<R> {
    return this.windowed.aggregate<ACC, V, R>(
      fn,
      windowFunction === undefined
        ? undefined
        : (fromProcessAllWindowFunction(windowFunction) as ProcessWindowFunctionLike<V, R, number, W>),
    );
  }
  process<R = Inferred>(fn: ProcessAllWindowFunctionLike<T, R, W>): SingleOutputStreamOperator<R> {
    return this.windowed.process<R>(fromProcessAllWindowFunction(fn) as ProcessWindowFunctionLike<T, R, number, W>);
  }
  apply<R = Inferred>(fn: AllWindowFunctionLike<T, R, W>): SingleOutputStreamOperator<R> {
    return this.windowed.process<R>(fromAllWindowFunction(fn) as ProcessWindowFunctionLike<T, R, number, W>);
  }
  sum(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.windowed.sum(field);
  }
  min(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.windowed.min(field);
  }
  max(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.windowed.max(field);
  }
  minBy(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.windowed.minBy(field);
  }
  maxBy(field: keyof T | number): SingleOutputStreamOperator<T> {
    return this.windowed.maxBy(field);
  }
}
