/**
 * One subtask of one JobVertex (Flink's Task + StreamTask): its lifecycle and its loop, on which
 * records, watermarks, timers, split assignments, barriers and cancellation are handled one at a
 * time. A record's path: reader → chain → partition ‖ gate → chain (operator-chain.ts, network/
 * result-partition.ts and input-gate.ts); mails in mailbox.ts; snapshots and restore in
 * checkpoint/subtask-checkpoint.ts. With checkpointing, a task that ran out of input sends end of
 * data, stays until a checkpoint taken after that completed (its final checkpoint: sinks commit
 * their last files), then ends its partitions.
 */
import type { SourceSplit } from '../../api/source.js';
import { MAX_WATERMARK } from '../../api/time.js';
import { WeirError, type SerializedError } from '../../errors.js';
import type { JobVertex } from '../../graph/job-graph.js';
import type { Barrier } from '../checkpoint/barrier-aligner.js';
import { SubtaskCheckpoint, assignState, initializeOperatorState, restoreKeyedState } from '../checkpoint/subtask-checkpoint.js';
import type { TaskNetworkContext } from '../network/channel.js';
import { InputGate } from '../network/input-gate.js';
import { ResultPartition } from '../network/result-partition.js';
import { attribute, describeFailure } from '../operators/chaining.js';
import type {
  CheckpointingMode,
  CheckpointOptions,
  CheckpointNotificationKind,
  RuntimeSettings,
  TaskDeploymentDescriptor,
  TaskMetrics,
} from '../rpc/messages.js';
import { MetricRegistry } from '../../metrics/registry.js';
import { Mailbox } from './mailbox.js';
import { OperatorChain } from './operator-chain.js';
import { loadStateBackend, stateBackendType } from '../state/state-backends.js';
import type { TaskEnvironment } from './task-environment.js';
import { TaskMetrics as TaskMetricGroup } from './task-metrics.js';
import { TaskLoops } from './task-loops.js';

export type { TaskEnvironment } from './task-environment.js';

class CanceledError extends Error {}

/** Thrown out of the task's loops once a stop-with-savepoint completed: the task ends FINISHED. */
class StoppedError extends Error {}

/** How often a running task reports its metrics (ms). */
const METRICS_INTERVAL_MS = 500;

