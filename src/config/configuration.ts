/**
 * A validated set of configuration values. Every value is parsed and checked against the option
 * table (options.ts) when it is set, so a Configuration never holds an unknown key or a value of
 * the wrong type; errors name the key, the value, what was expected and where it came from
 * (`conf/config.yaml:12`, `-D`, ...). `get` returns the value set last, else the option's default.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Node as YamlNode, Document, LineCounter } from 'yaml';
import { assertOptionsAvailable } from './availability.js';
import { WeirError } from '../errors.js';
import { toMillis } from '../util/duration.js';
import { OPTIONS, OPTION_KEYS, RENAMED_KEYS, isOptionKey, isSecretKey } from './options.js';
import type { KeysOfType, OptionKey, OptionSpec, OptionValue } from './options.js';

/**
 * The YAML parser, loaded on first use: only processes that read config.yaml or list values need
 * it, and every slot worker thread imports this module.
 */
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

/** A value as written: YAML scalars and -D values are strings; code may pass typed values. */
export type RawValue = string | number | boolean | readonly (string | number | boolean)[];

/** A parsed value, as `get` returns it. */
export type ConfigValue = string | number | boolean | readonly string[];

/** Where -D values come from, in error messages. */
export const DYNAMIC_SOURCE = '-D';

const REDACTED = '******';

interface Entry {
  value: ConfigValue;
  source: string;
}

export interface ToJSONOptions {
  /** Replace the values of secret keys (security.rest.token, ...) with '******'. */
  redactSecrets?: boolean;
}

export class Configuration {
  private readonly entries = new Map<OptionKey, Entry>();

