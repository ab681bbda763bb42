/**
 * Run after tsc (npm run build): dist/runtime/rpc/validate.js becomes one file holding the message
 * declarations, TypeBox and ajv. TypeBox is hundreds of small modules: loading them costs ~200 ms
 * of CPU, the bundled file ~10 ms, and the JobManager and every TaskManager load it as they start.
 */
import { build } from 'esbuild';

const file = new URL('../dist/runtime/rpc/validate.js', import.meta.url).pathname;
await build({
  entryPoints: [file],
  outfile: file,
  allowOverwrite: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
