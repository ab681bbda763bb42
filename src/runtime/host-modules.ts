/**
 * The modules a program's bundle imports as `weir` and `weir/connectors/*`. Bundles do not contain
 * Weir: they read these from the process that loads them (installHostModules), so every process has
 * exactly one engine, wherever the bundle file is stored.
 */
import * as weir from '../index.js';
import * as file from '../connectors/file/index.js';
import * as socket from '../connectors/socket/index.js';
import * as datagen from '../connectors/datagen/index.js';
import * as collection from '../connectors/collection/index.js';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Connectors whose clients are slow to load (the Kafka client takes about a second; node-postgres) are loaded on
 * first use, synchronously (require of an ES module), so jobs that do not use them do not pay.
 */
function lazy(path: string): Readonly<Record<string, unknown>> {
  let loaded: Record<string, unknown> | undefined;
  const load = (): Record<string, unknown> => (loaded ??= require(path) as Record<string, unknown>);
  return new Proxy({} as Record<string, unknown>, {
    get: (_t, k) => load()[k as string],
    has: (_t, k) => k in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_t, k) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), k);
      return d ? { ...d, configurable: true } : undefined;
    },
  });
}

export const HOST_MODULES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  weir,
  'weir/connectors/file': file,
  'weir/connectors/socket': socket,
  'weir/connectors/datagen': datagen,
  'weir/connectors/collection': collection,
  'weir/connectors/postgres': lazy('../connectors/postgres/index.js'),
  'weir/connectors/kafka': lazy('../connectors/kafka/index.js'),
  'weir/connectors/nats': lazy('../connectors/nats/index.js'),
};

export const HOST_MODULES_KEY = Symbol.for('weir.hostModules');

export function installHostModules(): void {
  (globalThis as Record<symbol, unknown>)[HOST_MODULES_KEY] = HOST_MODULES;
}
