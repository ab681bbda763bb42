/**
 * Task mode (DESIGN §3): a slot or the source coordinator imports the program's bundle and replays
 * main() up to the execute() call that produced the deployed job, checks that the replay built the
 * same pipeline (same fingerprint), keeps the rebuilt StreamGraph (it holds the user functions) and
 * leaves main() suspended there. Earlier execute() calls return at once with what they gave main()
 * in the client (results, JobClient statuses), shipped with the job.
 */
import { pathToFileURL } from 'node:url';
import { setPipelineExecutorFactory, type ExecutionRecord, type Pipeline } from '../api/execution-context.js';
import type { JobClient, JobExecutionResult, JobStatus } from '../api/job-client.js';
import { ERROR_CODES, WeirError, type ErrorCode } from '../errors.js';
import { buildJobGraph, type JobGraph } from '../graph/job-graph.js';
import { buildStreamGraph, type StreamGraph } from '../graph/stream-graph.js';
import { installHostModules } from './host-modules.js';
import type { JobDeployment } from './rpc/messages.js';

export interface ReplayedJob {
  streamGraph: StreamGraph;
  jobGraph: JobGraph;
}

/**
 * An earlier execute() call, replayed: it gives main() what the client saw (the record shipped with
 * the job), result and JobClient answers in the order main() got them. What main() had not seen
 * in the client (a job that had not ended) never comes.
 */
function replayedClient(pipeline: Pipeline, r: ExecutionRecord | undefined): Promise<JobClient> {
  // A job submitted without records (not by weir's client): the earlier job is taken as finished.
  r ??= {
    statuses: [['FINISHED', Infinity]],
    savepoints: [],
    result: { jobId: '', jobName: pipeline.jobName, netRuntime: 0, accumulators: {}, collected: {} },
  };
  if (r.submitError) return Promise.reject(new WeirError(asCode(r.submitError.code), r.submitError.message));
  const runs = r.statuses.map(([s, times]): [JobStatus, number] => [s, times]);
  const nextStatus = (): JobStatus | undefined => {
    while (runs.length > 0 && runs[0]![1] <= 0) runs.shift();
    if (runs.length === 0) return undefined;
    runs[0]![1]--;
    return runs[0]![0];
  };
  const savepoints = [...r.savepoints];
  const pending = <T>(): Promise<T> => new Promise<T>(() => undefined);
  const result: Promise<JobExecutionResult> = r.result
    ? Promise.resolve(r.result)
    : r.error
      ? Promise.reject(new WeirError(asCode(r.error.code), r.error.message))
      : pending();
  result.catch(() => undefined);
  return Promise.resolve({
    jobId: r.jobId ?? '',
    getJobStatus: () => {
      const s = nextStatus();
      return s === undefined ? Promise.reject(notObserved(pipeline)) : Promise.resolve(s);
    },
    cancel: () => Promise.resolve(),
    stopWithSavepoint: () => {
      const p = savepoints.shift();
      return p === undefined ? Promise.reject(notObserved(pipeline)) : Promise.resolve(p);
    },
    getJobExecutionResult: () => result,
  });
}

function notObserved(pipeline: Pipeline): WeirError {
  return new WeirError(
    'WEIR_NONDETERMINISTIC_PROGRAM',
    `main() asked more of execute() #${pipeline.executionIndex + 1} '${pipeline.jobName}' when replayed in a TaskManager slot than it did in the client: main() must take the same path every time it runs`,
  );
}

function asCode(code: string): ErrorCode {
  return (code in ERROR_CODES ? code : 'WEIR_PROGRAM_FAILED') as ErrorCode;
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
        if (pipeline.executionIndex < d.executionIndex) return replayedClient(pipeline, d.observed?.[pipeline.executionIndex]);
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
                `main() built a different pipeline when replayed in a TaskManager slot (execute() #${pipeline.executionIndex + 1} '${pipeline.jobName}', fingerprint ${jobGraph.fingerprint}, expected '${d.jobGraph.jobName}' with ${d.jobGraph.fingerprint}): main() must build the same pipeline, with the same values, every time it runs — do not compute its values or branch on random numbers, the clock or external state`,
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