export class Task {
  readonly vertex: JobVertex;
  readonly name: string;
  private readonly mailbox: Mailbox;
  private readonly net: TaskNetworkContext;
  private readonly partition: ResultPartition;
  private readonly chain: OperatorChain;
  private readonly loops: TaskLoops;
  private gate: InputGate | undefined;
  /** This subtask's part of checkpoints, and the asynchronous work (commits) the task waits for. */
  private readonly checkpoints: SubtaskCheckpoint;
  /** Checkpointing of this job (undefined: none). */
  private readonly checkpointing: RuntimeSettings['checkpointing'];
  /** All input ended and the chain finished (end of data sent downstream). */
  private dataFinished = false;
  /** The first checkpoint this task snapshotted after dataFinished: once it completes the task may end. */
  private finalCheckpoint: number | undefined;
  private lastCompletedCheckpoint = 0;
  private canceled = false;
  /** The stop-with-savepoint this task took part in; once it completed the task ends. */
  private stopSavepoint: number | undefined;
  private stopping = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private readonly metrics: TaskMetrics = {
    numRecordsIn: 0,
    numRecordsOut: 0,
    numBytesIn: 0,
    numBytesOut: 0,
    backPressuredTimeMs: 0,
    busyTimeMs: 0,
    idleTimeMs: 0,
  };
  /** The task's and its operators' metric groups; idle and backpressured time are measured by the loop. */
  private readonly metricGroup: TaskMetricGroup;
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
    this.mailbox = new Mailbox((m) => this.chain.call(0, m));
    const { jobId, attempt, jobGraph, streamGraph, connections, settings } = env;
    const locations = desc.locations;
    this.net = { jobId, attempt, jobGraph, streamGraph, connections, settings, vertex: v, subtask: desc.subtask, locations };
    this.partition = new ResultPartition(this.net, () => this.mailbox.notify());
    const m = env.metrics ?? { registry: new MetricRegistry({ updateViews: false }), host: 'localhost', tmId: 'local' };
    const identity = {
      host: m.host,
      tmId: m.tmId,
      jobId,
      jobName: jobGraph.jobName,
      vertexId: v.id,
      taskName: v.name,
      subtask: desc.subtask,
      attempt,
    };
    this.metricGroup = new TaskMetricGroup(m.registry, identity, {
      recordsIn: () => (this.chain.source ? this.chain.source.recordsOut : this.loops.recordsIn),
      recordsOut: () => this.partition.recordsOut,
      bytesIn: () => this.gate?.bytesIn ?? 0,
      bytesOut: () => this.partition.bytesOut,
      isBackPressured: () => !this.partition.isAvailable(),
    });
    this.chain = new OperatorChain(env, v, desc.subtask, this.partition, this.mailbox, this.checkpointing?.mode, this.metricGroup);
    const ctx = {
      vertex: v,
      subtask: desc.subtask,
      attempt,
      jobDir: this.checkpointing?.jobDir,
      acknowledge: env.acknowledgeCheckpoint.bind(env, v.id, desc.subtask),
      decline: env.declineCheckpoint.bind(env, v.id, desc.subtask),
      isCanceled: () => this.canceled,
      notify: () => this.mailbox.notify(),
      fail: (e: unknown, operatorName: string) =>
        this.mailbox.mail(() => {
          throw attribute(e, operatorName);
        }),
    };
    this.checkpoints = new SubtaskCheckpoint(ctx, this.chain, this.partition);
    const flushEach = env.settings.bufferTimeout === 0;
    this.loops = new TaskLoops(this.mailbox, this.partition, this.chain, this.metricGroup, flushEach, () => this.checkCanceled());
  }

  get subtask(): number {
    return this.desc.subtask;
  }

  /** Runs the task to its end and reports FINISHED, CANCELED or FAILED. Never rejects. */
  async run(): Promise<void> {
    const { vertexId, subtask, restore } = this.desc;
    try {
      this.env.reportState(vertexId, subtask, 'INITIALIZING');
      // State first (Flink's initializeState), then open: no record is processed before the restore.
      // Keyed state is restored before the operators are built, so the states they register meet
      // the restored ones (a kind that changed is a clear error).
      const assigned = await assignState(this.vertex, subtask, this.env.streamGraph, restore);
      await loadStateBackend(stateBackendType(this.env.settings.config));
      this.chain.createKeyedState();
      await restoreKeyedState(this.chain, restore, assigned, this.checkpointing?.jobDir);
      this.chain.build();
      if (this.chain.source) for (const p of this.pendingSplits.splice(0)) this.addSplits(p.splits, p.noMore);
      this.gate = this.createGate();
      await initializeOperatorState(this.chain, this.vertex, restore, assigned);
      await this.chain.open();
      this.gate.open();
      this.startFlushTimer();
      this.env.reportState(vertexId, subtask, 'RUNNING');
      this.metricGroup.running();
      // Live metrics for progress displays and the REST API.
      this.metricsTimer = setInterval(
        () => this.env.reportState(vertexId, subtask, 'RUNNING', undefined, this.snapshotMetrics()),
        METRICS_INTERVAL_MS,
      );
      if (this.chain.source) await this.loops.runSource(this.chain.source);
      else if (this.gate.numChannels > 0) await this.loops.pollInputs(this.gate, (g) => g.allDataEnded);
      await this.chain.prefetchAllTimers();
      await this.finishChain();
      if (this.checkpointing) {
        this.partition.broadcastEvent({ t: 'eod' });
        this.dataFinished = true;
        if (this.chain.source) this.env.endOfData(vertexId, subtask);
        await this.awaitFinalCheckpoint();
      }
      await this.drainOutputs();
      await this.chain.close(() => this.canceled);
      this.env.reportState(vertexId, subtask, 'FINISHED', undefined, this.snapshotMetrics());
    } catch (e) {
      if (e instanceof StoppedError && !this.canceled) {
        try {
          await this.chain.close(() => this.canceled);
          this.env.reportState(vertexId, subtask, 'FINISHED', undefined, this.snapshotMetrics());
        } catch (closeFailure) {
          this.env.reportState(vertexId, subtask, 'FAILED', this.describeFailure(closeFailure), this.snapshotMetrics());
        }
        return;
      }
      await this.chain.close(() => this.canceled).catch(() => undefined);
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
    this.mailbox.cancel();
  }

  /** The coordinator triggers a checkpoint at this source subtask (a mail: it runs between two polls of the reader). */
  triggerCheckpoint(checkpointId: number, timestamp: number, mode: CheckpointingMode, options: CheckpointOptions = {}): void {
    this.mailbox.mail(() => {
      const src = this.chain.source;
      if (!src || !this.checkpointing) {
        this.env.declineCheckpoint(this.vertex.id, this.desc.subtask, checkpointId, 'not a source task with checkpointing');
        return;
      }
      // Stop with savepoint --drain: event time ends before the barrier, so every event-time timer
      // and window downstream fires and its output belongs to the savepoint.
      if (options.drain) this.chain.call(0, () => src.processWatermark(MAX_WATERMARK));
      const barrier: Barrier = { t: 'barrier', id: checkpointId, timestamp, mode };
      if (options.savepoint) barrier.savepoint = true;
      if (options.stop) barrier.stop = true;
      this.performCheckpoint(barrier, 0);
    });
  }

  /** A checkpoint completed (operators commit) or was aborted (alignment released). */
  notifyCheckpoint(checkpointId: number, kind: CheckpointNotificationKind): void {
    this.mailbox.mail(() => {
      if (kind === 'complete') {
        if (checkpointId > this.lastCompletedCheckpoint) this.lastCompletedCheckpoint = checkpointId;
        this.checkpoints.notifyComplete(checkpointId);
        // Stop with savepoint: the task ends once what the savepoint's completion started (commits) is done.
        if (checkpointId === this.stopSavepoint) {
          this.stopping = true;
          // The loops test `stopping` before they wait: a task whose input has stopped (its sources
          // ended with the same savepoint) and with no commit under way would otherwise wait forever.
          this.mailbox.notify();
        }
      } else {
        this.gate?.abortCheckpoint(checkpointId);
        this.checkpoints.notifyAborted(checkpointId);
      }
    });
  }

  /** Split assignments from the enumerator, delivered as a mail. */
  addSplits(splits: SourceSplit[], noMore: boolean): void {
    this.mailbox.mail(() => {
      const src = this.chain.source;
      if (!src) return;
      if (splits.length) src.addSplits(splits);
      if (noMore) src.notifyNoMoreSplits();
    });
    if (!this.chain.source) this.pendingSplits.push({ splits, noMore });
  }

  metricsNow(): TaskMetrics {
    return this.snapshotMetrics();
  }

  private createGate(): InputGate {
    const chain = this.chain;
    return new InputGate(this.net, this.checkpointing !== undefined, {
      onData: () => this.mailbox.notify(),
      watermark: (wm, input) => chain.processWatermark(wm, input),
      endInput: (input) => chain.endInput(input),
      aligned: (b, alignmentMs) => this.performCheckpoint(b, alignmentMs),
      cancelled: (id, reason) => this.env.declineCheckpoint(this.vertex.id, this.desc.subtask, id, reason),
    });
  }

  private checkCanceled(): void {
    if (this.canceled) throw new CanceledError();
    if (this.stopping && this.checkpoints.pendingWork === 0) throw new StoppedError();
  }

  /** After end of data: keep taking part in checkpoints until one taken after it completed, and (inputs) until every channel ended. */
  private async awaitFinalCheckpoint(): Promise<void> {
    const gate = this.gate!;
    if (gate.numChannels > 0) {
      await this.loops.pollInputs(gate, (g) => this.finalCheckpointDone() && g.partitionsEnded);
      return;
    }
    for (;;) {
      this.checkCanceled();
      this.mailbox.runMails();
      if (this.finalCheckpointDone()) return;
      await this.loops.idle(this.mailbox.waitSignal());
    }
  }

  private finalCheckpointDone(): boolean {
    return this.finalCheckpoint !== undefined && this.lastCompletedCheckpoint >= this.finalCheckpoint && this.checkpoints.pendingWork === 0;
  }

  /** The synchronous part of a checkpoint (in the mailbox); the barrier goes downstream, the rest is written asynchronously. */
  private performCheckpoint(b: Barrier, alignmentMs: number): void {
    if (!this.checkpoints.checkpointState(b, alignmentMs)) return;
    if (b.stop) this.stopSavepoint = b.id;
    if (this.dataFinished && this.finalCheckpoint === undefined) this.finalCheckpoint = b.id;
  }

  // ---------------------------------------------------------------- the end

  /** All inputs ended: finish the chain from head to tail (each may still emit to the next). */
  private async finishChain(): Promise<void> {
    const { operators } = this.chain;
    for (let i = 0; i < operators.length; i++) {
      if (i > 0) await this.chain.call(i, () => operators[i]!.endInput(0));
      await this.chain.call(i, () => operators[i]!.finish());
      if (this.chain.blocker) await this.loops.awaitBlocker();
      this.mailbox.runMails();
    }
  }

  /** Sends end-of-partition everywhere and waits until every frame has left (credit permitting). */
  private async drainOutputs(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.partition.broadcastEvent({ t: 'eop' });
    while (!this.partition.drained) {
      this.checkCanceled();
      this.mailbox.runMails();
      await this.mailbox.waitSignal();
    }
  }

  private startFlushTimer(): void {
    const t = this.env.settings.bufferTimeout;
    if (t > 0 && this.partition.writers.length) this.flushTimer = setInterval(() => this.mailbox.mail(() => this.partition.flush()), t);
  }

  private cleanup(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    this.gate?.release();
    this.partition.release();
    this.chain.dispose();
    this.metricGroup.close();
  }

  private snapshotMetrics(): TaskMetrics {
    this.metrics.numRecordsIn = this.chain.source ? this.chain.source.recordsOut : this.loops.recordsIn;
    const accumulators = this.chain.accumulators.snapshot();
    const watermark = this.chain.inputWatermark();
    return {
      ...this.metrics,
      numRecordsOut: this.partition.recordsOut,
      numBytesOut: this.partition.bytesOut,
      numBytesIn: this.gate?.bytesIn ?? 0,
      backPressuredTimeMs: this.metricGroup.backPressured.getAccumulatedCount(),
      busyTimeMs: this.metricGroup.accumulatedBusyTime(),
      idleTimeMs: this.metricGroup.idle.getAccumulatedCount(),
      busyTimeMsPerSecond: this.metricGroup.busyPerSecond(),
      idleTimeMsPerSecond: this.metricGroup.idle.getValue(),
      backPressuredTimeMsPerSecond: this.metricGroup.backPressured.getValue(),
      ...(watermark !== undefined ? { inputWatermark: watermark } : {}),
      ...(accumulators ? { accumulators } : {}),
    };
  }

  private describeFailure(e: unknown): SerializedError {
    const ctx = { jobName: this.env.jobGraph.jobName, subtask: this.desc.subtask, parallelism: this.vertex.parallelism };
    return describeFailure(e, ctx, this.vertex.name);
  }
}
