/**
 * Runs one operator outside a task (Flink's KeyedOneInputStreamOperatorTestHarness): a collecting
 * Output, a manually advanced processing-time clock, and, when key selectors are given, a heap
 * keyed state backend and timer service manager. Everything is synchronous unless the operator is not.
 */
import { DistributedCache } from '../../src/api/distributed-cache.js';
import type { KeySelector, RuntimeContext } from '../../src/api/functions.js';
import type { OutputTag } from '../../src/api/output-tag.js';
import type { StateDescriptor, State } from '../../src/api/state.js';
import { WeirError } from '../../src/errors.js';
import { MetricGroup } from '../../src/metrics/group.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { DEFAULT_MAX_PARALLELISM } from '../../src/graph/key-groups.js';
import { HeapTimerServiceManager } from '../../src/runtime/operators/heap-timer-service.js';
import type { OperatorContext, Output, ProcessingTimeService, RuntimeMode, StreamOperator } from '../../src/runtime/operators/operator.js';
import { HeapKeyedStateBackend } from '../../src/runtime/state/heap-keyed-state-backend.js';
import { DoubleCounter, Histogram, IntCounter, LongCounter, TaskAccumulators } from '../../src/runtime/taskmanager/task-accumulators.js';

export interface TimestampedValue {
  value: unknown;
  timestamp: number | undefined;
}

export type OutputEvent =
  | { kind: 'record'; value: unknown; timestamp: number | undefined }
  | { kind: 'watermark'; watermark: number }
  | { kind: 'idle'; idle: boolean };

/** Collects everything an operator emits, in order. */
export class CollectingOutput implements Output {
  readonly events: OutputEvent[] = [];
  readonly sideOutputs = new Map<string, TimestampedValue[]>();
  collect(value: unknown, timestamp: number | undefined): void {
    this.events.push({ kind: 'record', value, timestamp });
  }
  collectSide(tag: OutputTag, value: unknown, timestamp: number | undefined): void {
    let l = this.sideOutputs.get(tag.id);
    if (l === undefined) this.sideOutputs.set(tag.id, (l = []));
    l.push({ value, timestamp });
  }
  emitWatermark(watermark: number): void {
    this.events.push({ kind: 'watermark', watermark });
  }
  emitWatermarkStatus(idle: boolean): void {
    this.events.push({ kind: 'idle', idle });
  }
}

/** A processing-time clock that only moves when told to; due callbacks run in time order, synchronously. */
export class ManualProcessingTimeService implements ProcessingTimeService {
  private timers: { time: number; seq: number; cb: (t: number) => void; canceled: boolean }[] = [];
  private seq = 0;
  constructor(private now = 0) {}
  getCurrentProcessingTime(): number {
    return this.now;
  }
  registerTimer(time: number, callback: (time: number) => void): () => void {
    const t = { time, seq: this.seq++, cb: callback, canceled: false };
    this.timers.push(t);
    return () => {
      t.canceled = true;
    };
  }
  /** Number of registered, not cancelled, not yet fired callbacks. */
  get pending(): number {
    return this.timers.filter((t) => !t.canceled).length;
  }
  setCurrentTime(time: number): void {
    this.now = time;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.canceled);
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers)
        if (t.time <= time && (next === undefined || t.time < next.time || (t.time === next.time && t.seq < next.seq))) next = t;
      if (next === undefined) return;
      next.canceled = true;
      next.cb(next.time);
    }
  }
}

export interface HarnessOptions {
  /** One per input; when any is set the harness creates a keyed state backend and timers. */
  keySelectors?: (KeySelector<unknown, unknown> | undefined)[];
  runtimeMode?: RuntimeMode;
  maxParallelism?: number;
  processingTime?: number;
  operatorName?: string;
}

export class OperatorHarness<OP extends StreamOperator = StreamOperator> {
  readonly output = new CollectingOutput();
  readonly processingTimeService: ManualProcessingTimeService;
  readonly backend: HeapKeyedStateBackend | undefined;
  readonly timerServiceManager: HeapTimerServiceManager | undefined;
  readonly context: OperatorContext;
  readonly operator: OP;

