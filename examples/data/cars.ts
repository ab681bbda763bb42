/**
 * Input of examples/top-speed-windowing.ts (and of its test): Flink's CarSource, made
 * deterministic. Every 100 ms of event time each car speeds up or slows down by 5 km/h (within
 * 0..100, chosen by a seeded generator instead of java.util.Random) and reports
 * (carId, speed, distance in m, timestamp), as Flink's Tuple4<Integer, Integer, Double, Long>.
 */
export type CarEvent = [carId: number, speed: number, distance: number, timestamp: number];

/** Flink's defaults: evict readings older than 10 s, fire every 50 m a car drives. */
export const EVICTION_SEC = 10;
export const TRIGGER_METERS = 50;

/** A small linear congruential generator: the same sequence on every run and in every slot. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function carEvents(numCars: number, steps: number, seed = 42, start = 1_700_000_000_000): CarEvent[] {
  const rand = lcg(seed);
  const speeds = new Array<number>(numCars).fill(50);
  const distances = new Array<number>(numCars).fill(0);
  const out: CarEvent[] = [];
  for (let step = 1; step <= steps; step++) {
    for (let car = 0; car < numCars; car++) {
      speeds[car] = rand() < 0.5 ? Math.min(100, speeds[car]! + 5) : Math.max(0, speeds[car]! - 5);
      distances[car]! += speeds[car]! / 3.6;
      out.push([car, speeds[car]!, distances[car]!, start + step * 100]);
    }
  }
  return out;
}

export const CAR_EVENTS: CarEvent[] = carEvents(2, 600);
