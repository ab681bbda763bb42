/**
 * Runs an uploaded program's main() in the JobManager (`POST /bundles/:id/run-program`, the
 * dashboard's Submit page), as Flink's JobManager runs a jar's main(): with the same
 * ProgramExecutor `weir run` uses, behind the in-process ClusterClient, detached (execute()
 * returns once its job is submitted). An upload that is not a weir bundle is a single `.ts`/`.js`
 * program, bundled here with the client's bundling code. main() runs once at a time: plan mode
 * holds process-wide state (the executor factory, process.argv).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { Configuration } from '../config/index.js';
import type { Bundle } from '../client/bundler.js';
import type { ClusterClient } from '../client/cluster-client.js';
import type { ProgramRunner } from '../rest/routes/context.js';
import type { Logger } from '../runtime/rpc/transport.js';

/** The first bytes of every bundle weir makes (the bundler's banner). */
const BUNDLE_BANNER = 'import { createRequire as __weirCreateRequire }';
const SOURCE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx']);

export function programRunner(config: Configuration, cluster: ClusterClient, log: Logger): ProgramRunner {
  let queue: Promise<unknown> = Promise.resolve();
  return (p) => {
    const run = queue.then(() => runOnce(config, cluster, log, p));
    queue = run.catch(() => undefined);
    return run;
  };
}

async function runOnce(config: Configuration, cluster: ClusterClient, log: Logger, p: Parameters<ProgramRunner>[0]): Promise<string[]> {
  const [{ runProgram }, { bundleProgram }] = await Promise.all([import('../client/run-program.js'), import('../client/bundler.js')]);
  const c = config.clone();
  if (p.savepointPath !== undefined) c.set('execution.savepoint.path', p.savepointPath, 'savepointPath');
  if (p.allowNonRestoredState) c.set('execution.savepoint.ignore-unclaimed-state', true, 'allowNonRestoredState');
  const bytes = await readFile(p.path);
  let sourceDir: string | undefined;
  let bundle: Bundle;
  try {
    if (bytes.subarray(0, BUNDLE_BANNER.length).toString() === BUNDLE_BANNER) {
      bundle = { id: basename(p.path, '.mjs'), path: p.path, entry: p.path, size: bytes.length };
    } else {
      // A source file: bundled under its own extension (esbuild picks the loader by it).
      const ext = SOURCE_EXTENSIONS.has(extname(p.name)) ? extname(p.name) : '.ts';
      sourceDir = await mkdtemp(join(tmpdir(), 'weir-program-'));
      const file = join(sourceDir, `program${ext}`);
      await writeFile(file, bytes, { mode: 0o600 });
      bundle = await bundleProgram(file, join(sourceDir, 'bundle'));
    }
    log.info(`running main() of ${p.name} (${bundle.id.slice(0, 12)}) submitted over REST`);
    const run = await runProgram({
      program: p.name,
      bundle,
      args: p.args,
      config: c,
      cluster,
      detached: true,
      ...(p.parallelism !== undefined ? { parallelism: p.parallelism } : {}),
    });
    return run.jobs.map((j) => j.jobId);
  } finally {
    // The bundle was stored by the BlobServer when its job was submitted: the source copy can go.
    if (sourceDir) await rm(sourceDir, { recursive: true, force: true });
  }
}
