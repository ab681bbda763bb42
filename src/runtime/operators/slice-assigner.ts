/**
 * Window slicing (Flink's table-runtime SliceAssigner, the "panes" of Arroyo and Feldera): time is
 * cut into slices of gcd(size, slide) ms, every tumbling or sliding window is a run of
 * size / sliceSize consecutive slices, and a record is aggregated once, into its slice, instead of
 * once per window it belongs to. A window's result is the merge of its slices when it fires.
 */
import { SlidingWindowAssigner, TumblingWindowAssigner, TimeWindow, type WindowAssigner } from '../../api/windows.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class SliceAssigner {
  readonly sliceSize: number;
  readonly slicesPerWindow: number;
  /** Slices of a window that no later window holds (its first slide's worth): cleared once it fired. */
  readonly expiringPerWindow: number;
  /** Window ends are ≡ endOffset (mod slide). */
  private readonly endOffset: number;

  constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {
    if (!(size > 0 && slide > 0 && Number.isInteger(size) && Number.isInteger(slide))) {
      throw new RangeError(`slicing needs a positive whole size and slide, got ${size}/${slide}`);
    }
    this.sliceSize = gcd(size, slide);
    this.slicesPerWindow = size / this.sliceSize;
    this.endOffset = offset + size;
    this.expiringPerWindow = slide / this.sliceSize;
  }

  /** The assigner's slicing, or undefined when its windows are not a fixed grid (sessions, custom assigners). */
  static of(assigner: WindowAssigner): SliceAssigner | undefined {
    if (assigner instanceof TumblingWindowAssigner) return new SliceAssigner(assigner.size, assigner.size, assigner.offset);
    if (assigner instanceof SlidingWindowAssigner) {
      // windows that leave gaps between them (slide > size) are not runs of slices
      if (assigner.slide > assigner.size) return undefined;
      return new SliceAssigner(assigner.size, assigner.slide, assigner.offset);
    }
    return undefined;
  }

  /** Start of the slice `timestamp` falls in. */
  sliceStart(timestamp: number): number {
    return TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.sliceSize);
  }

  /** End of the first window holding the slice that starts at `sliceStart`. */
  firstWindowEnd(sliceStart: number): number {
    // a window starts at every slice when the slide is the slice size (tumbling, or slide dividing size)
    if (this.slide === this.sliceSize) return sliceStart + this.sliceSize;
    return TimeWindow.getWindowStartWithOffset(sliceStart + this.sliceSize - 1, this.endOffset, this.slide) + this.slide;
  }

  /** End of the last window holding the slice that starts at `sliceStart`. */
  lastWindowEnd(sliceStart: number): number {
    if (this.slide === this.sliceSize) return sliceStart + this.size;
    return TimeWindow.getWindowStartWithOffset(sliceStart + this.size, this.endOffset, this.slide);
  }

  /** End of the first window whose maxTimestamp (end - 1) is after `time`: the first one still to fire. */
  firstWindowEndAfter(time: number): number {
    return TimeWindow.getWindowStartWithOffset(time + 1, this.endOffset, this.slide) + this.slide;
  }
}
