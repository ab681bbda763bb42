/**
 * The functions of joins (Flink's JoinFunction, FlatJoinFunction, CoGroupFunction and
 * ProcessJoinFunction). Each may be a plain function or an object / rich class with the method.
 */
import { AbstractRichFunction, type Collector, type RichFunction } from '../functions.js';
import type { OutputTag } from '../output-tag.js';

/** One output per matching pair: join(first, second) returns it. */
export type JoinFunction<T1, T2, OUT> = ((first: T1, second: T2) => OUT) | (RichFunction & { join(first: T1, second: T2): OUT });
/** Any number of outputs per matching pair, through `out`. */
export type FlatJoinFunction<T1, T2, OUT> =
  ((first: T1, second: T2, out: Collector<OUT>) => void) | (RichFunction & { join(first: T1, second: T2, out: Collector<OUT>): void });
/** All elements of both sides for one key and window. */
export type CoGroupFunction<T1, T2, OUT> =
  | ((first: T1[], second: T2[], out: Collector<OUT>) => void)
  | (RichFunction & { coGroup(first: T1[], second: T2[], out: Collector<OUT>): void });

export abstract class RichJoinFunction<T1, T2, OUT> extends AbstractRichFunction {
  abstract join(first: T1, second: T2): OUT;
}
export abstract class RichFlatJoinFunction<T1, T2, OUT> extends AbstractRichFunction {
  abstract join(first: T1, second: T2, out: Collector<OUT>): void;
}
export abstract class RichCoGroupFunction<T1, T2, OUT> extends AbstractRichFunction {
  abstract coGroup(first: T1[], second: T2[], out: Collector<OUT>): void;
}

/** What processElement sees of a joined pair (Flink's ProcessJoinFunction.Context). */
export interface ProcessJoinContext {
  getLeftTimestamp(): number;
  getRightTimestamp(): number;
  /** The timestamp of the joined result: the larger of the two. */
  getTimestamp(): number;
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** The function of an interval join: called once per pair of elements within the bounds. */
export abstract class ProcessJoinFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>): void;
}
export type ProcessJoinFunctionLike<IN1, IN2, OUT> =
  | ((left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>) => void)
  | (RichFunction & { processElement(left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>): void });
