/**
 * Live data: a GET repeated every few seconds while the tab is visible. Polling stops while
 * `document.hidden` and resumes (at once) when the tab is shown again.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from './api';

export const POLL_MS = 2000;

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Fetches again now (after an action). */
  refresh(): void;
}

/** Polls `load` (or GETs `path`) every `intervalMs`; `null` for no request (nothing to ask yet). */
export function usePoll<T>(path: string | null, intervalMs = POLL_MS, load?: () => Promise<T>): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [path]);
  useEffect(() => {
    if (path === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      if (document.hidden) return;
      try {
        const v = loadRef.current ? await loadRef.current() : await getJson<T>(path);
        if (!stopped) {
          setData(v);
          setError(undefined);
        }
      } catch (e) {
        if (!stopped) setError((e as Error).message);
      }
      if (!stopped && intervalMs > 0) timer = setTimeout(() => void run(), intervalMs);
    };
    const onVisibility = (): void => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (!document.hidden) void run();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [path, intervalMs, tick]);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, refresh };
}
