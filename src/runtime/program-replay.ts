/**
 * Task mode (DESIGN §3): a slot or the source coordinator imports the program's bundle and replays
 * main() up to the execute() call that produced the deployed job, checks that the replay built the
 * same pipeline (same fingerprint), keeps the rebuilt StreamGraph (it holds the user functions) and
 * leaves main() suspended there. Earlier execute() calls return at once, as if their jobs had run.
 */
import { pathToFileURL } from 'node:url';
import { setPipelineExecutorFactory, type Pipeline } from '../api/execution-context.js';
import type { JobClient, JobExecutionResult } from '../api/job-client.js';
import { WeirError } from '../errors.js';
import { buildJobGraph, type JobGraph } from '../graph/job-graph.js';
import { buildStreamGraph, type StreamGraph } from '../graph/stream-graph.js';
import { installHostModules } from '../cluster/host-modules.js';
import type { JobDeployment } from './rpc/messages.js';

export interface ReplayedJob {
  streamGraph: StreamGraph;
  jobGraph: JobGraph;
}

function skippedClient(pipeline: Pipeline): JobClient {
  const result: JobExecutionResult = { jobId: '', jobName: pipeline.jobName, netRuntime: 0, accumulators: {}, collected: {} };
  return {
    jobId: '',
    getJobStatus: () => Promise.resolve('FINISHED'),
    cancel: () => Promise.resolve(),
    stopWithSavepoint: () => Promise.resolve(''),
    getJobExecutionResult: () => Promise.resolve(result),
  };
}

export function replayProgram(d: JobDeployment): Promise<ReplayedJob> {
  installHostModules();
  process.argv.splice(1, process.argv.length - 1, d.bundlePath, ...d.programArgs);
  // Worker threads cannot chdir: relative paths in main() resolve against the client's directory,
  // as they did when the client ran main(), so the replay builds the same pipeline.
  const cwd = d.cwd;
  process.cwd = () => cwd;
  return new Promise<ReplayedJob>((resolve, reject) => {
    let done = false;
    setPipelineExecutorFactory(() => ({
      execute(pipeline: Pipeline): Promise<JobClient> {
        if (done) return new Promise<JobClient>(() => undefined);
        if (pipeline.executionIndex < d.executionIndex) return Promise.resolve(skippedClient(pipeline));
        done = true;
        try {
          const streamGraph = buildStreamGraph(pipeline, d.graphDefaults);
          const jobGraph = buildJobGraph(streamGraph);
          const same = d.structuralCheck
            ? jobGraph.structureFingerprint === d.jobGraph.structureFingerprint
            : jobGraph.fingerprint === d.jobGraph.fingerprint;
          if (pipeline.executionIndex !== d.executionIndex || !same) {
            reject(
              new WeirError(
                'WEIR_NONDETERMINISTIC_PROGRAM',
                `main() built a different pipeline when replayed in a TaskManager slot (execute() #${pipeline.executionIndex + 1} '${pipeline.jobName}', fingerprint ${jobGraph.fingerprint}, expected '${d.jobGraph.jobName}' with ${d.jobGraph.fingerprint}): main() must build the same pipeline every time it runs — do not branch on random numbers, the clock or external state`,
              ),
            );
          } else resolve({ streamGraph, jobGraph });
        } catch (e) {
          reject(e);
        }
        // main() stays suspended here; the worker is discarded when the job ends.
        return new Promise<JobClient>(() => undefined);
      },
    }));
    import(pathToFileURL(d.bundlePath).href).then(
      () => {
        if (!done) {
          done = true;
          reject(
            new WeirError(
              'WEIR_NONDETERMINISTIC_PROGRAM',
              `main() returned before reaching execute() #${d.executionIndex + 1} when replayed in a TaskManager slot: main() must build the same pipelines every time it runs`,
            ),
          );
        }
      },
      (e: unknown) => {
        if (!done) {
          done = true;
          reject(
            new WeirError(
              'WEIR_PROGRAM_FAILED',
              `main() threw when replayed in a TaskManager slot: ${e instanceof Error ? e.message : String(e)}`,
              {},
              { cause: e },
            ),
          );
        }
      },
    );
  });
}
