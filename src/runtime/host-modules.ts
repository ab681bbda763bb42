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
import * as postgres from '../connectors/postgres/index.js';

export const HOST_MODULES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  weir,
  'weir/connectors/file': file,
  'weir/connectors/socket': socket,
  'weir/connectors/datagen': datagen,
  'weir/connectors/collection': collection,
  'weir/connectors/postgres': postgres,
};

export const HOST_MODULES_KEY = Symbol.for('weir.hostModules');

export function installHostModules(): void {
  (globalThis as Record<symbol, unknown>)[HOST_MODULES_KEY] = HOST_MODULES;
}
