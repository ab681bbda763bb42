/**
 * The values a pipeline depends on beyond its code, for the JobGraph fingerprint: the data of
 * sources (fromData's elements, a source's settings) and of function objects, and the values of
 * variables a user function captured and names (read through V8's inspector, as a debugger would).
 * A main() that computes them differently in a slot (Math.random(), the clock) builds a different
 * fingerprint and fails with WEIR_NONDETERMINISTIC_PROGRAM instead of running with other values.
 */
import { Session } from 'node:inspector';

/** Canonical text of an object's own data (functions by their source), bounded in depth. */
export function dataText(v: unknown, depth = 0): string {
  if (typeof v === 'function') return `fn:${v.toString()}`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'symbol') return v.toString();
  if (depth > 4) return '…';
  if (Array.isArray(v)) return `[${v.map((x) => dataText(x, depth + 1)).join(',')}]`;
  if (v instanceof Map) return `Map[${[...v].map(([k, x]) => `${dataText(k, depth + 1)}:${dataText(x, depth + 1)}`).join(',')}]`;
  if (v instanceof Set) return `Set[${[...v].map((x) => dataText(x, depth + 1)).join(',')}]`;
  if (v instanceof Date) return `Date(${v.getTime()})`;
  const o = v as Record<string, unknown>;
  const name = (Object.getPrototypeOf(o) as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  return `${name}{${Object.keys(o)
    .sort()
    .map((k) => `${k}:${dataText(o[k], depth + 1)}`)
    .join(',')}}`;
}

interface RemoteObject {
  type: string;
  value?: unknown;
  unserializableValue?: string;
  objectId?: string;
  description?: string;
}
interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}

/**
 * Reads the variables functions captured. One inspector session for a whole fingerprint; when the
 * inspector is not available, nothing is read (the check then covers code and source data only).
 */
export class CapturedValues {
  private session: Session | undefined;

  constructor() {
    try {
      this.session = new Session();
      this.session.connect();
    } catch {
      this.session = undefined;
    }
  }

  /** `name=value` for each variable `fn` captured and its source text names (primitives, plain objects and arrays). */
  of(fn: unknown): string {
    if (typeof fn !== 'function' || !this.session) return '';
    try {
      return this.read(fn as (...a: unknown[]) => unknown);
    } catch {
      return '';
    }
  }

  close(): void {
    this.session?.disconnect();
    this.session = undefined;
  }

  private post<T>(method: string, params: object): T {
    let out: T | undefined;
    let err: Error | null = null;
    // The session answers synchronously on its own thread.
    this.session!.post(method, params, (e: Error | null, r?: object) => {
      err = e;
      out = r as T;
    });
    if (err) throw err as Error;
    if (out === undefined) throw new Error(`no answer to ${method}`);
    return out;
  }

  private read(fn: (...a: unknown[]) => unknown): string {
    const names = new Set(fn.toString().match(/[A-Za-z_$][\w$]*/g) ?? []);
    const key = Symbol.for('weir.capturedValues.fn');
    const g = globalThis as { [k: symbol]: unknown };
    g[key] = fn;
    let objectId: string | undefined;
    try {
      objectId = this.post<{ result: RemoteObject }>('Runtime.evaluate', {
        expression: "globalThis[Symbol.for('weir.capturedValues.fn')]",
        objectGroup: 'weir',
      }).result.objectId;
    } finally {
      delete g[key];
    }
    if (!objectId) return '';
    const props = this.post<{ internalProperties?: PropertyDescriptor[] }>('Runtime.getProperties', { objectId, ownProperties: true });
    const scopes = props.internalProperties?.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
    if (!scopes) return '';
    const out: string[] = [];
    for (const scope of this.post<{ result: PropertyDescriptor[] }>('Runtime.getProperties', { objectId: scopes, ownProperties: true })
      .result) {
      const id = scope.value?.objectId;
      if (!id || scope.value?.description === 'Global') continue;
      for (const v of this.post<{ result: PropertyDescriptor[] }>('Runtime.getProperties', { objectId: id, ownProperties: true }).result) {
        if (!names.has(v.name) || !v.value) continue;
        out.push(`${v.name}=${this.valueText(v.value)}`);
      }
    }
    this.post('Runtime.releaseObjectGroup', { objectGroup: 'weir' });
    return out.sort().join(';');
  }

  private valueText(v: RemoteObject): string {
    if (v.type === 'function') return 'function';
    if (v.unserializableValue !== undefined) return v.unserializableValue;
    if (v.type !== 'object' || !v.objectId) return `${v.type}:${JSON.stringify(v.value) ?? String(v.value)}`;
    // Plain data only: other objects (the environment, clients, connections) are named by their class.
    const r = this.post<{ result: RemoteObject }>('Runtime.callFunctionOn', {
      objectId: v.objectId,
      objectGroup: 'weir',
      returnByValue: true,
      functionDeclaration:
        "function () { const p = Object.getPrototypeOf(this); if (p !== Object.prototype && p !== Array.prototype && p !== null) return '<' + (this.constructor && this.constructor.name) + '>'; try { return JSON.stringify(this); } catch { return '<unserializable>'; } }",
    });
    return `object:${String(r.result.value)}`;
  }
}
