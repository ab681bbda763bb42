/**
 * Routing by the URL's fragment, as Flink's dashboard does (`#/job/<id>`): the server serves one
 * page at `/` and needs no fallback that could shadow an API path.
 */
import { useEffect, useState } from 'preact/hooks';

export function useRoute(): string[] {
  const parse = (): string[] => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = (): void => setRoute(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(path: string): void {
  location.hash = `#/${path}`;
}
