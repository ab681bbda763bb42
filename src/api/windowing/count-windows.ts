/**
 * Count windows (Flink's countWindow): GlobalWindows with a purging CountTrigger, or, when sliding,
 * a CountEvictor keeping the last `size` elements and a CountTrigger firing every `slide` elements.
 */
import { WeirError } from '../../errors.js';
import { CountEvictor } from './evictors.js';
import { CountTrigger, PurgingTrigger } from './triggers.js';

interface Windowed {
  trigger(t: CountTrigger | PurgingTrigger): unknown;
  evictor(e: CountEvictor): unknown;
}

export function countWindowOf<S extends Windowed>(windowed: S, size: number, slide?: number): S {
  if (!Number.isInteger(size) || size <= 0)
    throw new WeirError('WEIR_BAD_PIPELINE', `countWindow needs a positive integer size, got ${String(size)}`);
  if (slide === undefined) {
    windowed.trigger(PurgingTrigger.of(CountTrigger.of(size)));
    return windowed;
  }
  if (!Number.isInteger(slide) || slide <= 0)
    throw new WeirError('WEIR_BAD_PIPELINE', `countWindow needs a positive integer slide, got ${String(slide)}`);
  windowed.evictor(CountEvictor.of(size));
  windowed.trigger(CountTrigger.of(slide));
  return windowed;
}
