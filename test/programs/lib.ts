/**
 * What the API test programs share: their arguments (`<output dir> <parallelism>`) and a FileSink
 * per named result under the output directory, which test/e2e/api.test.ts reads back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileSink } from 'weir/connectors/file';

const args = process.argv.slice(2);
/** Where results go: one directory of part files per result name. */
export const OUT_DIR = args[0] ?? 'output/test-programs';
/** The parallelism the test runs the program with (also the environment's default). */
export const PARALLELISM = Number(args[1] ?? 1);
/** Further arguments select sub-cases. */
export const CASES = args.slice(2);

export function out<T>(name: string): FileSink<T> {
  return FileSink.jsonLines<T>(path.join(OUT_DIR, name));
}

/** Writes a small JSON report from inside a task (e.g. from close(), which has no output). */
export function report(name: string, value: unknown): void {
  const dir = path.join(OUT_DIR, 'reports');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(value));
}
