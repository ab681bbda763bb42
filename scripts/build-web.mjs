/**
 * Run by `npm run build`: bundles the web dashboard (web/src, preact) with esbuild into dist/web:
 * index.html plus `assets/<name>-<hash>.js|css` (content-hashed, so the server may cache them for
 * good). Everything the page needs is in those files: no CDN, no fonts or icons from elsewhere.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'web');
await rm(out, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(root, 'web', 'src', 'main.tsx')],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).map((f) => basename(f));
const js = files.find((f) => f.endsWith('.js'));
const css = files.find((f) => f.endsWith('.css'));
if (!js || !css) throw new Error(`the dashboard bundle is incomplete: ${files.join(', ')}`);
const html = (await readFile(join(root, 'web', 'index.html'), 'utf8')).replace('%JS%', `/assets/${js}`).replace('%CSS%', `/assets/${css}`);
await mkdir(out, { recursive: true });
await writeFile(join(out, 'index.html'), html);
