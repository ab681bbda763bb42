/**
 * The executor a program gets when it runs without `weir` (e.g. `tsx my-job.ts`): its own entry
 * file is bundled and run on an embedded local mini-cluster, as Flink's LocalStreamEnvironment.
 */
import type { Pipeline, PipelineExecutor } from '../api/execution-context.js';
import type { JobClient } from '../api/job-client.js';
import { Configuration, loadConfiguration } from '../config/index.js';
import { configureFileSystems } from '../fs/index.js';
import { WeirError } from '../errors.js';
import { bundleProgram } from '../client/bundler.js';
import { installHostModules } from '../runtime/host-modules.js';
import { LocalMiniCluster } from './local-mini-cluster.js';
import { ProgramExecutor } from '../client/program-executor.js';
import { graphDefaults } from '../client/run-program.js';

let shared: { executor: Promise<ProgramExecutor>; cluster: LocalMiniCluster } | undefined;

export function createLocalExecutor(): PipelineExecutor {
  return {
    async execute(pipeline: Pipeline, options: { detached: boolean }): Promise<JobClient> {
      if (!shared) {
        const entry = process.argv[1];
        if (!entry)
          throw new WeirError(
            'WEIR_PROGRAM_NOT_FOUND',
            'cannot find the program entry file to ship to the local cluster (process.argv[1] is empty)',
          );
        let config: Configuration;
        try {
          config = loadConfiguration({});
        } catch {
          config = Configuration.fromEntries({});
        }
        configureFileSystems(config.toJSON());
        const cluster = new LocalMiniCluster({ slotsPerTaskManager: Number(config.get('taskmanager.numberOfTaskSlots') ?? 1) });
        installHostModules();
        const executor = bundleProgram(entry).then(
          (bundle) =>
            new ProgramExecutor({
              bundle,
              args: process.argv.slice(2),
              cwd: process.cwd(),
              config,
              defaults: graphDefaults(config),
              cluster: async () => cluster,
              structuralCheck: true,
            }),
        );
        shared = { executor, cluster };
        // The embedded cluster goes away when the program's last job has ended.
        process.once('beforeExit', () => void cluster.close());
      }
      const ex = await shared.executor;
      return ex.execute(pipeline, options);
    },
  };
}
