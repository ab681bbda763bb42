/**
 * The operators of one task (Flink's OperatorChain): built tail first so each operator's output
 * can call its chained successors directly, with RecordWriterOutputs into the task's result
 * partition for network edges. Keyed operators get their state backend and timers here, and every
 * operator its runtime context (streaming-runtime-context.ts) and the task's processing-time
 * service (processing-time-service.ts), whose timers fire as mails. With a backend that loads
 * state ahead (prefetch), the keys a buffer of records or a watermark's timers will touch are
 * loaded before the head operator sees them, so state access stays synchronous.
 */
import type { KeySelector } from '../../api/functions.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../api/time.js';
import { WeirError } from '../../errors.js';
import type { JobOperator, JobVertex } from '../../graph/job-graph.js';
import type { ResultPartition } from '../network/result-partition.js';
import { ChainingOutput, OperatorOutput, RecordWriterOutput, attribute } from '../operators/chaining.js';
import { createOperator } from '../operators/factory.js';
import { HeapTimerServiceManager } from '../operators/heap-timer-service.js';
import type { MailboxExecutor } from '../operators/mailbox-executor.js';
import type { OperatorContext, Output, StreamOperator } from '../operators/operator.js';
import { SourceOperator } from '../operators/source-operator.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { createConfiguredKeyedStateBackend } from '../state/state-backends.js';
import type { MetricGroup } from '../../metrics/group.js';
import { MeterView, ReadOnlyCounter } from '../../metrics/types.js';
import type { Mailbox } from './mailbox.js';
import { SystemProcessingTimeService, TIMER_PREFETCH_KEYS } from './processing-time-service.js';
import { streamingRuntimeContext } from './streaming-runtime-context.js';
import type { TaskEnvironment } from './task-environment.js';
import { TaskAccumulators } from './task-accumulators.js';
import type { TaskMetrics } from './task-metrics.js';

/** Keyed state and timers of one keyed operator of the chain. */
export interface KeyedOperatorState {
  readonly backend: KeyedStateBackend;
  readonly timers: HeapTimerServiceManager;
  readonly keySelectors: readonly (KeySelector<unknown, unknown> | undefined)[];
}

export class OperatorChain {
  /** Head first. */
  readonly operators: StreamOperator[] = [];
  readonly opNames: string[] = [];
  head!: StreamOperator;
  source: SourceOperator | undefined;
  /** Keyed state and timers of each keyed operator of the chain, by operator id. */
  readonly keyedByOp = new Map<string, KeyedOperatorState>();
  /** What a sink's write waits for: the task awaits it before the next record. */
  blocker: Promise<unknown> | undefined;
  private readonly backends: KeyedStateBackend[] = [];
  private readonly timerManagers: HeapTimerServiceManager[] = [];
  /** The head operator's keyed state when its backend loads state ahead: records and timers are prefetched. */
  private headPrefetch: KeyedOperatorState | undefined;
  /** Watermarks for the head operator waiting for the prefetch of their timers' keys: [watermark, input]. */
  private readonly pendingWatermarks: [number, number][] = [];
  private readonly processingTime: SystemProcessingTimeService;
  private closed = false;
  /** The task's accumulators, shared by the operators of the chain. */
  readonly accumulators: TaskAccumulators;
  /** Per operator (head first): its output, the chained outputs that feed it, its metric group. */
  private readonly outputs: OperatorOutput[] = [];
  private readonly feeds = new Map<string, ChainingOutput[]>();
  private readonly groups: MetricGroup[] = [];
  /** The head operator's latest watermark per input (its currentInputWatermark is their minimum). */
  private readonly headWatermarks: number[] = [];

  constructor(
    private readonly env: TaskEnvironment,
    private readonly vertex: JobVertex,
    private readonly subtask: number,
    private readonly partition: ResultPartition,
    private readonly mailbox: Mailbox,
    private readonly checkpointingMode: 'EXACTLY_ONCE' | 'AT_LEAST_ONCE' | undefined,
    private readonly metrics: TaskMetrics,
  ) {
    this.accumulators = new TaskAccumulators(vertex.name);
    this.processingTime = new SystemProcessingTimeService(mailbox);
  }

