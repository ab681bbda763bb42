/**
 * Flink's MergingWindowSet for session windows: which window each in-flight (merged) window of a
 * key keeps its state in, and how a new window merges with the ones there.
 */
import { TimeWindow } from '../../api/windows.js';

/**
 * Called when windows merge: `mergedWindows` become `mergeResult`, whose state lives in
 * `stateWindowResult`; `mergedStateWindows` are the other state windows, merged into it;
 * `stateWindowsOfMerged` is the state window each of `mergedWindows` had (same order).
 */
export interface MergeHandler {
  onMerge(
    mergeResult: TimeWindow,
    mergedWindows: TimeWindow[],
    stateWindowResult: TimeWindow,
    mergedStateWindows: TimeWindow[],
    stateWindowsOfMerged: TimeWindow[],
  ): void;
}

/**
 * Flink's MergingWindowSet for one key: which window each in-flight (merged) window keeps its
 * state in. Kept as the flat number array [start, end, stateStart, stateEnd, ...] that keyed state
 * holds, changed in place: a record that starts a session or extends the one session it touches
 * (the common cases) costs a scan of a few numbers, no objects; other merges take the general path.
 */
export class MergingWindowSet {
  private dirty = false;

  private constructor(private flat: number[]) {}

  /** The set held by `flat` (which it changes in place; persist it with toFlat() when dirty). */
  static load(flat: number[] | undefined): MergingWindowSet {
    return new MergingWindowSet(flat ?? []);
  }

  /** This object made the set held by `flat`, as load() would (an operator reuses one per record). */
  reload(flat: number[] | undefined): this {
    this.flat = flat ?? [];
    this.dirty = false;
    return this;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  get size(): number {
    return this.flat.length >> 2;
  }

  toFlat(): number[] {
    return this.flat;
  }

  private indexOf(start: number, end: number): number {
    const f = this.flat;
    for (let i = 0; i + 3 < f.length; i += 4) if (f[i] === start && f[i + 1] === end) return i;
    return -1;
  }

  /** The index of in-flight window `w` for stateStartAt/stateEndAt, or -1 (no window object made). */
  stateIndexOf(w: TimeWindow): number {
    return this.indexOf(w.start, w.end);
  }

  stateStartAt(i: number): number {
    return this.flat[i + 2]!;
  }

  stateEndAt(i: number): number {
    return this.flat[i + 3]!;
  }

  /** The index of the in-flight window whose state lives in window [start, end), or -1. */
  indexOfStateWindow(start: number, end: number): number {
    const f = this.flat;
    for (let i = 0; i + 3 < f.length; i += 4) if (f[i + 2] === start && f[i + 3] === end) return i;
    return -1;
  }

  /** The index of the in-flight window that contains window [start, end), or -1 (in-flight windows never overlap). */
  indexOfWindowContaining(start: number, end: number): number {
    const f = this.flat;
    for (let i = 0; i + 3 < f.length; i += 4) if (f[i]! <= start && f[i + 1]! >= end) return i;
    return -1;
  }

  windowAt(i: number): TimeWindow {
    return new TimeWindow(this.flat[i]!, this.flat[i + 1]!);
  }

  getStateWindow(w: TimeWindow): TimeWindow | undefined {
    const i = this.indexOf(w.start, w.end);
    return i < 0 ? undefined : new TimeWindow(this.flat[i + 2]!, this.flat[i + 3]!);
  }

  retireWindow(w: TimeWindow): void {
    const i = this.indexOf(w.start, w.end);
    if (i < 0) return;
    this.flat.splice(i, 4);
    this.dirty = true;
  }

  /** Adds `newWindow`, merging it with overlapping windows; returns the window it ends up in (Flink's addWindow). */
  addWindow(newWindow: TimeWindow, handler: MergeHandler): TimeWindow {
    const f = this.flat;
    const s = newWindow.start;
    const e = newWindow.end;
    let hit = -1;
    let hits = 0;
    for (let i = 0; i + 3 < f.length && hits < 2; i += 4) {
      if (f[i]! <= e && f[i + 1]! >= s) {
        hits++;
        hit = i;
      }
    }
    if (hits === 0) {
      f.push(s, e, s, e);
      this.dirty = true;
      return newWindow;
    }
    if (hits === 1) {
      // in-flight windows never overlap each other, so the new one merges with this one only
      const ws = f[hit]!;
      const we = f[hit + 1]!;
      if (ws <= s && we >= e) return ws === s && we === e ? newWindow : new TimeWindow(ws, we);
      const result = new TimeWindow(Math.min(ws, s), Math.max(we, e));
      f[hit] = result.start;
      f[hit + 1] = result.end;
      this.dirty = true;
      const stateWindow = new TimeWindow(f[hit + 2]!, f[hit + 3]!);
      handler.onMerge(result, [new TimeWindow(ws, we)], stateWindow, [], [stateWindow]);
      return result;
    }
    return this.addWindowGeneral(newWindow, handler);
  }

  /** The new window bridges several in-flight windows. */
  private addWindowGeneral(newWindow: TimeWindow, handler: MergeHandler): TimeWindow {
    const f = this.flat;
    const windows: TimeWindow[] = [];
    const stateWindows: TimeWindow[] = [];
    for (let i = 0; i + 3 < f.length; i += 4) {
      windows.push(new TimeWindow(f[i]!, f[i + 1]!));
      stateWindows.push(new TimeWindow(f[i + 2]!, f[i + 3]!));
    }
    const indexOf = (w: TimeWindow): number => windows.findIndex((x) => x.equals(w));
    const put = (w: TimeWindow, stateWindow: TimeWindow): void => {
      const i = indexOf(w);
      if (i >= 0) stateWindows[i] = stateWindow;
      else {
        windows.push(w);
        stateWindows.push(stateWindow);
      }
    };
    const all = windows.slice();
    if (indexOf(newWindow) < 0) all.push(newWindow);
    const groups = mergeTimeWindows(all);
    let resultWindow = newWindow;
    let mergedNewWindow = false;
    const merges: Parameters<MergeHandler['onMerge']>[] = [];
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
      const mergedStateWindow = stateWindows[indexOf(members[0]!)]!;
      const mergedStateWindows: TimeWindow[] = [];
      for (const m of members) {
        const i = indexOf(m);
        if (i < 0) continue;
        mergedStateWindows.push(stateWindows[i]!);
        windows.splice(i, 1);
        stateWindows.splice(i, 1);
      }
      const stateWindowsOfMerged = mergedStateWindows.slice();
      put(g.result, mergedStateWindow);
      const si = mergedStateWindows.findIndex((x) => x.equals(mergedStateWindow));
      if (si >= 0) mergedStateWindows.splice(si, 1);
      // nothing to merge when one existing window merely absorbed the new one unchanged
      if (!(members.length === 1 && members[0]!.equals(g.result))) {
        merges.push([g.result, members, stateWindows[indexOf(g.result)]!, mergedStateWindows, stateWindowsOfMerged]);
      }
    }
    if ((groups.length === 0 || (resultWindow.equals(newWindow) && !mergedNewWindow)) && indexOf(resultWindow) < 0) {
      put(resultWindow, resultWindow);
    }
    f.length = 0;
    for (let i = 0; i < windows.length; i++) f.push(windows[i]!.start, windows[i]!.end, stateWindows[i]!.start, stateWindows[i]!.end);
    this.dirty = true;
    for (const m of merges) handler.onMerge(...m);
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
