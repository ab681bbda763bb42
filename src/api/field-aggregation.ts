/**
 * Field aggregations of KeyedStream and WindowedStream (sum/min/max/minBy/maxBy by field) as reduce
 * functions: Flink's SumAggregator and ComparableAggregator.
 */
import { WeirError } from '../errors.js';
import type { FieldAggregation } from './transformation.js';

type Reducer = (acc: unknown, value: unknown) => unknown;

/** Flink's SumAggregator / ComparableAggregator as a reduce function over (running value, new record). */
export function aggregationReducer(a: FieldAggregation): Reducer {
  const field = a.field;
  const get: (v: unknown) => unknown = field === undefined ? (v) => v : (v) => readField(v, field);
  switch (a.kind) {
    case 'sum':
      return field === undefined
        ? (acc, v) => add(acc, v)
        : (acc, v) => withField(acc, field, add(readField(acc, field), readField(v, field)));
    case 'min':
    case 'max': {
      const keepNew =
        a.kind === 'min' ? (cur: unknown, nv: unknown) => compare(nv, cur) < 0 : (cur: unknown, nv: unknown) => compare(nv, cur) > 0;
      // only the field changes; every other field stays that of the first record
      if (field === undefined) return (acc, v) => (keepNew(acc, v) ? v : acc);
      return (acc, v) => {
        const nv = readField(v, field);
        return keepNew(readField(acc, field), nv) ? withField(acc, field, nv) : acc;
      };
    }
    case 'minBy':
      // ties keep the record seen first
      return (acc, v) => (compare(get(v), get(acc)) < 0 ? v : acc);
    case 'maxBy':
      return (acc, v) => (compare(get(v), get(acc)) > 0 ? v : acc);
    default:
      throw new WeirError('WEIR_BAD_PIPELINE', `unknown field aggregation '${String((a as { kind: unknown }).kind)}'`);
  }
}

function readField(v: unknown, field: string | number): unknown {
  if (v === null || typeof v !== 'object') {
    throw new WeirError(
      'WEIR_USER_FUNCTION',
      `field aggregation on '${String(field)}' needs objects or arrays, got ${v === null ? 'null' : typeof v}`,
    );
  }
  return (v as Record<string | number, unknown>)[field];
}

/** A copy with one field replaced: emitted records are never mutated afterwards. */
function withField(v: unknown, field: string | number, fv: unknown): unknown {
  let copy: Record<string | number, unknown>;
  if (Array.isArray(v)) copy = v.slice() as unknown as Record<number, unknown>;
  else copy = Object.assign(Object.create(Object.getPrototypeOf(v) as object | null) as object, v) as Record<string | number, unknown>;
  copy[field] = fv;
  return copy;
}

function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  throw new WeirError('WEIR_USER_FUNCTION', `sum() needs numbers (or bigints), got ${typeof a} and ${typeof b}`);
}

function compare(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  const x = a as number | string | bigint;
  const y = b as number | string | bigint;
  return x < y ? -1 : x > y ? 1 : 0;
}
