/**
 * The distributed cache (Flink's DistributedCache): files and directories a program registers with
 * `env.registerCachedFile(path, name)` travel with the job, and every task reads its local copy
 * with `getRuntimeContext().getDistributedCache().getFile(name)`.
 *
 * A slot worker runs tasks of one job attempt only, so the worker installs the attempt's copies
 * once (installDistributedCache) and every runtime context of the worker answers from them.
 */
import { WeirError } from '../errors.js';

/** A file or directory registered by the program: `path` as given, resolved by the client. */
export interface CachedFileRegistration {
  name: string;
  path: string;
  executable: boolean;
}

export class DistributedCache {
  constructor(private readonly files: ReadonlyMap<string, string>) {}

  /** The local path of the copy of the file or directory registered as `name`. */
  getFile(name: string): string {
    const path = this.files.get(name);
    if (path !== undefined) return path;
    const known = [...this.files.keys()].map((n) => `'${n}'`).join(', ');
    throw new WeirError(
      'WEIR_CACHED_FILE',
      `getDistributedCache().getFile('${name}'): no file was registered under that name${known ? ` (registered: ${known})` : ' (the job has no cached files)'}: call env.registerCachedFile(path, '${name}') in main()`,
    );
  }

  /** The names registered for this job. */
  names(): string[] {
    return [...this.files.keys()];
  }
}

const CACHE = Symbol.for('weir.distributedCache');
type Holder = { [CACHE]?: DistributedCache };

/** Installed by a slot worker before main() is replayed: name → path of the local copy. */
export function installDistributedCache(files: Record<string, string>): void {
  (globalThis as Holder)[CACHE] = new DistributedCache(new Map(Object.entries(files)));
}

/** The distributed cache of the job attempt this thread runs tasks of. */
export function currentDistributedCache(): DistributedCache {
  const c = (globalThis as Holder)[CACHE];
  if (!c) {
    throw new WeirError(
      'WEIR_CACHED_FILE',
      'getDistributedCache() is only available in tasks (open(), map(), ...), not while main() builds the pipeline',
    );
  }
  return c;
}
