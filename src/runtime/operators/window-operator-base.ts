/**
 * What the three window operators (general, trigger-driven, sliced) share: the keyed inputs and
 * the window timer service, the user functions' open/close, and the watermark/end-of-input tail
 * (Flink's WindowOperator lifecycle). Subclasses process elements and fire timers.
 */
import { WeirError } from '../../errors.js';
import { MIN_WATERMARK } from '../../api/time.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { finishBatchTimers, requireKeyed } from './keyed-process-operator.js';
import type { OperatorContext, StreamOperator } from './operator.js';
import type { InternalTimer, InternalTimerService, TimerServiceManager, Triggerable } from './timer-service.js';
import { closeFunction, openFunction } from './user-function.js';

export const CONTENTS_STATE = '_weir_window_contents';
export const MERGING_SET_STATE = '_weir_window_merging_set';
const WINDOW_TIMERS = 'window-timers';

export abstract class WindowOperatorBase implements StreamOperator, Triggerable<string> {
  /** Records dropped because every window they belong to was past its allowed lateness (no late side output). */
  numLateRecordsDropped = 0;

  protected readonly keySelector: (v: unknown) => unknown;
  protected readonly backend: KeyedStateBackend;
  protected readonly tsm: TimerServiceManager;
  protected readonly timers: InternalTimerService<string>;
  /** The user functions opened and closed with the operator (undefined entries are skipped). */
  protected userFunctions: unknown[] = [];
  private watermark = MIN_WATERMARK;

  constructor(protected readonly ctx: OperatorContext) {
    const k = requireKeyed(ctx, 0);
    this.keySelector = k.keySelector;
    this.backend = k.backend;
    this.tsm = k.timers;
    this.timers = this.tsm.getTimerService<string>(WINDOW_TIMERS, this, (ns) => ns);
  }

  abstract processElement(value: unknown, timestamp: number | undefined): void;
  abstract onEventTime(timer: InternalTimer<string>): void;
  abstract onProcessingTime(timer: InternalTimer<string>): void;

  /** An event-time window got a record without a timestamp. */
  protected missingTimestamp(): WeirError {
    return new WeirError(
      'WEIR_BAD_PIPELINE',
      `Window operator '${this.ctx.operatorName}' got a record without a timestamp: event-time windows need timestamps. ` +
        'Use assignTimestampsAndWatermarks() (or a WatermarkStrategy with a timestamp assigner on the source), or processing-time windows.',
      { operator: this.ctx.operatorName },
    );
  }

  async open(): Promise<void> {
    for (const f of this.userFunctions) await openFunction(f, this.ctx.runtimeContext);
  }

  processWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    this.tsm.advanceWatermark(watermark);
    this.ctx.output.emitWatermark(watermark);
  }

  endInput(): void {}

  finish(): void {
    finishBatchTimers(this.ctx);
  }

  async close(): Promise<void> {
    for (const f of this.userFunctions) await closeFunction(f);
  }
}
