/**
 * Registered record classes in MessagePack (every encoder of records and state uses msgpackr):
 * an instance is written as extension WEIR_CLASS_EXT holding [class name, own fields] and read
 * back as an instance of the class registered under that name (a plain object where none is, as in
 * a client that only collects results). `checkRecordClasses` rejects instances of classes that are
 * not registered, so they fail clearly instead of losing their class.
 */
import { addExtension } from 'msgpackr';
import { onTypeRegistered, registeredType, registeredTypeName } from '../../api/type-registry.js';
import { WeirError } from '../../errors.js';

const WEIR_CLASS_EXT = 0x57;

onTypeRegistered((cls, name) => {
  addExtension({
    Class: cls as unknown as new () => unknown,
    type: WEIR_CLASS_EXT,
    write: (v: object) => [name, { ...v }],
    read: (data: [string, Record<string, unknown>]) => {
      const c = registeredType(data[0]);
      return c ? Object.assign(Object.create(c.prototype as object) as object, data[1]) : data[1];
    },
  });
});

/** Values MessagePack keeps as they are (or as their own kind). */
function builtIn(value: object, proto: unknown): boolean {
  return (
    proto === null ||
    value instanceof Date ||
    value instanceof Map ||
    value instanceof Set ||
    value instanceof RegExp ||
    value instanceof Error ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  );
}

/** Throws WEIR_UNREGISTERED_CLASS for a class instance (down to `depth` levels of fields) whose class is not registered. */
export function checkRecordClasses(value: unknown, where: string, depth = 2): void {
  if (typeof value !== 'object' || value === null) return;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== Array.prototype && !builtIn(value, proto)) {
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (registeredTypeName(ctor) === undefined) {
      const name = typeof ctor === 'function' && ctor.name ? ctor.name : '<anonymous class>';
      throw new WeirError(
        'WEIR_UNREGISTERED_CLASS',
        `${where} holds an instance of class '${name}', which is not registered: call env.registerType(${name}) in main() so that its instances keep their class (and methods) across exchanges and checkpoints, or use plain objects`,
      );
    }
  }
  if (depth <= 0) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && i < 64; i++) checkRecordClasses(value[i], where, depth - 1);
  } else if (proto === Object.prototype || registeredTypeName((proto as { constructor?: unknown }).constructor) !== undefined) {
    for (const k in value) checkRecordClasses((value as Record<string, unknown>)[k], where, depth - 1);
  }
}

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;

/** A class instance of a class that is not registered, or one whose fields hold one (one level). */
function checkInstance(value: object, proto: unknown): void {
  if (proto !== OBJECT_PROTO && proto !== ARRAY_PROTO) checkRecordClasses(value, 'A record', 1);
}

/**
 * The check of one field of `n` columnar records (plain objects of one shape), kept cheap for the
 * record path: the first record's field as checkRecordClasses checks a field (its own fields and
 * elements too); then, in every record, a class instance in the field or among the first 64
 * elements of an array in it. Fields of a plain object inside the field are checked in the first
 * record of each batch only.
 */
export function checkFieldColumn(col: readonly unknown[], n: number): void {
  if (n > 0) checkRecordClasses(col[0], 'A record', 1);
  for (let i = 1; i < n; i++) {
    const v = col[i];
    if (typeof v !== 'object' || v === null) continue;
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto === ARRAY_PROTO) {
      const a = v as unknown[];
      for (let j = 0; j < a.length && j < 64; j++) {
        const e = a[j];
        if (typeof e === 'object' && e !== null) checkInstance(e, Object.getPrototypeOf(e));
      }
    } else checkInstance(v, proto);
  }
}
