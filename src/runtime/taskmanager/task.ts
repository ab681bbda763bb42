/**
 * One subtask of one JobVertex: its operator chain, its input channels and its result
 * subpartitions, driven by a single mailbox loop (Flink's StreamTask + MailboxProcessor). Records,
 * watermarks, timers, split assignments and cancellation are all handled on this loop, one at a
 * time. The loop yields to the event loop regularly so that network frames and timers get in.
 */
import { performance } from 'node:perf_hooks';
import type { RuntimeContext } from '../../api/functions.js';
import type { SourceSplit } from '../../api/source.js';
import { MAX_WATERMARK } from '../../api/time.js';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from '../../api/state.js';
import { WeirError, serializeError, type SerializedError } from '../../errors.js';
import { consumersOf, producersOf } from '../../graph/distribution.js';
import type { JobGraph, JobOperator, JobVertex } from '../../graph/job-graph.js';
import type { StreamGraph } from '../../graph/stream-graph.js';
import type { ConnectionManager } from '../network/connection-manager.js';
import { channelId, type Frame } from '../network/events.js';
import { InputChannel } from '../network/input-channel.js';
import { RecordWriter } from '../network/record-writer.js';
import { ResultSubpartition } from '../network/result-subpartition.js';
import { StatusWatermarkValve } from '../network/watermark-valve.js';
import { ChainingOutput, OperatorFailure, OperatorOutput, RecordWriterOutput, attribute } from '../operators/chaining.js';
import { createOperator } from '../operators/factory.js';
import { HeapTimerServiceManager } from '../operators/heap-timer-service.js';
import type { OperatorContext, Output, ProcessingTimeService, StreamOperator } from '../operators/operator.js';
import { SourceOperator } from '../operators/source-operator.js';
import { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { ExecutionState, RuntimeSettings, SourceEventKind, TaskDeploymentDescriptor, TaskMetrics } from '../rpc/messages.js';

/** What the worker gives a task: the job, the network, and the way back to the JobMaster. */
export interface TaskEnvironment {
  readonly jobId: string;
  readonly attempt: number;
  readonly jobGraph: JobGraph;
  readonly streamGraph: StreamGraph;
  readonly settings: RuntimeSettings;
  readonly connections: ConnectionManager;
  reportState(vertexId: string, subtask: number, state: ExecutionState, error?: SerializedError, metrics?: TaskMetrics): void;
  sourceEvent(operatorId: string, vertexId: string, subtask: number, event: SourceEventKind): void;
  sendCollected(collectId: string, values: unknown[]): void;
}

class CanceledError extends Error {}

/** How often a running task reports its metrics (ms). */
const METRICS_INTERVAL_MS = 500;

/** How long the loop works before it lets the event loop run (ms). */
const TIME_SLICE_MS = 5;

export class Task {
  readonly vertex: JobVertex;
  readonly name: string;
  private readonly operators: StreamOperator[] = [];
  private readonly opNames: string[] = [];
  private readonly backends: KeyedStateBackend[] = [];
  private readonly timerManagers: HeapTimerServiceManager[] = [];
  private head!: StreamOperator;
  private source: SourceOperator | undefined;
  private readonly writers: RecordWriter[] = [];
  private readonly subpartitions: ResultSubpartition[] = [];
  private readonly channels: InputChannel[] = [];
  /** Per channel: its logical input and its index in that input's valve. */
  private readonly channelInput: number[] = [];
  private readonly channelSlot: number[] = [];
  private valves: StatusWatermarkValve[] = [];
  private channelsOpenPerInput: number[] = [];
  private nextChannel = 0;
  private readonly mails: (() => void)[] = [];
  private wake: (() => void) | undefined;
  private signaled = false;
  private blocker: Promise<unknown> | undefined;
  private canceled = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private flushTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private readonly metrics: TaskMetrics = { numRecordsIn: 0, numRecordsOut: 0, numBytesIn: 0, numBytesOut: 0, backPressuredTimeMs: 0 };
  private readonly pendingSplits: { splits: SourceSplit[]; noMore: boolean }[] = [];

  constructor(
    private readonly env: TaskEnvironment,
    private readonly desc: TaskDeploymentDescriptor,
  ) {
    const v = env.jobGraph.vertices.find((x) => x.id === desc.vertexId);
    if (!v) throw new WeirError('WEIR_INTERNAL', `vertex ${desc.vertexId} is not in job ${env.jobId}`);
    this.vertex = v;
    this.name = `${v.name} (${desc.subtask + 1}/${v.parallelism})`;
  }

  get subtask(): number {
    return this.desc.subtask;
  }

  /** Runs the task to its end and reports FINISHED, CANCELED or FAILED. Never rejects. */
  async run(): Promise<void> {
    const { vertexId, subtask } = this.desc;
    try {
      this.env.reportState(vertexId, subtask, 'INITIALIZING');
      this.build();
      for (let i = this.operators.length - 1; i >= 0; i--) await this.call(i, () => this.operators[i]!.open());
      for (const ch of this.channels) ch.open();
      this.startFlushTimer();
      this.env.reportState(vertexId, subtask, 'RUNNING');
      // Live metrics for progress displays and the REST API.
      this.metricsTimer = setInterval(
        () => this.env.reportState(vertexId, subtask, 'RUNNING', undefined, this.snapshotMetrics()),
        METRICS_INTERVAL_MS,
      );
      if (this.source) await this.runSource();
      else await this.runInputs();
      await this.finishChain();
      await this.drainOutputs();
      await this.closeAll();
      this.env.reportState(vertexId, subtask, 'FINISHED', undefined, this.snapshotMetrics());
    } catch (e) {
      await this.closeAll().catch(() => undefined);
      if (e instanceof CanceledError || this.canceled) {
        this.env.reportState(vertexId, subtask, 'CANCELED', undefined, this.snapshotMetrics());
      } else {
        this.env.reportState(vertexId, subtask, 'FAILED', this.describeFailure(e), this.snapshotMetrics());
      }
    } finally {
      this.cleanup();
    }
  }

  cancel(): void {
    this.canceled = true;
    this.notify();
  }

  /** Split assignments from the enumerator, delivered as a mail. */
  addSplits(splits: SourceSplit[], noMore: boolean): void {
    this.mail(() => {
      if (!this.source) return;
      if (splits.length) this.source.addSplits(splits);
      if (noMore) this.source.notifyNoMoreSplits();
    });
    if (!this.source) this.pendingSplits.push({ splits, noMore });
  }

  // ---------------------------------------------------------------- construction

  private build(): void {
    const { jobGraph, streamGraph, settings } = this.env;
    const ops = this.vertex.operators;
    const instances = new Map<string, StreamOperator>();
    const built: StreamOperator[] = new Array<StreamOperator>(ops.length);
    for (let i = ops.length - 1; i >= 0; i--) {
      const jo = ops[i]!;
      const node = streamGraph.node(jo.id);
      const output = this.buildOutput(jo, instances, ops);
      let backend: KeyedStateBackend | undefined;
      let timers: HeapTimerServiceManager | undefined;
      const pts = this.processingTimeService();
      if (jo.keyed) {
        backend = new HeapKeyedStateBackend({ maxParallelism: node.maxParallelism, operatorName: jo.name });
        timers = new HeapTimerServiceManager(backend, pts);
        this.backends.push(backend);
        this.timerManagers.push(timers);
      }
      const ctx: OperatorContext = {
        jobId: this.env.jobId,
        operatorId: jo.id,
        operatorName: jo.name,
        subtask: this.desc.subtask,
        parallelism: this.vertex.parallelism,
        maxParallelism: node.maxParallelism,
        attempt: this.env.attempt,
        runtimeMode: settings.runtimeMode,
        output,
        processingTimeService: pts,
        keySelectors: node.transformation.keySelectors,
        keyedStateBackend: backend,
        timerServiceManager: timers,
        runtimeContext: this.runtimeContext(jo, node.maxParallelism, backend),
        config: { ...settings.config, 'pipeline.auto-watermark-interval': settings.autoWatermarkInterval },
      };
      const op = createOperator(node.spec, ctx, {
        block: (p) => {
          this.blocker = this.blocker ? Promise.all([this.blocker, p]) : p;
        },
        splits: {
          register: () => this.env.sourceEvent(jo.id, this.vertex.id, this.desc.subtask, 'register'),
          requestSplit: () => this.env.sourceEvent(jo.id, this.vertex.id, this.desc.subtask, 'request'),
        },
        sendCollected: (id, values) => this.env.sendCollected(id, values),
      });
      instances.set(jo.id, op);
      built[i] = op;
    }
    this.operators.push(...built);
    this.opNames.push(...ops.map((o) => o.name));
    this.head = built[0]!;
    if (this.head instanceof SourceOperator) {
      this.source = this.head;
      for (const p of this.pendingSplits.splice(0)) this.addSplits(p.splits, p.noMore);
    }
    this.buildInputs(jobGraph);
  }

  private buildOutput(jo: JobOperator, instances: Map<string, StreamOperator>, ops: JobOperator[]): Output {
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
      add(c.tag, new ChainingOutput(instances.get(c.target)!, name, c.inputIndex));
    }
    for (const edgeId of jo.networkOutputs) {
      const edge = this.env.jobGraph.edges.find((e) => e.id === edgeId)!;
      add(edge.tag, new RecordWriterOutput(this.buildWriter(edge.id)));
    }
    return new OperatorOutput(main, side);
  }

  private buildWriter(edgeId: string): RecordWriter {
    const { jobGraph, streamGraph, settings, connections } = this.env;
    const edge = jobGraph.edges.find((e) => e.id === edgeId)!;
    const target = jobGraph.vertices.find((v) => v.id === edge.targetVertex)!;
    const consumers = consumersOf(edge.partitioner, this.vertex.parallelism, target.parallelism, this.desc.subtask);
    const subs = consumers.map((c) => {
      const ch = channelId(this.env.jobId, this.env.attempt, edge.id, this.desc.subtask, c);
      const peer = this.desc.locations[target.id]![c]!;
      const sp = new ResultSubpartition(ch, connections.sinkTo(peer), settings.bufferSize, settings.maxBuffersPerChannel, () =>
        this.notify(),
      );
      connections.register(ch, 'producer', (f: Frame) => {
        if (f.k === 'credit') sp.addCredit(f.n);
      });
      this.subpartitions.push(sp);
      return sp;
    });
    const sEdge = streamGraph.edge(edge.id);
    const keySelector = sEdge.partitioner.kind === 'hash' ? sEdge.partitioner.keySelector : undefined;
    const w = new RecordWriter(
      subs,
      consumers,
      edge.partitioner,
      keySelector,
      target.parallelism,
      sEdge.target.maxParallelism,
      this.desc.subtask,
    );
    this.writers.push(w);
    return w;
  }

  private buildInputs(jobGraph: JobGraph): void {
    const { settings, connections } = this.env;
    const inputs = this.vertex.inputs.map((id) => jobGraph.edges.find((e) => e.id === id)!);
    const numInputs = inputs.reduce((m, e) => Math.max(m, e.inputIndex + 1), 0);
    const perInput = new Array<number>(numInputs).fill(0);
    const plan: { edgeId: string; producer: number; peer: string; input: number }[] = [];
    for (const e of inputs) {
      const src = jobGraph.vertices.find((v) => v.id === e.sourceVertex)!;
      for (const p of producersOf(e.partitioner, src.parallelism, this.vertex.parallelism, this.desc.subtask)) {
        plan.push({ edgeId: e.id, producer: p, peer: this.desc.locations[src.id]![p]!, input: e.inputIndex });
      }
    }
    const credit = Math.max(
      settings.buffersPerChannel,
      settings.buffersPerChannel + Math.floor(settings.floatingBuffersPerGate / Math.max(1, plan.length)),
    );
    for (const p of plan) {
      const ch = channelId(this.env.jobId, this.env.attempt, p.edgeId, p.producer, this.desc.subtask);
      const input = new InputChannel(ch, p.producer, connections.sinkTo(p.peer), credit, () => this.notify());
      connections.register(ch, 'consumer', (f: Frame) => input.receive(f));
      this.channels.push(input);
      this.channelInput.push(p.input);
      this.channelSlot.push(perInput[p.input]!++);
    }
    this.channelsOpenPerInput = [...perInput];
    this.valves = perInput.map(
      (n, input) =>
        new StatusWatermarkValve(n, {
          watermark: (wm) => this.call(0, () => this.head.processWatermark(wm, input)),
          status: () => undefined,
        }),
    );
  }

  private runtimeContext(jo: JobOperator, maxParallelism: number, backend: KeyedStateBackend | undefined): RuntimeContext {
    const state = <S>(d: StateDescriptor): S => {
      if (!backend) {
        throw new WeirError(
          'WEIR_STATE_ACCESS',
          `operator '${jo.name}' used keyed state '${d.name}' but its input is not keyed: call keyBy() before it`,
        );
      }
      return backend.getState(d) as S;
    };
    return {
      getJobId: () => this.env.jobId,
      getTaskName: () => this.vertex.name,
      getIndexOfThisSubtask: () => this.desc.subtask,
      getNumberOfParallelSubtasks: () => this.vertex.parallelism,
      getMaxNumberOfParallelSubtasks: () => maxParallelism,
      getAttemptNumber: () => this.env.attempt,
      getState: <T>(d: ValueStateDescriptor<T>) => state(d),
      getListState: <T>(d: ListStateDescriptor<T>) => state(d),
      getMapState: <K, V>(d: MapStateDescriptor<K, V>) => state(d),
      getReducingState: <T>(d: ReducingStateDescriptor<T>) => state(d),
      getAggregatingState: <IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>) => state(d),
    } as RuntimeContext;
  }

  private processingTimeService(): ProcessingTimeService {
    return {
      getCurrentProcessingTime: () => Date.now(),
      registerTimer: (time, callback) => {
        // A timer for T fires once T has fully passed (as Flink: delay + 1 ms), so a record
        // processed during millisecond T still belongs before the timer, never after it.
        let handle: NodeJS.Timeout;
        const arm = (): void => {
          handle = setTimeout(
            () => {
              this.timers.delete(handle);
              if (Date.now() <= time) arm();
              else this.mail(() => callback(time));
            },
            Math.max(0, time - Date.now()) + 1,
          );
          this.timers.add(handle);
        };
        arm();
        return () => {
          clearTimeout(handle);
          this.timers.delete(handle);
        };
      },
    };
  }

  // ---------------------------------------------------------------- mailbox

  private mail(fn: () => void): void {
    this.mails.push(fn);
    this.notify();
  }

  private notify(): void {
    if (this.wake) {
      const w = this.wake;
      this.wake = undefined;
      w();
    } else this.signaled = true;
  }

  private waitSignal(): Promise<void> {
    if (this.signaled) {
      this.signaled = false;
      return Promise.resolve();
    }
    return new Promise((r) => (this.wake = r));
  }

  private runMails(): void {
    while (this.mails.length) {
      const m = this.mails.shift()!;
      this.call(0, m);
    }
  }

  private checkCanceled(): void {
    if (this.canceled) throw new CanceledError();
  }

  private outputsAvailable(): boolean {
    for (let i = 0; i < this.writers.length; i++) if (!this.writers[i]!.isAvailable()) return false;
    return true;
  }

  private async awaitBlocker(): Promise<void> {
    while (this.blocker) {
      const b = this.blocker;
      this.blocker = undefined;
      const t0 = performance.now();
      await b;
      this.metrics.backPressuredTimeMs += performance.now() - t0;
    }
  }

  private async awaitOutputs(): Promise<void> {
    const t0 = performance.now();
    while (!this.outputsAvailable()) {
      this.checkCanceled();
      this.runMails();
      await this.waitSignal();
    }
    this.metrics.backPressuredTimeMs += performance.now() - t0;
  }

  /** Runs operator code; failures are tagged with the operator (index i of the chain) if not yet. */
  private call<T>(i: number, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw attribute(e, this.opNames[i] ?? this.vertex.name);
    }
  }

  private async runSource(): Promise<void> {
    const src = this.source!;
    let slice = performance.now();
    for (;;) {
      this.checkCanceled();
      this.runMails();
      if (this.blocker) await this.awaitBlocker();
      if (!this.outputsAvailable()) await this.awaitOutputs();
      const status = this.call(0, () => src.pollNext());
      if (status === 'END_OF_INPUT') break;
      if (this.env.settings.bufferTimeout === 0) this.flushAll();
      if (status === 'NOTHING_AVAILABLE') {
        this.flushAll();
        await Promise.race([src.isAvailable(), this.waitSignal()]);
        slice = performance.now();
        continue;
      }
      if (performance.now() - slice > TIME_SLICE_MS) {
        await yieldToEventLoop();
        slice = performance.now();
      }
    }
    if (src.bounded) this.call(0, () => src.processWatermark(MAX_WATERMARK));
  }

  private async runInputs(): Promise<void> {
    let open = this.channels.length;
    if (open === 0) return;
    let slice = performance.now();
    const n = this.channels.length;
    for (;;) {
      this.checkCanceled();
      this.runMails();
      if (!this.outputsAvailable()) await this.awaitOutputs();
      // Round-robin over channels with data.
      let ch: InputChannel | undefined;
      let idx = -1;
      for (let k = 0; k < n; k++) {
        const j = (this.nextChannel + k) % n;
        if (this.channels[j]!.hasData) {
          ch = this.channels[j];
          idx = j;
          break;
        }
      }
      if (!ch) {
        this.flushAll();
        await this.waitSignal();
        slice = performance.now();
        continue;
      }
      this.nextChannel = (idx + 1) % n;
      const item = ch.poll()!;
      const input = this.channelInput[idx]!;
      if (item.k === 'data') {
        const { values, timestamps } = item;
        this.metrics.numRecordsIn += values.length;
        const head = this.head;
        for (let r = 0; r < values.length; r++) {
          try {
            head.processElement(values[r], timestamps === null ? undefined : (timestamps[r] ?? undefined), input);
          } catch (e) {
            throw attribute(e, this.opNames[0]!);
          }
          if (this.blocker) await this.awaitBlocker();
        }
        if (this.env.settings.bufferTimeout === 0) this.flushAll();
      } else {
        const ev = item.ev;
        if (ev.t === 'wm') this.valves[input]!.inputWatermark(this.channelSlot[idx]!, ev.v);
        else if (ev.t === 'status') this.valves[input]!.inputStatus(this.channelSlot[idx]!, ev.idle);
        else if (ev.t === 'eop') {
          open--;
          if (--this.channelsOpenPerInput[input]! === 0) await this.call(0, () => this.head.endInput(input));
          if (open === 0) return;
        }
      }
      if (performance.now() - slice > TIME_SLICE_MS) {
        await yieldToEventLoop();
        slice = performance.now();
      }
    }
  }

  /** All inputs ended: finish the chain from head to tail (each may still emit to the next). */
  private async finishChain(): Promise<void> {
    for (let i = 0; i < this.operators.length; i++) {
      if (i > 0) await this.call(i, () => this.operators[i]!.endInput(0));
      await this.call(i, () => this.operators[i]!.finish());
      if (this.blocker) await this.awaitBlocker();
      this.runMails();
    }
  }

  /** Sends end-of-partition everywhere and waits until every frame has left (credit permitting). */
  private async drainOutputs(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const w of this.writers) w.broadcastEvent({ t: 'eop' });
    while (!this.subpartitions.every((s) => s.drained)) {
      this.checkCanceled();
      this.runMails();
      await this.waitSignal();
    }
  }

  private closed = false;
  private async closeAll(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let i = 0; i < this.operators.length; i++) {
      try {
        await this.operators[i]!.close();
      } catch (e) {
        if (!this.canceled) throw attribute(e, this.opNames[i]!);
      }
    }
  }

  private flushAll(): void {
    for (let i = 0; i < this.writers.length; i++) this.writers[i]!.flush();
  }

  private startFlushTimer(): void {
    const t = this.env.settings.bufferTimeout;
    if (t > 0 && this.writers.length) this.flushTimer = setInterval(() => this.mail(() => this.flushAll()), t);
  }

  private cleanup(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const ch of this.channels) this.env.connections.unregister(ch.channel, 'consumer');
    for (const sp of this.subpartitions) this.env.connections.unregister(sp.channel, 'producer');
    for (const t of this.timerManagers) t.dispose();
    for (const b of this.backends) b.dispose();
  }

  private snapshotMetrics(): TaskMetrics {
    let out = 0;
    let bytesOut = 0;
    for (const w of this.writers) out += w.recordsOut;
    for (const s of this.subpartitions) bytesOut += s.bytesOut;
    if (this.source) this.metrics.numRecordsIn = this.source.recordsOut;
    let bytesIn = 0;
    for (const c of this.channels) bytesIn += c.bytesIn;
    return {
      ...this.metrics,
      numRecordsOut: out,
      numBytesOut: bytesOut,
      numBytesIn: bytesIn,
      backPressuredTimeMs: Math.round(this.metrics.backPressuredTimeMs),
    };
  }

  metricsNow(): TaskMetrics {
    return this.snapshotMetrics();
  }

  private describeFailure(e: unknown): SerializedError {
    const ctx = { jobName: this.env.jobGraph.jobName, subtask: this.desc.subtask, parallelism: this.vertex.parallelism };
    if (e instanceof OperatorFailure) {
      const orig = e.original;
      if (orig instanceof WeirError) return serializeError(orig, orig.code, { ...ctx, operator: e.operatorName });
      const msg = orig instanceof Error ? `${orig.name === 'Error' ? '' : orig.name + ': '}${orig.message}` : String(orig);
      const err = new WeirError(
        'WEIR_USER_FUNCTION',
        `Operator '${e.operatorName}' threw: ${msg}`,
        { ...ctx, operator: e.operatorName },
        { cause: orig },
      );
      return serializeError(err);
    }
    return serializeError(e, 'WEIR_INTERNAL', { ...ctx, operator: this.vertex.name });
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
