/**
 * Timer services of keyed operators (Flink's InternalTimerService). A timer is (timestamp, key,
 * namespace), set at most once: registering the same timer twice fires it once. Event-time timers
 * fire when a watermark passes them, in timestamp order; processing-time timers fire from the
 * task's ProcessingTimeService. Before a timer fires the backend's current key is set to its key.
 */
export interface InternalTimer<N = unknown> {
  readonly timestamp: number;
  readonly key: unknown;
  readonly namespace: N;
}

/** What an operator implements to be told of its timers. */
export interface Triggerable<N = unknown> {
  onEventTime(timer: InternalTimer<N>): void;
  onProcessingTime(timer: InternalTimer<N>): void;
}

export interface InternalTimerService<N = unknown> {
  currentProcessingTime(): number;
  currentWatermark(): number;
  /** For the backend's current key. */
  registerEventTimeTimer(namespace: N, time: number): void;
  registerProcessingTimeTimer(namespace: N, time: number): void;
  deleteEventTimeTimer(namespace: N, time: number): void;
  deleteProcessingTimeTimer(namespace: N, time: number): void;
  numEventTimeTimers(): number;
  numProcessingTimeTimers(): number;
}

export interface TimerServiceManager {
  /** One named service per operator use; `namespaceKey` turns a namespace into a stable string. */
  getTimerService<N>(name: string, triggerable: Triggerable<N>, namespaceKey: (ns: N) => string): InternalTimerService<N>;
  /** Fires every event-time timer <= watermark (in order, across services) and records the watermark. */
  advanceWatermark(watermark: number): void;
  /** BATCH mode, end of input: fires every remaining processing-time timer. */
  fireAllProcessingTimeTimers(): void;
}
