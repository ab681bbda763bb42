/**
 * Locates the compiled entry files of worker threads. Workers always run the compiled JavaScript in
 * dist/ (Node cannot start a worker from a .ts file), also when the engine itself was loaded from
 * src/ by a TypeScript loader.
 */
import { fileURLToPath } from 'node:url';

export function workerEntry(relative: string): string {
  const here = import.meta.url;
  let url = new URL(relative, here).href;
  if (here.endsWith('.ts')) url = url.replace('/src/', '/dist/').replace(/\.ts$/, '.js');
  return fileURLToPath(url);
}
