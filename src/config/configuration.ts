/**
 * A validated set of configuration values. Every value is parsed and checked against the option
 * table (options.ts) when it is set, so a Configuration never holds an unknown key or a value of
 * the wrong type; errors name the key, the value, what was expected and where it came from
 * (`conf/config.yaml:12`, `-D`, ...). `get` returns the value set last, else the option's default.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { yaml } from './yaml.js';
import { assertOptionsAvailable } from './availability.js';
import { WeirError } from '../errors.js';
import { OPTION_KEYS, isSecretKey } from './options.js';
import type { KeysOfType, OptionKey, OptionValue } from './options.js';
import { checkKey } from './keys.js';
import { DEFAULTS, REDACTED, formatOptionValue, parseOptionValue } from './values.js';
import type { ConfigValue, RawValue } from './values.js';
import { flatten } from './yaml-flatten.js';

export type { ConfigValue, RawValue } from './values.js';
export { formatDuration, formatMemorySize, formatOptionValue, parseDuration, parseMemorySize, parseOptionValue } from './values.js';
export { levenshtein, suggestKey } from './keys.js';

/** Where -D values come from, in error messages. */
export const DYNAMIC_SOURCE = '-D';

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
