/**
 * List-then-watch of pods matching a field selector, restarted when the watch ends (the API server
 * closes watches after a while, or answers 410 Gone when the resourceVersion is too old), as an
 * informer does. Used by the pod runner (a test tool).
 */
import type { CoreV1Api, V1Pod, Watch } from '@kubernetes/client-node';

const RETRY_MS = 500;

/**
 * Calls `onEvent` for every pod of the initial list (as ADDED) and every later change; after each
 * (re)list, `onList` gets the uids present. Runs until the returned controller is aborted.
 */
export function watchLoop(
  watch: Watch,
  core: CoreV1Api,
  fieldSelector: string,
  onEvent: (type: string, pod: V1Pod) => void,
  onList?: (present: Set<string>) => void,
): AbortController {
  const stop = new AbortController();
  let current: AbortController | undefined;
  stop.signal.addEventListener('abort', () => current?.abort());
  const cycle = async (): Promise<void> => {
    if (stop.signal.aborted) return;
    let ended: Promise<void>;
    try {
      const list = await core.listPodForAllNamespaces({ fieldSelector });
      onList?.(new Set(list.items.map((p) => p.metadata!.uid!)));
      for (const p of list.items) onEvent('ADDED', p);
      let resolveEnded!: () => void;
      ended = new Promise((r) => (resolveEnded = r));
      current = await watch.watch(
        '/api/v1/pods',
        { fieldSelector, resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
        (type, obj: V1Pod) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onEvent(type, obj);
          else if (type === 'ERROR') current?.abort(); // 410 Gone: list again.
        },
        () => resolveEnded(),
      );
      if (stop.signal.aborted) current.abort();
      await ended;
    } catch {
      /* The API server is unreachable for now: try again shortly. */
    }
    if (!stop.signal.aborted) setTimeout(() => void cycle(), RETRY_MS).unref();
  };
  void cycle();
  return stop;
}
