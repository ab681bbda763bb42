/**
 * One subtask of one JobVertex: its operator chain, its input channels and its result
 * subpartitions, driven by a single mailbox loop (Flink's StreamTask + MailboxProcessor). Records,
 * watermarks, timers, split assignments, checkpoint barriers and cancellation are all handled on
 * this loop, one at a time. The loop yields to the event loop regularly so that network frames and
 * timers get in.
 *
 * Checkpoints: a source task snapshots when the coordinator triggers it (a mail), a task with inputs
 * when the barrier arrived on every channel (BarrierAligner); the synchronous part serialises the
 * chain's state in the mailbox and forwards the barrier, the asynchronous part writes the state file
 * and acknowledges. A restored task gets its state back before its operators open. With
 * checkpointing, a task that ran out of input sends end of data, stays until a checkpoint taken
 * after that completed (its final checkpoint: sinks commit their last files), then ends its partitions.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { currentDistributedCache } from '../../api/distributed-cache.js';
import type { KeySelector, RuntimeContext } from '../../api/functions.js';
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
import { keyGroupRangeForSubtask } from '../../graph/key-groups.js';
import type { JobGraph, JobOperator, JobVertex } from '../../graph/job-graph.js';
import type { StreamGraph } from '../../graph/stream-graph.js';
import type { ConnectionManager } from '../network/connection-manager.js';
import type { Barrier } from '../checkpoint/barrier-aligner.js';
import { assignOperatorState, type AssignedOperatorState } from '../checkpoint/state-assignment.js';
import {
  SHARED_DIR,
  checkpointDirName,
  packState,
  readSubtaskState,
  sharedDirOf,
  stateFileName,
  subtaskStateFile,
  writeSubtaskState,
  type KeyedStateSnapshot,
  type OperatorSubtaskState,
  type SubtaskStateFile,
} from '../checkpoint/storage.js';
import type { TaskNetworkContext } from '../network/channel.js';
import { InputGate } from '../network/input-gate.js';
import { ResultPartition } from '../network/result-partition.js';
import { ChainingOutput, OperatorFailure, OperatorOutput, RecordWriterOutput, attribute } from '../operators/chaining.js';
import { createOperator } from '../operators/factory.js';
import { HeapTimerServiceManager } from '../operators/heap-timer-service.js';
import type { OperatorContext, Output, ProcessingTimeService, StreamOperator } from '../operators/operator.js';
import { SourceOperator } from '../operators/source-operator.js';
import type { KeyedStateBackend, SharedStateFiles } from '../state/keyed-state-backend.js';
import { createConfiguredKeyedStateBackend } from '../state/state-backends.js';
import type {
  CheckpointingMode,
  CheckpointOptions,
  CheckpointNotificationKind,
  ExecutionState,
  RuntimeSettings,
  SourceEventKind,
  SubtaskCheckpointMetrics,
  SubtaskStateHandle,
  TaskDeploymentDescriptor,
  TaskMetrics,
  TaskRestore,
} from '../rpc/messages.js';

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
  sendCollected(collectId: string, values: unknown[], vertexId: string, subtask: number): void;
  /** print()'s lines, written by the TaskManager's own process before this task's later reports. */
  print(text: string, toStderr: boolean): void;
  acknowledgeCheckpoint(
    vertexId: string,
    subtask: number,
    checkpointId: number,
    handle: SubtaskStateHandle,
    metrics: SubtaskCheckpointMetrics,
  ): void;
  declineCheckpoint(vertexId: string, subtask: number, checkpointId: number, reason: string): void;
  /** A source subtask ran out of input and waits for its final checkpoint. */
  endOfData(vertexId: string, subtask: number): void;
}

/** The synchronous part of one operator's snapshot: state serialised, or still to come (promises). */
interface OperatorSnapshotPart {
  keyed?: Omit<KeyedStateSnapshot, 'data'> & { data: Uint8Array | Promise<Uint8Array> };
  lists?: Record<string, { mode: 'split' | 'union'; data: Uint8Array | Promise<unknown[]> }>;
  /** An incremental checkpoint's upload to the shared directory. */
  shared?: Promise<SharedStateFiles>;
}

