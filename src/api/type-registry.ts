/**
 * Classes whose instances travel as records or state (Flink's registered POJO types). A program
 * registers them with `env.registerType(Class)` in main(); since every task slot replays main(),
 * every process that decodes records knows them. Registered instances keep their class (and so
 * their methods) across exchanges, checkpoints and savepoints; an instance of a class that is not
 * registered fails the job with WEIR_UNREGISTERED_CLASS naming it, instead of turning silently
 * into a plain object.
 */
import { WeirError } from '../errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RecordClass = abstract new (...args: any[]) => object;

const byName = new Map<string, RecordClass>();
const byClass = new Map<RecordClass, string>();
const listeners: ((cls: RecordClass, name: string) => void)[] = [];

/** Registers `cls` under `name` (its class name by default); a later class of the same name replaces it. */
export function registerType(cls: RecordClass, name: string = cls?.name): void {
  if (typeof cls !== 'function' || cls.prototype === undefined)
    throw new WeirError('WEIR_BAD_PIPELINE', 'registerType() needs a class (the constructor of the records)');
  if (!name) throw new WeirError('WEIR_BAD_PIPELINE', 'registerType(): an anonymous class needs a name: registerType(cls, name)');
  const existing = byName.get(name);
  if (existing === cls) return;
  // Another program run in this process (a client running main() again, a JobManager in
  // Application mode) registers its own class of the same name: the latest one decodes.
  if (existing !== undefined) byClass.delete(existing);
  byName.set(name, cls);
  byClass.set(cls, name);
  for (const l of listeners) l(cls, name);
}

export function registeredTypeName(cls: unknown): string | undefined {
  return byClass.get(cls as RecordClass);
}

export function registeredType(name: string): RecordClass | undefined {
  return byName.get(name);
}

/** Calls `l` for every class registered, now and later. */
export function onTypeRegistered(l: (cls: RecordClass, name: string) => void): void {
  listeners.push(l);
  for (const [name, cls] of byName) l(cls, name);
}
