/**
 * Bundles a program (its entry file and everything it imports, except `weir` and Node's built-ins)
 * into one ESM file with esbuild, named by the SHA-256 of its content. `weir` imports become reads
 * of the host modules of the process that loads the bundle.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { WeirError } from '../errors.js';
import { HOST_MODULES } from '../runtime/host-modules.js';

export interface Bundle {
  /** sha256 of the bundle's content. */
  id: string;
  path: string;
  entry: string;
  size: number;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

function hostPlugin(): Plugin {
  return {
    name: 'weir-host',
    setup(b) {
      b.onResolve({ filter: /^weir(\/.*)?$/ }, (args) => {
        if (!HOST_MODULES[args.path]) {
          return { errors: [{ text: `'${args.path}' is not a Weir module; available: ${Object.keys(HOST_MODULES).join(', ')}` }] };
        }
        return { path: args.path, namespace: 'weir-host' };
      });
      b.onLoad({ filter: /.*/, namespace: 'weir-host' }, (args) => {
        const names = Object.keys(HOST_MODULES[args.path]!).filter((n) => n !== 'default' && IDENT.test(n));
        const contents =
          `const m = globalThis[Symbol.for('weir.hostModules')]?.[${JSON.stringify(args.path)}];\n` +
          `if (!m) throw new Error(${JSON.stringify(`This program was bundled for Weir: run it with 'weir run' (module ${args.path} is not loaded)`)});\n` +
          `export const { ${names.join(', ')} } = m;\n` +
          `export default m.default;\n`;
        return { contents, loader: 'js' };
      });
    },
  };
}

export function defaultBundleDir(): string {
  return process.env.WEIR_BUNDLE_DIR ?? join(tmpdir(), 'weir', 'bundles');
}

export async function bundleProgram(entry: string, outDir = defaultBundleDir()): Promise<Bundle> {
  const abs = resolve(entry);
  if (!existsSync(abs)) {
    throw new WeirError('WEIR_PROGRAM_NOT_FOUND', `Program file ${abs} does not exist: check the path given to weir`);
  }
  let code: string;
  try {
    const result = await build({
      entryPoints: [abs],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      plugins: [hostPlugin()],
      banner: {
        js: "import { createRequire as __weirCreateRequire } from 'node:module'; const require = __weirCreateRequire(import.meta.url);",
      },
    });
    code = result.outputFiles[0]!.text;
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    const first = errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    throw new WeirError('WEIR_PROGRAM_BUNDLE', `Cannot bundle ${abs}: ${where}${first?.text ?? (e as Error).message}`);
  }
  const id = createHash('sha256').update(code).digest('hex');
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, `${id}.mjs`);
  if (!existsSync(path)) {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, code);
    await rename(tmp, path);
  }
  return { id, path, entry: abs, size: Buffer.byteLength(code) };
}