  /** Reads a config.yaml: flat keys (`a.b.c: v`), nested maps (`a: {b: {c: v}}`) or both. */
  static fromYamlFile(path: string): Configuration {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (e as Error).message;
      throw new WeirError('WEIR_CONFIG_FILE', `Cannot read configuration file '${path}': ${reason}`, {}, { cause: e });
    }
    return Configuration.fromYaml(text, path);
  }

  /** Parses config.yaml text; `origin` names it in errors (a file path). */
  static fromYaml(text: string, origin = 'config.yaml'): Configuration {
    const lineCounter = new (yaml().LineCounter)();
    // The failsafe schema keeps every scalar a string, as written ('0123' stays '0123'); the
    // option table decides how to read it, as Flink does.
    const doc = yaml().parseDocument(text, { schema: 'failsafe', lineCounter, prettyErrors: true, uniqueKeys: true });
    const err = doc.errors[0];
    if (err) throw new WeirError('WEIR_CONFIG_FILE', `Configuration file '${origin}' is not valid YAML: ${err.message.trim()}`);
    const config = new Configuration();
    const root = doc.contents;
    if (root === null || (yaml().isScalar(root) && root.value === '')) return config;
    if (!yaml().isMap(root))
      throw new WeirError('WEIR_CONFIG_FILE', `Configuration file '${origin}' must be a map of keys to values, like 'rest.port: 8081'`);

    const leaves: { key: string; raw: RawValue; line: number }[] = [];
    flatten(doc, root, '', origin, lineCounter, leaves);
    const seenAt = new Map<string, number>();
    const problems: WeirError[] = [];
    for (const { key, raw, line } of leaves) {
      const where = `${origin}:${line}`;
      const first = seenAt.get(key);
      if (first !== undefined) {
        problems.push(
          new WeirError('WEIR_CONFIG_FILE', `Configuration key '${key}' is set twice in '${origin}' (lines ${first} and ${line})`),
        );
        continue;
      }
      seenAt.set(key, line);
      try {
        config.set(key, raw, where);
      } catch (e) {
        if (!(e instanceof WeirError)) throw e;
        problems.push(e);
      }
    }
    throwAll(problems);
    return config;
  }

  /** From key/value pairs (a record or an iterable of pairs); values are parsed as by `set`. */
  static fromEntries(entries: Iterable<readonly [string, RawValue]> | Readonly<Record<string, RawValue>>, source = 'code'): Configuration {
    const config = new Configuration();
    const pairs: Iterable<readonly [string, RawValue]> = isIterable(entries) ? entries : Object.entries(entries);
    const problems: WeirError[] = [];
    for (const [key, raw] of pairs) {
      try {
        config.set(key, raw, source);
      } catch (e) {
        if (!(e instanceof WeirError)) throw e;
        problems.push(e);
      }
    }
    throwAll(problems);
    return config;
  }

  /**
   * Sets a key from a raw value (a string as in config.yaml or -D, or a typed value from code).
   * Throws WEIR_CONFIG_UNKNOWN_KEY or WEIR_CONFIG_BAD_VALUE naming `source`.
   */
  set(key: OptionKey | (string & {}), raw: RawValue, source = 'code'): this {
    const k = checkKey(key, source);
    this.entries.set(k, { value: parseOptionValue(k, raw, source), source });
    return this;
  }

  /** Sets a `key=value` string, as given to -D. */
  setDynamic(property: string, source = DYNAMIC_SOURCE): this {
    const { key, value } = parseDynamicProperty(property);
    return this.set(key, value, source);
  }

  /** Removes a value that was set, so the default applies again. */
  unset(key: OptionKey): this {
    this.entries.delete(key);
    return this;
  }

  /** The value set last, else the default (durations in ms, memory sizes in bytes). */
  get<K extends OptionKey>(key: K): OptionValue<K> {
    const entry = this.entries.get(key);
    return (entry ? entry.value : DEFAULTS.get(key)) as OptionValue<K>;
  }

  /** Like `get`, but an unset option without default is an error that says why it is needed. */
  getRequired<K extends OptionKey>(key: K, why?: string): NonNullable<OptionValue<K>> {
    const value = this.get(key);
    if (value === undefined || value === null) {
      throw new WeirError(
        'WEIR_CONFIG_BAD_VALUE',
        `Configuration key '${key}' must be set${why ? ` ${why}` : ''} (in conf/config.yaml or with -D${key}=...)`,
      );
    }
    return value as NonNullable<OptionValue<K>>;
  }

  getString<K extends KeysOfType<'string' | 'enum'>>(key: K): OptionValue<K> {
    return this.get(key);
  }
  getInteger<K extends KeysOfType<'integer'>>(key: K): OptionValue<K> {
    return this.get(key);
  }
  getNumber<K extends KeysOfType<'number' | 'integer'>>(key: K): OptionValue<K> {
    return this.get(key);
  }
  getBoolean<K extends KeysOfType<'boolean'>>(key: K): OptionValue<K> {
    return this.get(key);
  }
  /** In milliseconds. */
  getDuration<K extends KeysOfType<'duration'>>(key: K): OptionValue<K> {
    return this.get(key);
  }
  /** In bytes. */
  getMemorySize<K extends KeysOfType<'memory-size'>>(key: K): OptionValue<K> {
    return this.get(key);
  }
  getList<K extends KeysOfType<'list'>>(key: K): OptionValue<K> {
    return this.get(key);
  }

  /** Whether the key was set explicitly (not just defaulted). */
  has(key: OptionKey): boolean {
    return this.entries.has(key);
  }

  /** Where the current value came from: a file and line, '-D', 'code', ... or 'default'. */
  sourceOf(key: OptionKey): string {
    return this.entries.get(key)?.source ?? 'default';
  }

  /** The keys set explicitly, in the order they were first set. */
  keys(): OptionKey[] {
    return [...this.entries.keys()];
  }

  /** A new Configuration with this one's values, then each of `others`' (later wins). */
  merge(...others: Configuration[]): Configuration {
    const out = new Configuration();
    for (const c of [this, ...others]) for (const [k, e] of c.entries) out.entries.set(k, { ...e });
    return out;
  }

  clone(): Configuration {
    return this.merge();
  }

  /**
   * Every option with a value (set or default) as typed values: durations in ms, memory sizes
   * in bytes. Options without default that are unset are left out.
   */
  toJSON(options?: ToJSONOptions | string): Record<string, ConfigValue> {
    const redact = typeof options === 'object' && options.redactSecrets === true;
    const out: Record<string, ConfigValue> = {};
    for (const key of OPTION_KEYS) {
      const value = this.get(key) as ConfigValue | undefined;
      if (value === undefined) continue;
      out[key] = redact && isSecretKey(key) ? REDACTED : value;
    }
    return out;
  }

  /**
   * Every option with a value as the strings a user would write ('100 ms', '32 kb', 'a;b'),
   * which `set`/`fromEntries` parse back to the same values (Flink's /jobmanager/config shape).
   */
  toStringMap(options?: ToJSONOptions): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.toJSON(options))) {
      out[key] = value === REDACTED ? REDACTED : formatOptionValue(key as OptionKey, value);
    }
    return out;
  }

  /** Only the explicitly set options, as strings: what a child process needs to be given. */
  toDynamicProperties(): string[] {
    return this.keys().map((k) => `${k}=${formatOptionValue(k, this.get(k) as ConfigValue)}`);
  }
}

// ---- -D and loading ------------------------------------------------------------------------

/** Splits a -D argument `key=value` at the first '='. */
export function parseDynamicProperty(property: string): { key: string; value: string } {
  const eq = property.indexOf('=');
  const key = eq < 0 ? '' : property.slice(0, eq).trim();
  if (!key) {
    throw new WeirError(
      'WEIR_CONFIG_BAD_VALUE',
      `Invalid dynamic property '${property}' (from -D): expected key=value, e.g. -Dparallelism.default=4`,
    );
  }
  return { key, value: property.slice(eq + 1).trim() };
}

