/** The namespace of a time window in keyed state and timers: `${start}:${end}`. */
import { TimeWindow } from '../../api/windows.js';

export function windowNamespace(w: TimeWindow): string {
  return `${w.start}:${w.end}`;
}

export function parseWindowNamespace(ns: string): TimeWindow {
  const i = ns.indexOf(':', 1);
  return new TimeWindow(Number(ns.slice(0, i)), Number(ns.slice(i + 1)));
}
