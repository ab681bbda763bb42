/**
 * Drives a source without an engine: a fake coordinator answers split requests (asynchronously, as
 * over RPC) and each reader is polled until END_OF_INPUT, bounded in polls and time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReaderOutput, Source, SourceReader, SourceSplit, SplitEnumerator } from '../../src/api/source.js';

const MAX_POLLS = 100_000;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

export interface Harness<T, S extends SourceSplit> {
  enumerator: SplitEnumerator<S, unknown>;
  readers: SourceReader<T, S>[];
  outputs: T[][];
  /** Polls every reader until it ends; resolves with the records of each reader. */
  run(timeoutMs?: number): Promise<T[][]>;
}

/** Wires an enumerator and `parallelism` readers through a fake coordinator with asynchronous delivery. */
export async function harness<T, S extends SourceSplit>(
  source: Source<T, S, unknown>,
  parallelism: number,
  restoredReaderSplits?: S[][],
  restoredEnum?: unknown,
): Promise<Harness<T, S>> {
  const readers: SourceReader<T, S>[] = [];
  const registered: number[] = [];
  const enumerator = source.createEnumerator(
    {
      currentParallelism: () => parallelism,
      registeredReaders: () => registered.slice(),
      assignSplit: (split, subtask) => setImmediate(() => readers[subtask]!.addSplits([structuredClone(split)])),
      signalNoMoreSplits: (subtask) => setImmediate(() => readers[subtask]!.notifyNoMoreSplits()),
    },
    restoredEnum,
  );
  await enumerator.start();
  for (let i = 0; i < parallelism; i++) {
    const reader = source.createReader({
      subtaskIndex: i,
      parallelism,
      sendSplitRequest: () => setImmediate(() => enumerator.handleSplitRequest(i)),
    });
    readers.push(reader);
    const restored = restoredReaderSplits?.[i];
    if (restored?.length) reader.addSplits(restored.map((s) => structuredClone(s)));
    registered.push(i);
    enumerator.addReader(i);
    await reader.start();
  }
  const outputs: T[][] = readers.map(() => []);
  return {
    enumerator,
    readers,
    outputs,
    async run(timeoutMs = 10_000) {
      await withTimeout(Promise.all(readers.map((r, i) => drain(r, outputs[i]!))), timeoutMs, 'source did not end');
      return outputs;
    },
  };
}

export async function drain<T>(reader: SourceReader<T, SourceSplit>, out: T[], stopAfter = Infinity): Promise<void> {
  const output: ReaderOutput<T> = { collect: (r) => void out.push(r) };
  for (let polls = 0; polls < MAX_POLLS; polls++) {
    if (out.length >= stopAfter) return;
    const status = reader.pollNext(output);
    if (status === 'END_OF_INPUT') return;
    if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
  }
  throw new Error(`reader did not end within ${MAX_POLLS} polls`);
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'weir-connectors-'));
}