export interface LoadConfigurationOptions {
  /** Directory of config.yaml; defaults to $WEIR_CONF_DIR, else ./conf. */
  confDir?: string;
  /** -D arguments, `key=value`, applied after the file (later wins). */
  dynamic?: readonly string[];
  /** Environment to read WEIR_CONF_DIR from (tests); defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Reads `<confDir>/config.yaml` when it exists, then applies the -D properties. */
export function loadConfiguration(options: LoadConfigurationOptions = {}): Configuration {
  const env = options.env ?? process.env;
  const file = join(options.confDir ?? env.WEIR_CONF_DIR ?? './conf', 'config.yaml');
  const config = fileExists(file) ? Configuration.fromYamlFile(file) : new Configuration();
  const problems: WeirError[] = [];
  for (const d of options.dynamic ?? []) {
    try {
      config.setDynamic(d);
    } catch (e) {
      if (!(e instanceof WeirError)) throw e;
      problems.push(e);
    }
  }
  throwAll(problems);
  assertOptionsAvailable(config);
  return config;
}

// ---- parsing and formatting single values --------------------------------------------------

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
const DEFAULTS: ReadonlyMap<OptionKey, ConfigValue> = new Map(
  OPTION_KEYS.flatMap((key) => {
    const d = (OPTIONS[key] as OptionSpec).default;
    return d === undefined ? [] : [[key, parseOptionValue(key, d, 'the option table')] as const];
  }),
);

// ---- keys ----------------------------------------------------------------------------------

function checkKey(key: string, source: string): OptionKey {
  if (isOptionKey(key)) return key;
  const suggestion = suggestKey(key);
  const hint = suggestion ? ` Did you mean '${suggestion}'?` : ' See docs/configuration.md for the valid keys.';
  throw new WeirError('WEIR_CONFIG_UNKNOWN_KEY', `Unknown configuration key '${key}' (from ${source}).${hint}`);
}

/** The known key closest to a mistyped one: a renamed Flink key, a key it is the end of, or the nearest by edit distance. */
export function suggestKey(key: string): OptionKey | undefined {
  const renamed = RENAMED_KEYS[key];
  if (renamed) return renamed;
  const lower = key.toLowerCase();
  const bySuffix = OPTION_KEYS.find((k) => k.toLowerCase().endsWith('.' + lower));
  if (bySuffix) return bySuffix;
  let best: OptionKey | undefined;
  let bestDistance = Infinity;
  for (const k of OPTION_KEYS) {
    const d = levenshtein(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

// ---- YAML ----------------------------------------------------------------------------------

function flatten(
  doc: Document,
  node: YamlNode,
  prefix: string,
  origin: string,
  lines: LineCounter,
  out: { key: string; raw: RawValue; line: number }[],
): void {
  const resolved = yaml().isAlias(node) ? node.resolve(doc) : node;
  if (!yaml().isMap(resolved)) return;
  for (const pair of resolved.items) {
    const keyNode = pair.key as YamlNode | null;
    const line = lineOf(keyNode, lines);
    if (!yaml().isScalar(keyNode) || typeof keyNode.value !== 'string' || keyNode.value === '') {
      throw new WeirError('WEIR_CONFIG_FILE', `Configuration file '${origin}' has a key that is not a plain name at line ${line}`);
    }
    const key = prefix ? `${prefix}.${keyNode.value}` : keyNode.value;
    let value = pair.value as YamlNode | null;
    if (yaml().isAlias(value)) value = value.resolve(doc) ?? null;
    if (value === null) continue;
    if (yaml().isMap(value)) {
      flatten(doc, value, key, origin, lines, out);
    } else if (yaml().isSeq(value)) {
      const items: string[] = [];
      for (const item of value.items) {
        const v = yaml().isAlias(item) ? item.resolve(doc) : item;
        if (!yaml().isScalar(v)) {
          throw new WeirError('WEIR_CONFIG_FILE', `Configuration key '${key}' in '${origin}:${line}' must be a list of plain values`);
        }
        items.push(String(v.value));
      }
      out.push({ key, raw: items, line });
    } else if (yaml().isScalar(value)) {
      // `key:` with nothing after it leaves the option unset; `key: ""` sets an empty string.
      if (value.value === '' && value.type === 'PLAIN') continue;
      out.push({ key, raw: String(value.value), line });
    }
  }
}

function lineOf(node: YamlNode | null, lines: LineCounter): number {
  const offset = node?.range?.[0];
  return offset === undefined ? 0 : lines.linePos(offset).line;
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isIterable<T>(x: unknown): x is Iterable<T> {
  return typeof x === 'object' && x !== null && Symbol.iterator in x;
}

/** Throws the one problem found, or one error listing all of them (code of the first). */
function throwAll(problems: WeirError[]): void {
  const [first] = problems;
  if (!first) return;
  if (problems.length === 1) throw first;
  throw new WeirError(first.code, `${problems.length} configuration errors:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
}
