/**
 * Input of examples/event-time-windows.ts (and of its test): sensor readings that arrive out of
 * order, a few of them later than the watermark allows. Timestamps are event-time milliseconds.
 */
export interface SensorReading {
  sensor: string;
  /** Event time, ms. */
  ts: number;
  value: number;
}

/** Tumbling window size. */
export const WINDOW_MS = 10_000;
/** The watermark trails the largest timestamp seen by this much. */
export const OUT_OF_ORDERNESS_MS = 3_000;
/** Windows accept late records (and fire again) this long after the watermark passed their end. */
export const ALLOWED_LATENESS_MS = 5_000;

const r = (sensor: string, seconds: number, value: number): SensorReading => ({ sensor, ts: seconds * 1000, value });

/** In arrival order (fromData keeps it). */
export const SENSOR_READINGS: SensorReading[] = [
  r('kitchen', 1, 21.0),
  r('garage', 2, 12.5),
  r('kitchen', 4, 21.4),
  r('attic', 3, 30.1),
  r('garage', 7, 12.9),
  r('kitchen', 9.5, 21.9),
  r('attic', 11, 30.8), // watermark 8s
  r('kitchen', 8, 21.7), // out of order but on time: [0s,10s) has not fired yet
  r('garage', 12, 13.1),
  r('kitchen', 14, 22.3), // watermark 11s: [0s,10s) fires
  r('attic', 9, 30.5), // late but allowed: attic's [0s,10s) fires again
  r('garage', 16, 13.4), // watermark 13s
  r('garage', 6, 12.7), // late but allowed: garage's [0s,10s) fires again
  r('kitchen', 18.5, 22.8), // watermark 15.5s: [0s,10s) is purged (lateness ran out at 14.999s)
  r('kitchen', 7, 21.6), // too late: to the late-data side output
  r('attic', 21, 31.2), // watermark 18s
  r('kitchen', 23, 23.0), // watermark 20s: [10s,20s) fires
  r('garage', 5, 12.1), // too late
  r('kitchen', 19, 22.9), // late but allowed: kitchen's [10s,20s) fires again
  r('garage', 25, 13.9),
  r('attic', 27, 31.6),
  r('kitchen', 29, 23.4), // watermark 26s: [10s,20s) is purged
  r('attic', 13, 30.9), // too late
  r('garage', 31, 14.2),
  r('kitchen', 33, 23.9), // watermark 30s: [20s,30s) fires
  r('attic', 34, 32.0),
  r('garage', 28, 13.6), // late but allowed: garage's [20s,30s) fires again
  r('kitchen', 36, 24.2), // end of input: the watermark jumps to the end of time, [30s,40s) fires
];