/** Keyed state and timers of one keyed operator of the chain. */
interface KeyedOperatorState {
  readonly backend: KeyedStateBackend;
  readonly timers: HeapTimerServiceManager;
  readonly keySelectors: readonly (KeySelector<unknown, unknown> | undefined)[];
}

/** Keys whose state a prefetch loads at most, for timers (more are read as they fire). */
const TIMER_PREFETCH_KEYS = 10_000;

class CanceledError extends Error {}

/** Thrown out of the task's loops once a stop-with-savepoint completed: the task ends FINISHED. */
class StoppedError extends Error {}

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
  /** Keyed state and timers of each keyed operator of the chain, by operator id. */
  private readonly keyedByOp = new Map<string, KeyedOperatorState>();
  /** The head operator's keyed state when its backend loads state ahead: records and timers are prefetched. */
  private headPrefetch: KeyedOperatorState | undefined;
  /** Watermarks for the head operator waiting for the prefetch of their timers' keys: [watermark, input]. */
  private readonly pendingWatermarks: [number, number][] = [];
  private head!: StreamOperator;
  private source: SourceOperator | undefined;
  private readonly net: TaskNetworkContext;
  /** Where the chain's network outputs go. */
  private readonly partition: ResultPartition;
  /** Where the head operator's input comes from (created with the chain). */
  private gate: InputGate | undefined;
  /** Checkpointing of this job (undefined: none). */
  private readonly checkpointing: RuntimeSettings['checkpointing'];
  /** All input ended and the chain finished (end of data sent downstream). */
  private dataFinished = false;
  /** The first checkpoint this task snapshotted after dataFinished: once it completes the task may end. */
  private finalCheckpoint: number | undefined;
  private lastCompletedCheckpoint = 0;
  /** Asynchronous checkpoint work (state writes, commits) still running. */
  private readonly asyncWork = new Set<Promise<unknown>>();
  private readonly mails: (() => void)[] = [];
  private wake: (() => void) | undefined;
  private signaled = false;
  private blocker: Promise<unknown> | undefined;
  private canceled = false;
  /** The stop-with-savepoint this task took part in; once it completed the task ends. */
  private stopSavepoint: number | undefined;
  private stopping = false;
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
    this.checkpointing = env.settings.runtimeMode === 'STREAMING' ? env.settings.checkpointing : undefined;
    const { jobId, attempt, jobGraph, streamGraph, connections, settings } = env;
    const locations = desc.locations;
    this.net = { jobId, attempt, jobGraph, streamGraph, connections, settings, vertex: v, subtask: desc.subtask, locations };
    this.partition = new ResultPartition(this.net, () => this.notify());
  }

  get subtask(): number {
    return this.desc.subtask;
  }

  /** Runs the task to its end and reports FINISHED, CANCELED or FAILED. Never rejects. */
  async run(): Promise<void> {
    const { vertexId, subtask } = this.desc;
    try {
      this.env.reportState(vertexId, subtask, 'INITIALIZING');
      // State first (Flink's initializeState), then open: no record is processed before the restore.
      // Keyed state is restored before the operators are built, so the states they register meet
      // the restored ones (a kind that changed is a clear error).
      const assigned = await this.assignState(this.desc.restore);
      this.createKeyedState();
      await this.restoreKeyedState(assigned);
      this.build();
      await this.initializeOperatorState(assigned);
      for (let i = this.operators.length - 1; i >= 0; i--) await this.call(i, () => this.operators[i]!.open());
      this.gate!.open();
      this.startFlushTimer();
      this.env.reportState(vertexId, subtask, 'RUNNING');
      // Live metrics for progress displays and the REST API.
      this.metricsTimer = setInterval(
        () => this.env.reportState(vertexId, subtask, 'RUNNING', undefined, this.snapshotMetrics()),
        METRICS_INTERVAL_MS,
      );
      if (this.source) await this.runSource();
      else if (this.gate!.numChannels > 0) await this.pollInputs(this.gate!, (g) => g.allDataEnded);
      if (this.headPrefetch) await this.prefetchAllTimers(this.headPrefetch);
      await this.finishChain();
      if (this.checkpointing) {
        this.partition.broadcastEvent({ t: 'eod' });
        this.dataFinished = true;
        if (this.source) this.env.endOfData(vertexId, subtask);
        await this.awaitFinalCheckpoint();
      }
      await this.drainOutputs();
      await this.closeAll();
      this.env.reportState(vertexId, subtask, 'FINISHED', undefined, this.snapshotMetrics());
    } catch (e) {
      if (e instanceof StoppedError && !this.canceled) {
        try {
          await this.closeAll();
          this.env.reportState(vertexId, subtask, 'FINISHED', undefined, this.snapshotMetrics());
        } catch (closeFailure) {
          this.env.reportState(vertexId, subtask, 'FAILED', this.describeFailure(closeFailure), this.snapshotMetrics());
        }
        return;
      }
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

  /** The coordinator triggers a checkpoint at this source subtask (a mail: it runs between two polls of the reader). */
  triggerCheckpoint(checkpointId: number, timestamp: number, mode: CheckpointingMode, options: CheckpointOptions = {}): void {
    this.mail(() => {
      const src = this.source;
      if (!src || !this.checkpointing) {
        this.env.declineCheckpoint(this.vertex.id, this.desc.subtask, checkpointId, 'not a source task with checkpointing');
        return;
      }
      // Stop with savepoint --drain: event time ends before the barrier, so every event-time timer
      // and window downstream fires and its output belongs to the savepoint.
      if (options.drain) this.call(0, () => src.processWatermark(MAX_WATERMARK));
      const barrier: Barrier = { t: 'barrier', id: checkpointId, timestamp, mode };
      if (options.savepoint) barrier.savepoint = true;
      if (options.stop) barrier.stop = true;
      this.performCheckpoint(barrier, 0);
    });
  }

  /** A checkpoint completed (operators commit) or was aborted (alignment released). */
  notifyCheckpoint(checkpointId: number, kind: CheckpointNotificationKind): void {
    this.mail(() => {
      for (const k of this.keyedByOp.values()) {
        if (kind === 'complete') k.backend.notifyCheckpointComplete(checkpointId);
        else k.backend.notifyCheckpointAborted(checkpointId);
      }
      if (kind === 'complete') {
        if (checkpointId > this.lastCompletedCheckpoint) this.lastCompletedCheckpoint = checkpointId;
        for (let i = 0; i < this.operators.length; i++) {
          const op = this.operators[i]!;
          if (!op.notifyCheckpointComplete) continue;
          const r = this.call(i, () => op.notifyCheckpointComplete!(checkpointId));
          if (r instanceof Promise) this.track(r, this.opNames[i]!);
        }
        // Stop with savepoint: the task ends once what the savepoint's completion started (commits) is done.
        if (checkpointId === this.stopSavepoint) {
          this.stopping = true;
          // The loops test `stopping` before they wait: a task whose input has stopped (its sources
          // ended with the same savepoint) and with no commit under way would otherwise wait forever.
          this.notify();
        }
      } else {
        this.gate?.abortCheckpoint(checkpointId);
        for (let i = 0; i < this.operators.length; i++) this.call(i, () => this.operators[i]!.notifyCheckpointAborted?.(checkpointId));
      }
    });
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
    const { streamGraph, settings } = this.env;
    const ops = this.vertex.operators;
    const instances = new Map<string, StreamOperator>();
    const built: StreamOperator[] = new Array<StreamOperator>(ops.length);
    for (let i = ops.length - 1; i >= 0; i--) {
      const jo = ops[i]!;
      const node = streamGraph.node(jo.id);
      const output = this.buildOutput(jo, instances, ops);
      const keyed = this.keyedByOp.get(jo.id);
      const backend: KeyedStateBackend | undefined = keyed?.backend;
      const timers: HeapTimerServiceManager | undefined = keyed?.timers;
      const pts = this.processingTimeService();
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
        ...(this.checkpointing ? { checkpointingMode: this.checkpointing.mode } : {}),
      };
      const op = createOperator(node.spec, ctx, {
        block: (p) => {
          this.blocker = this.blocker ? Promise.all([this.blocker, p]) : p;
        },
        splits: {
          register: () => this.env.sourceEvent(jo.id, this.vertex.id, this.desc.subtask, 'register'),
          requestSplit: () => this.env.sourceEvent(jo.id, this.vertex.id, this.desc.subtask, 'request'),
        },
        sendCollected: (id, values) => this.env.sendCollected(id, values, this.vertex.id, this.desc.subtask),
        print: (text, toStderr) => this.env.print(text, toStderr),
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
    this.gate = this.createGate();
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
      add(edge.tag, new RecordWriterOutput(this.partition.createWriter(edge.id)));
    }
    return new OperatorOutput(main, side);
  }

  private createGate(): InputGate {
    return new InputGate(this.net, this.checkpointing !== undefined, {
      onData: () => this.notify(),
      watermark: (wm, input) => {
        // With a backend that loads state ahead the keys of the timers the watermark fires are loaded first.
        if (this.headPrefetch) this.pendingWatermarks.push([wm, input]);
        else this.call(0, () => this.head.processWatermark(wm, input));
      },
      endInput: (input) => this.call(0, () => this.head.endInput(input)),
      aligned: (b, alignmentMs) => this.performCheckpoint(b, alignmentMs),
      cancelled: (id, reason) => this.env.declineCheckpoint(this.vertex.id, this.desc.subtask, id, reason),
    });
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
      getDistributedCache: currentDistributedCache,
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
    if (this.stopping && this.asyncWork.size === 0) throw new StoppedError();
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
    while (!this.partition.isAvailable()) {
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
      if (!this.partition.isAvailable()) await this.awaitOutputs();
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

  /**
   * The input loop: takes buffers and events from the gate (round-robin over channels not blocked
   * by an alignment), feeds records to the head operator and lets the gate handle events, until
   * `done(gate)` holds.
   */
  private async pollInputs(gate: InputGate, done: (gate: InputGate) => boolean): Promise<void> {
    let slice = performance.now();
    for (;;) {
      this.checkCanceled();
      this.runMails();
      if (done(gate)) return;
      if (!this.partition.isAvailable()) await this.awaitOutputs();
      const item = gate.pollNext();
      if (item === undefined) {
        this.flushAll();
        await this.waitSignal();
        slice = performance.now();
        continue;
      }
      if (item.k === 'data') {
        const { values, timestamps } = item;
        const input = gate.input;
        this.metrics.numRecordsIn += values.length;
        if (this.headPrefetch) await this.prefetchRecords(this.headPrefetch, values, input);
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
        const pending = gate.processEvent(item.ev);
        if (pending !== undefined) await pending;
        if (this.pendingWatermarks.length > 0) await this.deliverWatermarks();
      }
      if (performance.now() - slice > TIME_SLICE_MS) {
        await yieldToEventLoop();
        slice = performance.now();
      }
    }
  }

  /** After end of data: keep taking part in checkpoints until one taken after it completed, and (inputs) until every channel ended. */
  private async awaitFinalCheckpoint(): Promise<void> {
    const gate = this.gate!;
    if (gate.numChannels > 0) {
      await this.pollInputs(gate, (g) => this.finalCheckpointDone() && g.partitionsEnded);
      return;
    }
    for (;;) {
      this.checkCanceled();
      this.runMails();
      if (this.finalCheckpointDone()) return;
      await this.waitSignal();
    }
  }

  private finalCheckpointDone(): boolean {
    return this.finalCheckpoint !== undefined && this.lastCompletedCheckpoint >= this.finalCheckpoint && this.asyncWork.size === 0;
  }

  // ---------------------------------------------------------------- checkpoints

  /** Reads, per operator of the chain, its share of the checkpoint restored from (none on a fresh start). */
  private async assignState(restore: TaskRestore | undefined): Promise<Map<string, AssignedOperatorState>> {
    const out = new Map<string, AssignedOperatorState>();
    if (!restore) return out;
    const files = new Map<string, Promise<SubtaskStateFile>>();
    const read = (f: string): Promise<SubtaskStateFile> => {
      let p = files.get(f);
      if (!p) files.set(f, (p = readSubtaskState(f)));
      return p;
    };
    for (const jo of this.vertex.operators) {
      const r = restore.operators[jo.id];
      if (!r) continue;
      const maxParallelism = this.env.streamGraph.node(jo.id).maxParallelism;
      out.set(jo.id, await assignOperatorState(jo.id, jo.name, r, this.desc.subtask, this.vertex.parallelism, maxParallelism, read));
    }
    return out;
  }

  /** The keyed state backend (state.backend.type) and timers of every keyed operator of the chain. */
  private createKeyedState(): void {
    const { streamGraph, settings, jobId, attempt } = this.env;
    const ops = this.vertex.operators;
    for (let i = 0; i < ops.length; i++) {
      const jo = ops[i]!;
      if (!jo.keyed) continue;
      const node = streamGraph.node(jo.id);
      const opts = { maxParallelism: node.maxParallelism, operatorName: jo.name, ...(jo.uid !== undefined ? { operatorUid: jo.uid } : {}) };
      const backend = createConfiguredKeyedStateBackend(settings.config, { jobId, attempt }, opts);
      let timers: HeapTimerServiceManager | undefined = undefined;
      const pts = backend.prefetch ? this.prefetchingTimeService(backend, () => timers!) : this.processingTimeService();
      timers = new HeapTimerServiceManager(backend, pts);
      this.backends.push(backend);
      this.timerManagers.push(timers);
      const k: KeyedOperatorState = { backend, timers, keySelectors: node.transformation.keySelectors };
      this.keyedByOp.set(jo.id, k);
      if (i === 0 && backend.prefetch) this.headPrefetch = k;
    }
  }

  /** Restores keyed state (the backend reads what its checkpoint format needs) and timers, before the operators are built. */
  private async restoreKeyedState(assigned: Map<string, AssignedOperatorState>): Promise<void> {
    const restore = this.desc.restore;
    for (const [opId, k] of this.keyedByOp) {
      await k.backend.open?.();
      const a = assigned.get(opId);
      if (!restore || !a) continue;
      const range = a.keyGroupRange;
      const sharedDir = sharedDirOf(restore.dir);
      const ownSharedDir =
        this.checkpointing !== undefined && path.resolve(sharedDir) === path.resolve(this.checkpointing.jobDir, SHARED_DIR);
      await k.backend.restoreState(a.keyed, { range, sharedDir, ownSharedDir });
      for (const part of a.keyed) k.timers.restore(part.timers, range);
    }
  }

  /** Gives each operator its restored operator state (or tells it that it starts fresh), before any operator opens. */
  private async initializeOperatorState(assigned: Map<string, AssignedOperatorState>): Promise<void> {
    const restore = this.desc.restore;
    const ops = this.vertex.operators;
    for (let i = 0; i < ops.length; i++) {
      const op = this.operators[i]!;
      if (!op.initializeState) continue;
      const a = assigned.get(ops[i]!.id);
      if (!restore || !a) {
        await this.call(i, () => op.initializeState!(undefined));
        continue;
      }
      const checkpointId = restore.checkpointId;
      await this.call(i, () => op.initializeState!({ checkpointId, get: (name) => a.lists.get(name) }));
    }
  }

  private opName(opId: string): string {
    return this.vertex.operators.find((o) => o.id === opId)?.name ?? this.vertex.name;
  }

  // ---------------------------------------------------------------- backends that load state ahead

  /** Loads the state of the keys of a buffer's records before they are processed (state access stays synchronous). */
  private prefetchRecords(k: KeyedOperatorState, values: readonly unknown[], input: number): Promise<void> {
    const select = k.keySelectors[input];
    if (select === undefined) return Promise.resolve();
    const keys = new Array<unknown>(values.length);
    try {
      for (let r = 0; r < values.length; r++) keys[r] = select(values[r]);
    } catch (e) {
      throw attribute(e, this.opNames[0]!);
    }
    return k.backend.prefetch!(keys);
  }

  /** Watermarks for the head operator: the keys of the event-time timers each fires are loaded first. */
  private async deliverWatermarks(): Promise<void> {
    const k = this.headPrefetch!;
    for (let guard = 0; guard < 1_000_000 && this.pendingWatermarks.length > 0; guard++) {
      const [wm, input] = this.pendingWatermarks.shift()!;
      await k.backend.prefetch!(k.timers.dueKeys('event', wm, TIMER_PREFETCH_KEYS));
      this.call(0, () => this.head.processWatermark(wm, input));
    }
  }

  /** BATCH end of input: every remaining timer fires, so their keys are loaded first. */
  private async prefetchAllTimers(k: KeyedOperatorState): Promise<void> {
    if (this.env.settings.runtimeMode !== 'BATCH') return;
    await k.backend.prefetch!(k.timers.dueKeys('event', MAX_WATERMARK, TIMER_PREFETCH_KEYS));
    await k.backend.prefetch!(k.timers.dueKeys('processing', Number.MAX_SAFE_INTEGER, TIMER_PREFETCH_KEYS));
  }

  /** The processing-time service of a prefetching backend's timers: when the clock fires, the due timers' keys are loaded, then they fire (a later mail). */
  private prefetchingTimeService(backend: KeyedStateBackend, timers: () => HeapTimerServiceManager): ProcessingTimeService {
    const base = this.processingTimeService();
    return {
      getCurrentProcessingTime: () => base.getCurrentProcessingTime(),
      registerTimer: (time, callback) => {
        let cancelled = false;
        const cancel = base.registerTimer(time, (t) => {
          if (cancelled) return;
          backend.prefetch!(timers().dueKeys('processing', Date.now(), TIMER_PREFETCH_KEYS)).then(
            () =>
              this.mail(() => {
                if (!cancelled) callback(t);
              }),
            (e: unknown) =>
              this.mail(() => {
                throw e;
              }),
          );
        });
        return () => {
          cancelled = true;
          cancel();
        };
      },
    };
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * The synchronous part of a checkpoint (in the mailbox, between two records): every operator's
   * state is serialised now (keyed values are shared with the live state), then the barrier goes
   * downstream behind every record emitted before it; the rest is written asynchronously.
   */
  private performCheckpoint(b: Barrier, alignmentMs: number): void {
    const t0 = performance.now();
    let parts: Record<string, OperatorSnapshotPart>;
    try {
      parts = this.snapshotChain(b.id, b.savepoint === true);
    } catch (e) {
      // Not forwarded: downstream alignments are released when the coordinator aborts the checkpoint.
      this.env.declineCheckpoint(this.vertex.id, this.desc.subtask, b.id, describe(e));
      return;
    }
    const forward: Barrier = { t: 'barrier', id: b.id, timestamp: b.timestamp, mode: b.mode };
    if (b.savepoint) forward.savepoint = true;
    if (b.stop) {
      forward.stop = true;
      this.stopSavepoint = b.id;
    }
    this.partition.broadcastEvent(forward);
    if (this.dataFinished && this.finalCheckpoint === undefined) this.finalCheckpoint = b.id;
    const syncMs = performance.now() - t0;
    this.track(this.persistSnapshot(b.id, parts, syncMs, alignmentMs), this.vertex.name);
  }

  /** Each keyed backend takes its part (savepoints are canonical whatever the backend); timers are serialised now. */
  private snapshotChain(checkpointId: number, savepoint: boolean): Record<string, OperatorSnapshotPart> {
    const parts: Record<string, OperatorSnapshotPart> = {};
    const ops = this.vertex.operators;
    const sharedDir = this.checkpointing ? path.join(this.checkpointing.jobDir, SHARED_DIR) : undefined;
    for (let i = 0; i < ops.length; i++) {
      const jo = ops[i]!;
      const part: OperatorSnapshotPart = {};
      const keyed = this.keyedByOp.get(jo.id);
      if (keyed) {
        const maxParallelism = keyed.backend.maxParallelism;
        const keyGroupRange = keyGroupRangeForSubtask(maxParallelism, this.vertex.parallelism, this.desc.subtask);
        const snapshot = keyed.backend.snapshot({ checkpointId, savepoint, sharedDir });
        const timers = keyed.timers.snapshot();
        if (!snapshot.empty || timers.services.length > 0) {
          const data = snapshot.data(packState(timers));
          data.catch(() => undefined); // awaited (and its failure reported) by the asynchronous part
          part.keyed = { maxParallelism, keyGroupRange, data };
        }
        if (snapshot.shared) part.shared = snapshot.shared;
      }
      this.snapshotOperatorLists(i, checkpointId, part);
      if (part.keyed || part.lists) parts[jo.id] = part;
    }
    return parts;
  }

  /** The operator state (named lists) of the chain's i-th operator, into `part`. */
  private snapshotOperatorLists(i: number, checkpointId: number, part: OperatorSnapshotPart): void {
    const op = this.operators[i]!;
    const snap = op.snapshotState ? this.call(i, () => op.snapshotState!(checkpointId)) : undefined;
    if (!snap) return;
    const lists: NonNullable<OperatorSnapshotPart['lists']> = {};
    for (const [name, l] of Object.entries(snap)) {
      if (!Array.isArray(l.items)) l.items.catch(() => undefined); // awaited by the asynchronous part
      lists[name] = { mode: l.mode, data: Array.isArray(l.items) ? packState(l.items) : l.items };
    }
    if (Object.keys(lists).length > 0) part.lists = lists;
  }

  /** The asynchronous part: finishes what operators still prepare, writes the state file, acknowledges (or declines). */
  private async persistSnapshot(
    checkpointId: number,
    parts: Record<string, OperatorSnapshotPart>,
    syncMs: number,
    alignmentMs: number,
  ): Promise<void> {
    const t0 = performance.now();
    const { id: vertexId } = this.vertex;
    const subtask = this.desc.subtask;
    try {
      const operators: Record<string, OperatorSubtaskState> = {};
      for (const [opId, part] of Object.entries(parts)) {
        const entry: OperatorSubtaskState = {};
        if (part.keyed) entry.keyed = { ...part.keyed, data: await part.keyed.data };
        if (part.lists) {
          entry.lists = {};
          for (const [name, l] of Object.entries(part.lists)) {
            entry.lists[name] = { mode: l.mode, data: l.data instanceof Uint8Array ? l.data : packState(await l.data) };
          }
        }
        operators[opId] = entry;
      }
      const shared: string[] = [];
      let sharedBytes = 0;
      let uploadedBytes = 0;
      for (const part of Object.values(parts)) {
        if (!part.shared) continue;
        const r = await part.shared;
        for (const f of r.files) shared.push(f);
        sharedBytes += r.totalBytes;
        uploadedBytes += r.uploadedBytes;
      }
      let handle: SubtaskStateHandle = { file: null, size: 0 };
      if (Object.keys(operators).length > 0) {
        const bytes = packState(subtaskStateFile(checkpointId, vertexId, subtask, operators));
        const name = stateFileName(vertexId, subtask, this.env.attempt);
        await writeSubtaskState(`${this.checkpointing!.jobDir}/${checkpointDirName(checkpointId)}`, name, bytes);
        handle = { file: name, size: bytes.byteLength };
        if (shared.length > 0) Object.assign(handle, { shared, sharedBytes, uploadedBytes });
      }
      if (this.canceled) return;
      this.env.acknowledgeCheckpoint(vertexId, subtask, checkpointId, handle, {
        syncMs: Math.round(syncMs),
        asyncMs: Math.round(performance.now() - t0),
        alignmentMs,
      });
    } catch (e) {
      if (!this.canceled) this.env.declineCheckpoint(vertexId, subtask, checkpointId, describe(e));
    }
  }

  /** Keeps asynchronous work in view: the task ends only once it is done; a failure fails the task. */
  private track(p: Promise<unknown>, operatorName: string): void {
    this.asyncWork.add(p);
    p.then(
      () => {
        this.asyncWork.delete(p);
        this.notify();
      },
      (e: unknown) => {
        this.asyncWork.delete(p);
        this.mail(() => {
          throw attribute(e, operatorName);
        });
      },
    );
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
    this.partition.broadcastEvent({ t: 'eop' });
    while (!this.partition.drained) {
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
    this.partition.flush();
  }

  private startFlushTimer(): void {
    const t = this.env.settings.bufferTimeout;
    if (t > 0 && this.partition.writers.length) this.flushTimer = setInterval(() => this.mail(() => this.flushAll()), t);
  }

  private cleanup(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.gate?.release();
    this.partition.release();
    for (const t of this.timerManagers) t.dispose();
    for (const b of this.backends) b.dispose();
  }

  private snapshotMetrics(): TaskMetrics {
    if (this.source) this.metrics.numRecordsIn = this.source.recordsOut;
    return {
      ...this.metrics,
      numRecordsOut: this.partition.recordsOut,
      numBytesOut: this.partition.bytesOut,
      numBytesIn: this.gate?.bytesIn ?? 0,
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

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
