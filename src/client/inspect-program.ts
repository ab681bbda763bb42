/**
 * `weir info`: runs main() in plan mode only up to its first execute(), and returns the pipeline
 * it built (the same capture the client uses, but nothing is submitted).
 */
import { pathToFileURL } from 'node:url';
import { setPipelineExecutorFactory } from '../api/execution-context.js';
import type { JobClient } from '../api/job-client.js';
import type { Configuration } from '../config/index.js';
import { WeirError } from '../errors.js';
import type { JobGraph } from '../graph/job-graph.js';
import type { StreamGraph } from '../graph/stream-graph.js';
import { bundleProgram } from './bundler.js';
import { installHostModules } from '../runtime/host-modules.js';
import { resolveGraphs } from './program-executor.js';
import { graphDefaults } from './run-program.js';

let counter = 0;

export async function inspectProgram(
  program: string,
  args: string[],
  config: Configuration,
  parallelism?: number,
): Promise<{ streamGraph: StreamGraph; jobGraph: JobGraph }> {
  const bundle = await bundleProgram(program);
  const defaults = graphDefaults(config, parallelism);
  installHostModules();
  const savedArgv = process.argv;
  process.argv = [savedArgv[0]!, bundle.entry, ...args];
  try {
    return await new Promise((resolve, reject) => {
      let captured = false;
      setPipelineExecutorFactory(() => ({
        execute(pipeline): Promise<JobClient> {
          if (!captured) {
            captured = true;
            try {
              resolve(resolveGraphs(pipeline, defaults));
            } catch (e) {
              reject(e);
            }
          }
          return new Promise<JobClient>(() => undefined);
        },
      }));
      import(`${pathToFileURL(bundle.path).href}?info=${++counter}`).then(
        () => {
          if (!captured)
            reject(
              new WeirError(
                'WEIR_PROGRAM_NO_EXECUTE',
                `The program ${bundle.entry} finished without calling execute(): there is no plan to show`,
              ),
            );
        },
        (e: unknown) =>
          reject(
            e instanceof WeirError
              ? e
              : new WeirError(
                  'WEIR_PROGRAM_FAILED',
                  `The program ${bundle.entry} threw: ${e instanceof Error ? e.message : String(e)}`,
                  {},
                  { cause: e },
                ),
          ),
      );
    });
  } finally {
    process.argv = savedArgv;
    setPipelineExecutorFactory(undefined);
  }
}
