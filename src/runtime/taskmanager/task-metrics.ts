/**
 * A task's metric group (Flink's TaskMetricGroup + TaskIOMetricGroup): records and bytes in and
 * out with their per-second meters, and where the task's time goes: idle (waiting for input),
 * backpressured (waiting for room in its output, or for a sink's write) and busy (the rest, as
 * Flink computes it), per second and accumulated. The task's loop marks the start and end of each
 * wait; counts are read from counters the record path keeps anyway.
 */
import type { MetricGroup } from '../../metrics/group.js';
import { operatorGroup, taskGroup, type TaskIdentity } from '../../metrics/groups.js';
import type { MetricRegistry } from '../../metrics/registry.js';
import { MeterView, ReadOnlyCounter, TimerGauge } from '../../metrics/types.js';

export interface TaskIOSources {
  recordsIn(): number;
  recordsOut(): number;
  bytesIn(): number;
  bytesOut(): number;
  isBackPressured(): boolean;
}

export class TaskMetrics {
  readonly group: MetricGroup;
  readonly idle = new TimerGauge();
  readonly backPressured = new TimerGauge();
  private runningSince = -1;
  private readonly operators: MetricGroup[] = [];

  constructor(
    registry: MetricRegistry,
    identity: TaskIdentity,
    readonly io: TaskIOSources,
  ) {
    const g = (this.group = taskGroup(registry, identity));
    const counters = {
      numRecordsIn: new ReadOnlyCounter(io.recordsIn),
      numRecordsOut: new ReadOnlyCounter(io.recordsOut),
      numBytesIn: new ReadOnlyCounter(io.bytesIn),
      numBytesOut: new ReadOnlyCounter(io.bytesOut),
    };
    for (const [name, c] of Object.entries(counters)) {
      g.counter(name, c);
      g.meter(`${name}PerSecond`, new MeterView(c));
    }
    g.gauge('idleTimeMsPerSecond', this.idle);
    g.gauge('backPressuredTimeMsPerSecond', this.backPressured);
    // Weir's backpressure is always "hard" (the task waits); Flink's soft backpressure (a non-blocking output full) does not occur.
    g.gauge('hardBackPressuredTimeMsPerSecond', this.backPressured);
    g.gauge('softBackPressuredTimeMsPerSecond', () => 0);
    g.gauge('busyTimeMsPerSecond', () => this.busyPerSecond());
    g.gauge('isBackPressured', () => io.isBackPressured());
    g.gauge('accumulatedIdleTime', () => this.idle.getAccumulatedCount());
    g.gauge('accumulatedBackPressuredTime', () => this.backPressured.getAccumulatedCount());
    g.gauge('accumulatedBusyTime', () => this.accumulatedBusyTime());
    // The registry updates views; the gauges' values are those of its latest update.
    registry.onRegister(this.idle);
    registry.onRegister(this.backPressured);
  }

  /** The task starts running: time is accounted from now. */
  running(): void {
    if (this.runningSince < 0) this.runningSince = performance.now();
    this.idle.update();
    this.backPressured.update();
  }

  /** Busy time of the latest second (ms), Flink's busyTimeMsPerSecond. */
  busyPerSecond(): number {
    return this.runningSince < 0 ? 0 : 1000 - Math.min(1000, this.idle.getValue() + this.backPressured.getValue());
  }

  accumulatedBusyTime(): number {
    if (this.runningSince < 0) return 0;
    return Math.max(
      0,
      Math.round(performance.now() - this.runningSince) - this.idle.getAccumulatedCount() - this.backPressured.getAccumulatedCount(),
    );
  }

  operator(operatorId: string, operatorName: string): MetricGroup {
    const g = operatorGroup(this.group, operatorId, operatorName);
    this.operators.push(g);
    return g;
  }

  close(): void {
    for (const g of this.operators) g.close();
    this.group.close();
  }
}