  /** Runs operator code; failures are tagged with the operator (index i of the chain) if not yet. */
  call<T>(i: number, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw attribute(e, this.opNames[i] ?? this.vertex.name);
    }
  }

  /** The keyed state backend (state.backend.type) and timers of every keyed operator of the chain. */
  createKeyedState(): void {
    const { streamGraph, settings, jobId, attempt } = this.env;
    const ops = this.vertex.operators;
    for (let i = 0; i < ops.length; i++) {
      const jo = ops[i]!;
      if (!jo.keyed) continue;
      const node = streamGraph.node(jo.id);
      const opts = { maxParallelism: node.maxParallelism, operatorName: jo.name, ...(jo.uid !== undefined ? { operatorUid: jo.uid } : {}) };
      const backend = createConfiguredKeyedStateBackend(settings.config, { jobId, attempt }, opts);
      let timers: HeapTimerServiceManager | undefined = undefined;
      const pts = backend.prefetch ? this.processingTime.prefetching(backend, () => timers!) : this.processingTime.service();
      timers = new HeapTimerServiceManager(backend, pts);
      this.backends.push(backend);
      this.timerManagers.push(timers);
      const k: KeyedOperatorState = { backend, timers, keySelectors: node.transformation.keySelectors };
      this.keyedByOp.set(jo.id, k);
      if (i === 0 && backend.prefetch) this.headPrefetch = k;
    }
  }

  /** Creates the operators, tail first, each with its output and context. */
  build(): void {
    const { streamGraph, settings } = this.env;
    const ops = this.vertex.operators;
    const instances = new Map<string, StreamOperator>();
    const built: StreamOperator[] = new Array<StreamOperator>(ops.length);
    for (const jo of ops) this.groups.push(this.metrics.operator(jo.id, jo.name));
    for (let i = ops.length - 1; i >= 0; i--) {
      const jo = ops[i]!;
      const node = streamGraph.node(jo.id);
      const keyed = this.keyedByOp.get(jo.id);
      const output = this.buildOutput(jo, instances, ops);
      this.outputs[i] = output;
      const ctx: OperatorContext = {
        jobId: this.env.jobId,
        operatorId: jo.id,
        operatorName: jo.name,
        subtask: this.subtask,
        parallelism: this.vertex.parallelism,
        maxParallelism: node.maxParallelism,
        attempt: this.env.attempt,
        runtimeMode: settings.runtimeMode,
        output,
        metricGroup: this.groups[i]!,
        processingTimeService: this.processingTime.service(),
        keySelectors: node.transformation.keySelectors,
        keyedStateBackend: keyed?.backend,
        timerServiceManager: keyed?.timers,
        runtimeContext: streamingRuntimeContext(
          {
            jobId: this.env.jobId,
            taskName: this.vertex.name,
            operatorName: jo.name,
            subtask: this.subtask,
            parallelism: this.vertex.parallelism,
            maxParallelism: node.maxParallelism,
            attempt: this.env.attempt,
          },
          keyed?.backend,
          this.accumulators,
          this.groups[i]!,
        ),
        config: { ...settings.config, 'pipeline.auto-watermark-interval': settings.autoWatermarkInterval },
        ...(this.checkpointingMode ? { checkpointingMode: this.checkpointingMode } : {}),
      };
      const { id: vertexId } = this.vertex;
      const op = createOperator(node.spec, ctx, {
        block: (p) => {
          this.blocker = this.blocker ? Promise.all([this.blocker, p]) : p;
        },
        splits: {
          register: () => this.env.sourceEvent(jo.id, vertexId, this.subtask, 'register'),
          requestSplit: () => this.env.sourceEvent(jo.id, vertexId, this.subtask, 'request'),
        },
        sendCollected: (id, values) => this.env.sendCollected(id, values, vertexId, this.subtask),
        print: (text, toStderr) => this.env.print(text, toStderr),
        mailbox: this.mailboxExecutor,
      });
      instances.set(jo.id, op);
      built[i] = op;
    }
    this.operators.push(...built);
    this.opNames.push(...ops.map((o) => o.name));
    this.head = built[0]!;
    if (this.head instanceof SourceOperator) this.source = this.head;
    this.registerOperatorMetrics(ops, built);
  }

  /** Mails from operators (asynchronous I/O); yieldUntil runs mails until `done` holds or the task is cancelled. */
  private readonly mailboxExecutor: MailboxExecutor = {
    execute: (mail) => this.mailbox.mail(mail),
    yieldUntil: async (done) => {
      for (;;) {
        if (done()) return;
        if (this.mailbox.canceled) throw new WeirError('WEIR_JOB_CANCELED', 'the task was cancelled');
        this.mailbox.runMails();
        if (done()) return;
        await this.mailbox.waitSignal();
      }
    },
  };

  /** The head operator's current input watermark (the minimum over its inputs), if it has one yet. */
  inputWatermark(): number | undefined {
    if (this.headWatermarks.length === 0) return undefined;
    let min = Infinity;
    for (const w of this.headWatermarks) min = Math.min(min, w ?? MIN_WATERMARK);
    return min === MIN_WATERMARK || !Number.isFinite(min) ? undefined : min;
  }

  /**
   * Flink's operator metrics, read from what the chain counts anyway: records in (the task's input
   * for the head, the feeding chained outputs for the others; records read for a source), records
   * out (the operator's output; records written for a sink, as FLIP-33 defines it), their meters,
   * the input and output watermarks, and records dropped as late.
   */
  private registerOperatorMetrics(ops: JobOperator[], built: StreamOperator[]): void {
    for (let i = 0; i < ops.length; i++) {
      const g = this.groups[i]!;
      const op = built[i]!;
      const feeds = this.feeds.get(ops[i]!.id) ?? [];
      const out = this.outputs[i]!;
      const recordsIn =
        i === 0
          ? op instanceof SourceOperator
            ? () => op.recordsOut
            : this.metrics.io.recordsIn
          : () => {
              let n = 0;
              for (const f of feeds) n += f.count;
              return n;
            };
      const isSink = ops[i]!.chainedOutputs.length === 0 && ops[i]!.networkOutputs.length === 0;
      const inCounter = g.counter('numRecordsIn', new ReadOnlyCounter(recordsIn));
      const outCounter = g.counter('numRecordsOut', new ReadOnlyCounter(isSink ? recordsIn : () => out.counter));
      g.meter('numRecordsInPerSecond', new MeterView(inCounter));
      g.meter('numRecordsOutPerSecond', new MeterView(outCounter));
      g.gauge('currentInputWatermark', () => {
        if (i > 0) return feeds.length ? Math.min(...feeds.map((f) => f.watermark)) : MIN_WATERMARK;
        if (op instanceof SourceOperator) return out.watermark;
        return this.headWatermarks.length ? Math.min(...this.headWatermarks.map((w) => w ?? MIN_WATERMARK)) : MIN_WATERMARK;
      });
      g.gauge('currentOutputWatermark', () => out.watermark);
      const late = op as { numLateRecordsDropped?: unknown };
      if (typeof late.numLateRecordsDropped === 'number')
        g.counter('numLateRecordsDropped', new ReadOnlyCounter(() => late.numLateRecordsDropped as number));
    }
  }

  private buildOutput(jo: JobOperator, instances: Map<string, StreamOperator>, ops: JobOperator[]): OperatorOutput {
    const main: Output[] = [];
    const side = new Map<string, Output[]>();
    const add = (tag: string | undefined, o: Output): void => {
      if (tag === undefined) main.push(o);
      else {
        if (!side.has(tag)) side.set(tag, []);
        side.get(tag)!.push(o);
      }
    };
    for (const c of jo.chainedOutputs) {
      const name = ops.find((o) => o.id === c.target)!.name;
      const co = new ChainingOutput(instances.get(c.target)!, name, c.inputIndex);
      if (!this.feeds.has(c.target)) this.feeds.set(c.target, []);
      this.feeds.get(c.target)!.push(co);
      add(c.tag, co);
    }
    for (const edgeId of jo.networkOutputs) {
      const edge = this.env.jobGraph.edges.find((e) => e.id === edgeId)!;
      add(edge.tag, new RecordWriterOutput(this.partition.createWriter(edge.id)));
    }
    return new OperatorOutput(main, side);
  }

  // ---------------------------------------------------------------- driving the head

  /** Opens the operators, tail first (a successor is ready before anything reaches it). */
  async open(): Promise<void> {
    for (let i = this.operators.length - 1; i >= 0; i--) await this.call(i, () => this.operators[i]!.open());
  }

  /** Loads the state of the keys of a buffer's records before they are processed; undefined when nothing loads ahead. */
  prefetchRecords(values: readonly unknown[], input: number): Promise<void> | undefined {
    const k = this.headPrefetch;
    if (k === undefined) return undefined;
    const select = k.keySelectors[input];
    if (select === undefined) return undefined;
    const keys = new Array<unknown>(values.length);
    try {
      for (let r = 0; r < values.length; r++) keys[r] = select(values[r]);
    } catch (e) {
      throw attribute(e, this.opNames[0]!);
    }
    return k.backend.prefetch!(keys);
  }

  /** A watermark for the head operator; with prefetch it waits for deliverWatermarks. */
  processWatermark(watermark: number, input: number): void {
    this.headWatermarks[input] = watermark;
    if (this.headPrefetch) this.pendingWatermarks.push([watermark, input]);
    else this.call(0, () => this.head.processWatermark(watermark, input));
  }

  get hasPendingWatermarks(): boolean {
    return this.pendingWatermarks.length > 0;
  }

  /** Watermarks for the head operator: the keys of the event-time timers each fires are loaded first. */
  async deliverWatermarks(): Promise<void> {
    const k = this.headPrefetch!;
    for (let guard = 0; guard < 1_000_000 && this.pendingWatermarks.length > 0; guard++) {
      const [wm, input] = this.pendingWatermarks.shift()!;
      await k.backend.prefetch!(k.timers.dueKeys('event', wm, TIMER_PREFETCH_KEYS));
      this.call(0, () => this.head.processWatermark(wm, input));
    }
  }

  /** One input of the head operator ended. */
  endInput(input: number): void | Promise<void> {
    return this.call(0, () => this.head.endInput(input));
  }

  /** BATCH end of input: every remaining timer fires, so their keys are loaded first. */
  async prefetchAllTimers(): Promise<void> {
    const k = this.headPrefetch;
    if (!k || this.env.settings.runtimeMode !== 'BATCH') return;
    await k.backend.prefetch!(k.timers.dueKeys('event', MAX_WATERMARK, TIMER_PREFETCH_KEYS));
    await k.backend.prefetch!(k.timers.dueKeys('processing', Number.MAX_SAFE_INTEGER, TIMER_PREFETCH_KEYS));
  }

  /** Closes every operator once; failures of close are ignored once `canceled()` holds. */
  async close(canceled: () => boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let i = 0; i < this.operators.length; i++) {
      try {
        await this.operators[i]!.close();
      } catch (e) {
        if (!canceled()) throw attribute(e, this.opNames[i]!);
      }
    }
  }

  /** Cancels the processing-time timers and releases the keyed state. */
  dispose(): void {
    this.processingTime.shutdown();
    for (const t of this.timerManagers) t.dispose();
    for (const b of this.backends) b.dispose();
  }
}
