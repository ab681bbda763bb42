/**
 * Flink's MergingWindowSet for session windows: which window each in-flight (merged) window of a
 * key keeps its state in, and how a new window merges with the ones there.
 */
import { TimeWindow } from '../../api/windows.js';

/** Called when windows merge: `mergedWindows` become `mergeResult`, whose state lives in `stateWindowResult`. */
export interface MergeHandler {
  onMerge(mergeResult: TimeWindow, mergedWindows: TimeWindow[], stateWindowResult: TimeWindow, mergedStateWindows: TimeWindow[]): void;
}

/**
 * Flink's MergingWindowSet for one key: which window each in-flight (merged) window keeps its
 * state in. Loaded from and persisted to keyed state as a flat number array [start, end, stateStart, stateEnd, ...].
 */
export class MergingWindowSet {
  private readonly windows: TimeWindow[] = [];
  private readonly stateWindows: TimeWindow[] = [];
  private dirty = false;

  static load(flat: readonly number[] | undefined): MergingWindowSet {
    const s = new MergingWindowSet();
    if (flat !== undefined) {
      for (let i = 0; i + 3 < flat.length; i += 4) {
        s.windows.push(new TimeWindow(flat[i]!, flat[i + 1]!));
        s.stateWindows.push(new TimeWindow(flat[i + 2]!, flat[i + 3]!));
      }
    }
    return s;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  get size(): number {
    return this.windows.length;
  }

  toFlat(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.windows.length; i++) {
      const w = this.windows[i]!;
      const s = this.stateWindows[i]!;
      out.push(w.start, w.end, s.start, s.end);
    }
    return out;
  }

  private indexOf(w: TimeWindow): number {
    for (let i = 0; i < this.windows.length; i++) if (this.windows[i]!.equals(w)) return i;
    return -1;
  }

  getStateWindow(w: TimeWindow): TimeWindow | undefined {
    const i = this.indexOf(w);
    return i < 0 ? undefined : this.stateWindows[i];
  }

  retireWindow(w: TimeWindow): void {
    const i = this.indexOf(w);
    if (i < 0) return;
    this.windows.splice(i, 1);
    this.stateWindows.splice(i, 1);
    this.dirty = true;
  }

  private put(w: TimeWindow, stateWindow: TimeWindow): void {
    const i = this.indexOf(w);
    if (i >= 0) this.stateWindows[i] = stateWindow;
    else {
      this.windows.push(w);
      this.stateWindows.push(stateWindow);
    }
    this.dirty = true;
  }

  /** Adds `newWindow`, merging it with overlapping windows; returns the window it ends up in (Flink's addWindow). */
  addWindow(newWindow: TimeWindow, handler: MergeHandler): TimeWindow {
    const all = this.windows.slice();
    if (this.indexOf(newWindow) < 0) all.push(newWindow);
    const groups = mergeTimeWindows(all);
    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const g of groups) {
      const members = g.members;
      const ni = members.findIndex((m) => m.equals(newWindow));
      if (ni >= 0) {
        members.splice(ni, 1);
        mergedNewWindow = true;
        resultWindow = g.result;
      }
      if (members.length === 0) continue;
      // the merge result keeps the state window of one of the merged windows
      const mergedStateWindow = this.getStateWindow(members[0]!)!;
      const mergedStateWindows: TimeWindow[] = [];
      for (const m of members) {
        const i = this.indexOf(m);
        if (i < 0) continue;
        mergedStateWindows.push(this.stateWindows[i]!);
        this.windows.splice(i, 1);
        this.stateWindows.splice(i, 1);
      }
      this.put(g.result, mergedStateWindow);
      const si = mergedStateWindows.findIndex((s) => s.equals(mergedStateWindow));
      if (si >= 0) mergedStateWindows.splice(si, 1);
      // nothing to merge when one existing window merely absorbed the new one unchanged
      if (!(members.length === 1 && members[0]!.equals(g.result))) {
        handler.onMerge(g.result, members, this.getStateWindow(g.result)!, mergedStateWindows);
      }
    }
    if ((groups.length === 0 || (resultWindow.equals(newWindow) && !mergedNewWindow)) && this.indexOf(resultWindow) < 0) {
      this.put(resultWindow, resultWindow);
    }
    return resultWindow;
  }
}

/** Flink's TimeWindow.mergeWindows: groups of more than one overlapping window, with their cover. */
function mergeTimeWindows(windows: TimeWindow[]): { result: TimeWindow; members: TimeWindow[] }[] {
  const sorted = windows.slice().sort((a, b) => a.start - b.start);
  const out: { result: TimeWindow; members: TimeWindow[] }[] = [];
  let cur: { result: TimeWindow; members: TimeWindow[] } | undefined;
  for (const w of sorted) {
    if (cur === undefined) cur = { result: w, members: [w] };
    else if (cur.result.intersects(w)) {
      cur.result = cur.result.cover(w);
      cur.members.push(w);
    } else {
      if (cur.members.length > 1) out.push(cur);
      cur = { result: w, members: [w] };
    }
  }
  if (cur !== undefined && cur.members.length > 1) out.push(cur);
  return out;
}
