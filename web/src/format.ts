/** How the dashboard writes times, sizes, rates, and the colours of Flink's dashboard. */

const pad = (n: number): string => String(n).padStart(2, '0');

export function time(ms: number | null | undefined): string {
  if (!ms || ms <= 0) return '-';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '-';
  if (ms < 1000) return `${ms}ms`;
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s % 60}s`].filter(Boolean);
  return parts.slice(0, 2).join(' ');
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || n < 0) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function rate(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M/s`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}K/s`;
  return `${n < 10 ? n.toFixed(1) : Math.round(n)}/s`;
}

export function percent(msPerSecond: number | undefined): string {
  return msPerSecond === undefined || !Number.isFinite(msPerSecond) ? '-' : `${Math.round(msPerSecond / 10)}%`;
}

/** Watermarks are epoch milliseconds; none yet is Long.MIN_VALUE (or no metric). */
export function watermark(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v) || v <= -9e15) return 'No Watermark';
  if (v >= 9e15) return 'MAX';
  return time(v);
}

/**
 * A vertex's colour as in Flink's dashboard: idle blue, busy red, backpressured black, and the
 * shades between (hue by busy time, darkness by backpressured time; both in ms per second).
 */
export function vertexColor(busyMsPerSecond: number | undefined, backPressuredMsPerSecond: number | undefined): string {
  if (busyMsPerSecond === undefined || backPressuredMsPerSecond === undefined) return 'hsl(210, 10%, 45%)';
  const busy = Math.min(1, Math.max(0, busyMsPerSecond / 1000));
  const bp = Math.min(1, Math.max(0, backPressuredMsPerSecond / 1000));
  const hue = Math.round(240 * (1 - busy));
  const lightness = Math.round(45 * (1 - bp));
  return `hsl(${hue}, 80%, ${lightness}%)`;
}

const STATE_COLORS: Record<string, string> = {
  RUNNING: '#1890ff',
  FINISHED: '#52c41a',
  FAILED: '#f5222d',
  FAILING: '#f5222d',
  CANCELED: '#fa8c16',
  CANCELLED: '#fa8c16',
  CANCELING: '#faad14',
  CANCELLING: '#faad14',
  CREATED: '#2f54eb',
  INITIALIZING: '#738df8',
  SCHEDULED: '#722ed1',
  DEPLOYING: '#13c2c2',
  RESTARTING: '#13c2c2',
  RECONCILING: '#eb2f96',
  SUSPENDED: '#8c8c8c',
  COMPLETED: '#52c41a',
  IN_PROGRESS: '#1890ff',
};

export function stateColor(state: string): string {
  return STATE_COLORS[state.toUpperCase()] ?? '#8c8c8c';
}

/** Backpressure levels as Flink shows them: ok green, low orange, high red. */
export function backpressureColor(level: string | undefined): string {
  return level === 'high' ? '#f5222d' : level === 'low' ? '#fa8c16' : level === 'ok' ? '#52c41a' : '#8c8c8c';
}

/** Configuration keys whose values are secrets (also masked when the server did not). */
export function isSecretKey(key: string): boolean {
  return /(password|secret|token|credential|private|access[-.]?key|secret[-.]?key)/i.test(key);
}

/** Program arguments as a shell would split them: whitespace separates, quotes group. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of s.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}
