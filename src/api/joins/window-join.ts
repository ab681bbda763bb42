/**
 * Windowed joins and co-groups (Flink's JoinedStreams and CoGroupedStreams), built as Flink builds
 * them: each input is tagged by a map, the two are unioned, keyed by the side's key selector and
 * windowed; the window function splits the window's elements by side and calls the co-group
 * function (a join is a co-group calling the join function for every pair).
 */
import { WeirError } from '../../errors.js';
import type { DataStream, SingleOutputStreamOperator } from '../datastream.js';
import type { Collector, KeySelector } from '../functions.js';
import type { Duration } from '../time.js';
import type { TimeWindow } from '../windows.js';
import { adaptWindowFunction } from '../windowing/adapters.js';
import type { Evictor } from '../windowing/evictors.js';
import type { Trigger } from '../windowing/triggers.js';
import type { AnyWindowAssigner, Window } from '../windowing/window.js';
import type { CoGroupFunction, FlatJoinFunction, JoinFunction } from './join-functions.js';

/** An element of either input: [1, value] or [2, value] (Flink's TaggedUnion). */
type Tagged = [side: 1 | 2, value: unknown];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inferred = any;

function checkKey(k: unknown, api: string): KeySelector<unknown, unknown> {
  if (typeof k !== 'function') throw new WeirError('WEIR_BAD_PIPELINE', `${api} needs a key selector function`);
  return k as KeySelector<unknown, unknown>;
}

interface Spec {
  input1: DataStream<unknown>;
  input2: DataStream<unknown>;
  key1: KeySelector<unknown, unknown>;
  key2: KeySelector<unknown, unknown>;
  assigner: AnyWindowAssigner;
  trigger?: Trigger;
  evictor?: Evictor;
  lateness?: Duration;
}

/** The common tail of join() and coGroup(): tagged union, keyBy, window, the co-group window function. */
function coGroupStream<R>(
  s: Spec,
  fn: unknown,
  methodName: string,
  api: string,
  call: (f: (...a: never[]) => unknown) => CoGroup,
): SingleOutputStreamOperator<R> {
  const tag1 = s.input1.map((v: unknown): Tagged => [1, v]).name('Map');
  const tag2 = s.input2.map((v: unknown): Tagged => [2, v]).name('Map');
  const p1 = s.input1.transformation.parallelism;
  const p2 = s.input2.transformation.parallelism;
  if (p1 !== undefined) tag1.setParallelism(p1);
  if (p2 !== undefined) tag2.setParallelism(p2);
  const { key1, key2 } = s;
  const windowed = tag1
    .union(tag2)
    .keyBy((t: Tagged) => (t[0] === 1 ? key1(t[1]) : key2(t[1])))
    .window<Window>(s.assigner);
  if (s.trigger !== undefined) windowed.trigger(s.trigger);
  if (s.evictor !== undefined) windowed.evictor(s.evictor);
  if (s.lateness !== undefined) windowed.allowedLateness(s.lateness);
  const adapted = adaptWindowFunction(fn, methodName, api, (f) => {
    const coGroup = call(f);
    return (_key, _ctx, elements, out) => {
      const first: unknown[] = [];
      const second: unknown[] = [];
      for (const e of elements as Tagged[]) (e[0] === 1 ? first : second).push(e[1]);
      coGroup(first, second, out);
    };
  });
  return windowed.process<R>(adapted as never);
}

type CoGroup = (first: unknown[], second: unknown[], out: Collector<unknown>) => void;

abstract class WithWindowBase<T1, T2, W extends Window> {
  protected readonly spec: Spec;
  constructor(spec: Spec) {
    this.spec = spec;
  }
  trigger(trigger: Trigger<unknown, W> | Trigger): this {
    this.spec.trigger = trigger as Trigger;
    return this;
  }
  evictor(evictor: Evictor<unknown, W> | Evictor): this {
    this.spec.evictor = evictor as Evictor;
    return this;
  }
  allowedLateness(lateness: Duration): this {
    this.spec.lateness = lateness;
    return this;
  }
  declare readonly __types?: [T1, T2];
}

