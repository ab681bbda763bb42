/**
 * A compiled check and how receivers run it. validate.ts makes the checks (ajv); this module is
 * apart so that code which only runs checks (the transport) does not load the schemas.
 */
import type { TSchema } from 'typebox';

/** A compiled check of the values of type T. */
export interface Schema<T> {
  /** Returns undefined when `v` is valid, else what is wrong with it (naming `path`). */
  readonly check: (v: unknown, path: string) => string | undefined;
  /** The declaration it checks. */
  readonly schema: TSchema;
  /** Type-level only. */
  readonly _type?: T;
}

/** What is wrong with `v`, or undefined when `s` accepts it. */
export function validate<T>(s: Schema<T>, v: unknown, path = 'message'): string | undefined {
  try {
    return s.check(v, path);
  } catch (e) {
    return `${path} could not be checked: ${e instanceof Error ? e.message : String(e)}`;
  }
}

export function isValid<T>(s: Schema<T>, v: unknown): v is T {
  return validate(s, v) === undefined;
}
