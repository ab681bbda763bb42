/**
 * The web dashboard's files (built into dist/web by `npm run build`), served at `/`: index.html
 * (never cached: it names the current assets) and `/assets/<name>-<hash>.<ext>` (cached for good,
 * their names change with their content). The dashboard routes with the URL's fragment
 * (`/#/job/<id>`, as Flink's dashboard does), so the server needs no fallback that could shadow an
 * API path. These files carry no data, so they are served without the REST token: the page asks
 * for the token and sends it with every API request.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RestApp } from './routes/context.js';

/** The paths the dashboard's files are served at (open without a token). */
export function isWebAssetPath(url: string): boolean {
  const path = url.split('?')[0]!;
  return path === '/' || path === '/index.html' || /^\/assets\/[A-Za-z0-9._-]+$/.test(path);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Scripts and styles from this server only; fetches to this server only. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Where the built dashboard is: dist/web beside dist/rest (also when the server runs from src/ under tsx). */
export function webDir(): string | undefined {
  for (const rel of ['../web/', '../../dist/web/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** Registers `/`, `/index.html` and `/assets/*`; the files are read once, at start. */
export function webAssetRoutes(app: RestApp, dir = webDir()): void {
  const index = dir ? readFileSync(join(dir, 'index.html')) : undefined;
  const assets = new Map<string, Buffer>();
  if (dir && existsSync(join(dir, 'assets')))
    for (const f of readdirSync(join(dir, 'assets'))) assets.set(f, readFileSync(join(dir, 'assets', f)));

  const sendIndex = async (_req: unknown, reply: import('fastify').FastifyReply): Promise<unknown> => {
    if (!index)
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('The web dashboard is not built: run npm run build (it writes dist/web). The REST API answers as usual.');
    return reply
      .type(CONTENT_TYPES['.html']!)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(index);
  };
  app.get('/', sendIndex);
  app.get('/index.html', sendIndex);
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const body = assets.get(req.params.file);
    const type = CONTENT_TYPES[extname(req.params.file)];
    if (!body || !type) return reply.callNotFound();
    return reply
      .type(type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
}