  constructor(factory: (ctx: OperatorContext) => OP, opts: HarnessOptions = {}) {
    const keySelectors = opts.keySelectors ?? [];
    const maxParallelism = opts.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
    const name = opts.operatorName ?? 'test-operator';
    this.processingTimeService = new ManualProcessingTimeService(opts.processingTime ?? 0);
    if (keySelectors.some((k) => k !== undefined)) {
      this.backend = new HeapKeyedStateBackend({ maxParallelism, operatorName: name });
      this.timerServiceManager = new HeapTimerServiceManager(this.backend, this.processingTimeService);
    }
    this.context = {
      jobId: 'test-job',
      operatorId: 'op-1',
      operatorName: name,
      subtask: 0,
      parallelism: 1,
      maxParallelism,
      attempt: 0,
      runtimeMode: opts.runtimeMode ?? 'STREAMING',
      output: this.output,
      processingTimeService: this.processingTimeService,
      keySelectors,
      keyedStateBackend: this.backend,
      timerServiceManager: this.timerServiceManager,
      runtimeContext: createRuntimeContext(name, maxParallelism, this.backend),
      config: {},
    };
    this.operator = factory(this.context);
  }

  async open(): Promise<this> {
    await this.operator.open();
    return this;
  }

  processElement(value: unknown, timestamp?: number, input = 0): void {
    // processElement is declared void; an operator that still returned a promise is caught here.
    const r: unknown = this.operator.processElement(value, timestamp, input);
    if (r instanceof Promise) throw new Error('operator processed asynchronously; use processElementAsync');
  }

  async processElementAsync(value: unknown, timestamp?: number, input = 0): Promise<void> {
    await this.operator.processElement(value, timestamp, input);
  }

  processWatermark(watermark: number, input = 0): void {
    this.operator.processWatermark(watermark, input);
  }

  setProcessingTime(time: number): void {
    this.processingTimeService.setCurrentTime(time);
  }

  async endInput(input = 0): Promise<void> {
    await this.operator.endInput(input);
  }

  /** Ends every input, then finish() and close(). */
  async endAll(inputs = 1): Promise<void> {
    for (let i = 0; i < inputs; i++) await this.operator.endInput(i);
    await this.operator.finish();
    await this.operator.close();
  }

  async finish(): Promise<void> {
    await this.operator.finish();
  }

  async close(): Promise<void> {
    await this.operator.close();
  }

  /** Main-output records in order. */
  records(): TimestampedValue[] {
    const out: TimestampedValue[] = [];
    for (const e of this.output.events) if (e.kind === 'record') out.push({ value: e.value, timestamp: e.timestamp });
    return out;
  }

  values(): unknown[] {
    return this.records().map((r) => r.value);
  }

  watermarks(): number[] {
    const out: number[] = [];
    for (const e of this.output.events) if (e.kind === 'watermark') out.push(e.watermark);
    return out;
  }

  sideOutput(tag: OutputTag | string): TimestampedValue[] {
    return this.output.sideOutputs.get(typeof tag === 'string' ? tag : tag.id) ?? [];
  }

  /** Returns the events emitted so far and forgets them. */
  take(): OutputEvent[] {
    return this.output.events.splice(0);
  }

  /** Record values emitted so far, forgetting all events. */
  takeValues(): unknown[] {
    const out: unknown[] = [];
    for (const e of this.take()) if (e.kind === 'record') out.push(e.value);
    return out;
  }
}

export function createRuntimeContext(name: string, maxParallelism: number, backend: HeapKeyedStateBackend | undefined): RuntimeContext {
  const state = <S extends State>(d: StateDescriptor<S>): S => {
    if (backend === undefined) throw new WeirError('WEIR_STATE_ACCESS', `State '${d.name}' needs a keyed stream: call keyBy() first`);
    return backend.getState(d);
  };
  const accumulators = new TaskAccumulators(name);
  // The harness's operators get a group of their own registry (nothing samples or reports it).
  const metricGroup = new MetricGroup(new MetricRegistry({ updateViews: false }), 'operator', { '<operator_name>': name });
  return {
    getMetricGroup: () => metricGroup,
    getJobId: () => 'test-job',
    getTaskName: () => name,
    getIndexOfThisSubtask: () => 0,
    getNumberOfParallelSubtasks: () => 1,
    getMaxNumberOfParallelSubtasks: () => maxParallelism,
    getAttemptNumber: () => 0,
    getState: state,
    getListState: state,
    getMapState: state,
    getReducingState: state,
    getAggregatingState: state,
    getDistributedCache: () => new DistributedCache(new Map()),
    addAccumulator: (n, acc) => accumulators.add(n, acc),
    getAccumulator: (n) => accumulators.get(n),
    getIntCounter: (n) => accumulators.getOrAdd(n, IntCounter),
    getLongCounter: (n) => accumulators.getOrAdd(n, LongCounter),
    getDoubleCounter: (n) => accumulators.getOrAdd(n, DoubleCounter),
    getHistogram: (n) => accumulators.getOrAdd(n, Histogram),
  };
}
