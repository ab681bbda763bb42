/**
 * Parsing, checking and formatting of single option values: durations, memory sizes, lists,
 * enums, numbers. Errors name the key, the value as written, what was expected and its source.
 */
import { yaml } from './yaml.js';
import { WeirError } from '../errors.js';
import { toMillis } from '../util/duration.js';
import { OPTIONS, OPTION_KEYS, isSecretKey } from './options.js';
import type { OptionKey, OptionSpec } from './options.js';

/** A value as written: YAML scalars and -D values are strings; code may pass typed values. */
export type RawValue = string | number | boolean | readonly (string | number | boolean)[];

/** A parsed value, as `get` returns it. */
export type ConfigValue = string | number | boolean | readonly string[];

/** What secret values are shown as. */
export const REDACTED = '******';

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  kibibytes: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  mebibytes: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  gibibytes: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
  tebibytes: 1024 ** 4,
};

/** Parses a memory size to bytes: a number of bytes or '32kb', '64 mb', '1g' (units are powers of 1024, as in Flink). */
export function parseMemorySize(raw: string | number): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const factor = m ? MEMORY_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || factor === undefined) return undefined;
  const bytes = Number(m[1]) * factor;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Parses a duration to ms: a number of ms or '100ms', '10 s', '5 min', '1h'. */
export function parseDuration(raw: string | number): number | undefined {
  try {
    return toMillis(raw);
  } catch (e) {
    if (e instanceof WeirError) return undefined;
    throw e;
  }
}

/** Parses and validates one value of `key`; `source` names where it came from in the error. */
export function parseOptionValue(key: OptionKey, raw: RawValue, source = 'code'): ConfigValue {
  const spec: OptionSpec = OPTIONS[key];
  const value = parseByType(spec, raw);
  const expected = value === undefined ? expectation(spec) : checkValue(spec, value);
  if (expected !== undefined) {
    const shown = isSecretKey(key) ? REDACTED : showRaw(raw);
    throw new WeirError(
      'WEIR_CONFIG_BAD_VALUE',
      `Invalid value ${shown} for configuration key '${key}' (from ${source}): expected ${expected}`,
    );
  }
  return value as ConfigValue;
}

/** Formats a parsed value the way a user writes it; `parseOptionValue` reads it back unchanged. */
export function formatOptionValue(key: OptionKey, value: ConfigValue): string {
  const spec: OptionSpec = OPTIONS[key];
  if (Array.isArray(value)) return value.join(';');
  if (typeof value === 'number' && spec.type === 'duration') return formatDuration(value);
  if (typeof value === 'number' && spec.type === 'memory-size') return formatMemorySize(value);
  return String(value);
}

export function formatDuration(ms: number): string {
  for (const [unit, f] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms !== 0 && ms % f === 0) return `${ms / f} ${unit}`;
  }
  return `${ms} ms`;
}

export function formatMemorySize(bytes: number): string {
  for (const [unit, f] of [
    ['tb', 1024 ** 4],
    ['gb', 1024 ** 3],
    ['mb', 1024 ** 2],
    ['kb', 1024],
  ] as const) {
    if (bytes !== 0 && bytes % f === 0) return `${bytes / f} ${unit}`;
  }
  return `${bytes} bytes`;
}

function parseByType(spec: OptionSpec, raw: RawValue): ConfigValue | undefined {
  if (spec.type === 'list') return parseList(raw);
  if (typeof raw === 'object') return undefined; // a list given to a scalar option
  switch (spec.type) {
    case 'string':
      return String(raw);
    case 'integer': {
      const n = typeof raw === 'number' ? raw : /^\s*[+-]?\d+\s*$/.test(String(raw)) ? Number(raw) : NaN;
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'number': {
      const n = typeof raw === 'number' ? raw : String(raw).trim() === '' ? NaN : Number(raw);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      return s === 'true' ? true : s === 'false' ? false : undefined;
    }
    case 'duration':
      return typeof raw === 'boolean' ? undefined : parseDuration(raw);
    case 'memory-size':
      return typeof raw === 'boolean' ? undefined : parseMemorySize(raw);
    case 'enum': {
      const wanted = normaliseEnum(String(raw));
      return spec.values?.find((v) => normaliseEnum(v) === wanted);
    }
  }
}

function parseList(raw: RawValue): readonly string[] | undefined {
  if (Array.isArray(raw)) return raw.map((v: string | number | boolean) => String(v).trim()).filter((v) => v !== '');
  const s = String(raw).trim();
  if (s.startsWith('[')) {
    // A YAML flow sequence, as Flink accepts in -D: [a, b]
    let items: unknown;
    try {
      items = yaml().parse(s, { schema: 'failsafe' });
    } catch {
      return undefined;
    }
    return Array.isArray(items) && items.every((v) => typeof v === 'string') ? parseList(items as string[]) : undefined;
  }
  return s
    .split(';')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function normaliseEnum(s: string): string {
  return s.trim().toLowerCase().replace(/_/g, '-');
}

function checkValue(spec: OptionSpec, value: ConfigValue): string | undefined {
  if (typeof value === 'number' && ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))) {
    return expectation(spec);
  }
  return spec.check ? (spec.check as (v: ConfigValue) => string | undefined)(value) : undefined;
}

function expectation(spec: OptionSpec): string {
  switch (spec.type) {
    case 'string':
      return 'a string';
    case 'integer':
      return `an integer${bounds(spec, String)}`;
    case 'number':
      return `a number${bounds(spec, String)}`;
    case 'boolean':
      return 'true or false';
    case 'duration':
      return `a duration${bounds(spec, formatDuration)}, such as '100 ms', '10 s' or '5 min' (a bare number is milliseconds)`;
    case 'memory-size':
      return `a memory size${bounds(spec, formatMemorySize)}, such as '32 kb', '64 mb' or a number of bytes`;
    case 'enum':
      return `one of ${(spec.values ?? []).join(', ')}`;
    case 'list':
      return "a list: a YAML sequence or values separated by ';'";
  }
}

function bounds(spec: OptionSpec, show: (n: number) => string): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` between ${show(spec.min)} and ${show(spec.max)}`;
  if (spec.min !== undefined) return ` of at least ${show(spec.min)}`;
  if (spec.max !== undefined) return ` of at most ${show(spec.max)}`;
  return '';
}

function showRaw(raw: RawValue): string {
  return typeof raw === 'string' ? `'${raw}'` : Array.isArray(raw) ? JSON.stringify(raw) : String(raw);
}

/** Every option's default, parsed once; a wrong default in the table fails at load (and in the tests). */
export const DEFAULTS: ReadonlyMap<OptionKey, ConfigValue> = new Map(
  OPTION_KEYS.flatMap((key) => {
    const d = (OPTIONS[key] as OptionSpec).default;
    return d === undefined ? [] : [[key, parseOptionValue(key, d, 'the option table')] as const];
  }),
);
