/**
 * The Dispatcher's archiver for `jobmanager.archive.dir`. The archive holds the REST API's shapes
 * (rest/job-archive.ts), so it is loaded with the first job that ends, not when a cluster starts.
 */
import type { JobArchiver } from '../runtime/jobmanager/dispatcher.js';

export function jobArchiver(archiveDir: string | undefined): JobArchiver | undefined {
  if (!archiveDir) return undefined;
  return async (jm) => {
    const { archiveJob } = await import('../rest/job-archive.js');
    return archiveJob(archiveDir, jm);
  };
}
