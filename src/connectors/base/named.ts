/**
 * A library function with a fixed text: the plan fingerprint reads functions' source text, and the
 * text of Weir's own code differs with how it was loaded (compiled or transformed on the fly).
 */
export function named<F extends (...args: never[]) => unknown>(text: string, fn: F): F {
  Object.defineProperty(fn, 'toString', { value: () => text });
  return fn;
}
