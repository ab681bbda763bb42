/**
 * KeyedStream.reduce and sum/min/max/minBy/maxBy (Flink's StreamGroupedReduceOperator and its
 * aggregators). The running value per key is a ValueState. STREAMING emits the new value after
 * every record (with that record's timestamp); BATCH emits each key's final value once, at finish().
 */
import { ValueStateDescriptor, type ValueState } from '../../api/state.js';
import type { OperatorSpec } from '../../api/transformation.js';
import { VOID_NAMESPACE, type KeyedStateBackend } from '../state/keyed-state-backend.js';
import { finishBatchTimers, requireKeyed } from './keyed-process-operator.js';
import type { OperatorContext, StreamOperator } from './operator.js';
import { bindMethod, closeFunction, openFunction } from './user-function.js';
import { aggregationReducer } from '../../api/field-aggregation.js';

export { aggregationReducer };

type Reducer = (acc: unknown, value: unknown) => unknown;

const STATE_NAME = '_weir_reduce_value';

abstract class AbstractKeyedReduceOperator implements StreamOperator {
  private readonly keySelector: (v: unknown) => unknown;
  private readonly backend: KeyedStateBackend;
  private readonly descriptor = new ValueStateDescriptor<unknown>(STATE_NAME);
  private readonly state: ValueState<unknown>;
  private readonly batch: boolean;
  private watermark = Number.MIN_SAFE_INTEGER;

  constructor(
    protected readonly ctx: OperatorContext,
    private readonly reducer: Reducer,
  ) {
    const k = requireKeyed(ctx, 0);
    this.keySelector = k.keySelector;
    this.backend = k.backend;
    this.state = this.backend.getState(this.descriptor);
    this.batch = ctx.runtimeMode === 'BATCH';
  }

  open(): void | Promise<void> {}

  processElement(value: unknown, timestamp: number | undefined): void {
    this.backend.setCurrentKey(this.keySelector(value));
    const cur = this.state.value();
    const next = cur === undefined ? value : this.reducer(cur, value);
    this.state.update(next);
    if (!this.batch) this.ctx.output.collect(next, timestamp);
  }

  processWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    this.ctx.timerServiceManager?.advanceWatermark(watermark);
    this.ctx.output.emitWatermark(watermark);
  }

  endInput(): void {}

  async finish(): Promise<void> {
    if (this.batch) {
      // heap: keys in first-seen order; lsm: in key order, batch by batch (its state loaded ahead).
      // Timestamps are meaningless for a whole-input result.
      if (this.backend.forEachKeyBatch !== undefined)
        await this.backend.forEachKeyBatch(STATE_NAME, VOID_NAMESPACE, 1000, (keys) => this.emit(keys));
      else this.emit(this.backend.getKeys(STATE_NAME));
    }
    finishBatchTimers(this.ctx);
  }

  private emit(keys: readonly unknown[]): void {
    for (const key of keys) {
      this.backend.setCurrentKey(key);
      const v = this.state.value();
      if (v !== undefined) this.ctx.output.collect(v, undefined);
    }
  }

  close(): void | Promise<void> {}
}

export class KeyedReduceOperator extends AbstractKeyedReduceOperator {
  constructor(
    ctx: OperatorContext,
    private readonly spec: Extract<OperatorSpec, { type: 'keyedReduce' }>,
  ) {
    super(ctx, bindMethod<Reducer>(spec.fn, 'reduce', 'reduce function'));
  }
  override async open(): Promise<void> {
    await openFunction(this.spec.fn, this.ctx.runtimeContext);
  }
  override async close(): Promise<void> {
    await closeFunction(this.spec.fn);
  }
}

export class KeyedAggregationOperator extends AbstractKeyedReduceOperator {
  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'keyedAggregation' }>) {
    super(ctx, aggregationReducer(spec.aggregation));
  }
}
