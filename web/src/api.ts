/**
 * The dashboard's only data source: Weir's REST API on the same origin. With security.rest.token
 * every request carries `Authorization: Bearer <token>`; the token is kept for the browser tab
 * (sessionStorage) and asked for again when the API answers 401.
 */
const TOKEN_KEY = 'weir.rest.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when a request was refused for want of a (valid) token. */
export function onUnauthorized(l: Listener): () => void {
  unauthorizedListeners.add(l);
  return () => unauthorizedListeners.delete(l);
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  sessionStorage.setItem(TOKEN_KEY, t);
}

async function request(method: string, path: string, body?: BodyInit, contentType?: string): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (contentType) headers['content-type'] = contentType;
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body } : {}) });
  if (res.status === 401) {
    for (const l of unauthorizedListeners) l();
    throw new ApiError(401, 'This cluster needs its REST token');
  }
  if (!res.ok) {
    let msg = `${method} ${path}: HTTP ${res.status}`;
    try {
      const e = (await res.json()) as { errors?: string[] };
      if (e.errors?.length) msg = e.errors.join('; ');
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(res.status, msg);
  }
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request('GET', path)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  return (await request('GET', path)).text();
}

export async function send<T>(method: 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
  const res = await request(
    method,
    path,
    body === undefined ? undefined : JSON.stringify(body),
    body === undefined ? undefined : 'application/json',
  );
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export async function upload<T>(path: string, file: Blob): Promise<T> {
  return (await (await request('POST', path, file, 'application/octet-stream')).json()) as T;
}