export class CoGroupWithWindow<T1, T2, W extends Window = TimeWindow> extends WithWindowBase<T1, T2, W> {
  apply<R = Inferred>(fn: CoGroupFunction<T1, T2, R>): SingleOutputStreamOperator<R> {
    return coGroupStream<R>(this.spec, fn, 'coGroup', 'coGroup(...).apply()', (f) => f as CoGroup);
  }
}

/** A flat join function has a third parameter (the collector); a plain join function returns its result. */
function isFlatJoin(fn: unknown): boolean {
  if (typeof fn === 'function') return fn.length >= 3;
  const j = (fn as { join?: unknown } | null)?.join;
  return typeof j === 'function' && j.length >= 3;
}

export class JoinWithWindow<T1, T2, W extends Window = TimeWindow> extends WithWindowBase<T1, T2, W> {
  /** A JoinFunction (join(a, b) returns the result) or a FlatJoinFunction (join(a, b, out)). */
  apply<R = Inferred>(fn: JoinFunction<T1, T2, R> | FlatJoinFunction<T1, T2, R>): SingleOutputStreamOperator<R> {
    const flat = isFlatJoin(fn);
    return coGroupStream<R>(this.spec, fn, 'join', 'join(...).apply()', (f) => {
      if (flat) {
        const join = f as (a: unknown, b: unknown, out: Collector<unknown>) => void;
        return (first, second, out) => {
          for (const a of first) for (const b of second) join(a, b, out);
        };
      }
      const join = f as (a: unknown, b: unknown) => unknown;
      return (first, second, out) => {
        for (const a of first) for (const b of second) out.collect(join(a, b));
      };
    });
  }
}

class EqualTo<W> {
  constructor(
    private readonly base: Omit<Spec, 'assigner'>,
    private readonly make: (spec: Spec) => W,
  ) {}
  window(assigner: AnyWindowAssigner): W {
    if (!assigner || typeof assigner.assignWindows !== 'function')
      throw new WeirError('WEIR_BAD_PIPELINE', 'window() needs a window assigner such as TumblingEventTimeWindows.of(...)');
    return this.make({ ...this.base, assigner });
  }
}

class Where<T2, K, W> {
  constructor(
    private readonly input1: DataStream<unknown>,
    private readonly input2: DataStream<unknown>,
    private readonly key1: KeySelector<unknown, unknown>,
    private readonly make: (spec: Spec) => W,
  ) {}
  equalTo(keySelector: KeySelector<T2, K>): EqualTo<W> {
    const key2 = checkKey(keySelector, 'equalTo()');
    return new EqualTo<W>({ input1: this.input1, input2: this.input2, key1: this.key1, key2 }, this.make);
  }
}

export class JoinedStreams<T1, T2> {
  constructor(
    private readonly input1: DataStream<T1>,
    private readonly input2: DataStream<T2>,
  ) {}
  where<K>(keySelector: KeySelector<T1, K>): Where<T2, K, JoinWithWindow<T1, T2, Window>> {
    return new Where(
      this.input1 as DataStream<unknown>,
      this.input2 as DataStream<unknown>,
      checkKey(keySelector, 'where()'),
      (s) => new JoinWithWindow<T1, T2, Window>(s),
    );
  }
}

export class CoGroupedStreams<T1, T2> {
  constructor(
    private readonly input1: DataStream<T1>,
    private readonly input2: DataStream<T2>,
  ) {}
  where<K>(keySelector: KeySelector<T1, K>): Where<T2, K, CoGroupWithWindow<T1, T2, Window>> {
    return new Where(
      this.input1 as DataStream<unknown>,
      this.input2 as DataStream<unknown>,
      checkKey(keySelector, 'where()'),
      (s) => new CoGroupWithWindow<T1, T2, Window>(s),
    );
  }
}
