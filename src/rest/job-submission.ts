/**
 * What the schema of `POST /bundles/:id/run` cannot check: the job graph as the TaskManagers read
 * it, references between its parts, and the submitted job configuration.
 */
import { Configuration, assertOptionsAvailable, isSecretKey } from '../config/index.js';
import { WeirError } from '../errors.js';
import type { JobGraph } from '../graph/job-graph.js';
import { cwdSchema, jobGraphSchema, programArgsSchema, validate } from '../runtime/rpc/validate.js';
import { HttpError } from './http-error.js';

/** Checks the whole graph and that its parts refer to each other consistently. */
export function checkJobGraph(jg: JobGraph): void {
  const bad = (field: string, why: string): never => {
    throw new HttpError(400, `body/jobGraph/${field} ${why}`, 'WEIR_BAD_PIPELINE');
  };
  // The TaskManagers check every deployment against this schema: a graph they would refuse is
  // refused here, once, instead of failing each task it is deployed to.
  const wrong = validate(jobGraphSchema, jg, 'body/jobGraph');
  if (wrong) throw new HttpError(400, wrong, 'WEIR_BAD_PIPELINE');
  const vertexIds = new Set<string>();
  jg.vertices.forEach((v, i) => {
    if (vertexIds.has(v.id)) bad(`vertices/${i}/id`, `repeats vertex id '${v.id}'`);
    vertexIds.add(v.id);
    if (v.parallelism > v.maxParallelism)
      bad(`vertices/${i}/parallelism`, `(${v.parallelism}) exceeds maxParallelism (${v.maxParallelism})`);
  });
  const edgeIds = new Set<string>();
  jg.edges.forEach((e, i) => {
    if (edgeIds.has(e.id)) bad(`edges/${i}/id`, `repeats edge id '${e.id}'`);
    edgeIds.add(e.id);
    if (!vertexIds.has(e.sourceVertex)) bad(`edges/${i}/sourceVertex`, `names no vertex of the job ('${e.sourceVertex}')`);
    if (!vertexIds.has(e.targetVertex)) bad(`edges/${i}/targetVertex`, `names no vertex of the job ('${e.targetVertex}')`);
  });
  jg.vertices.forEach((v, i) =>
    v.inputs.forEach((id, j) => {
      if (!edgeIds.has(id)) bad(`vertices/${i}/inputs/${j}`, `names no edge of the job ('${id}')`);
    }),
  );
}

/** Program arguments and working directory within what a TaskManager reads. */
export function checkProgram(programArgs: string[], cwd: string): void {
  const wrong = validate(programArgsSchema, programArgs, 'body/programArgs') ?? validate(cwdSchema, cwd, 'body/cwd');
  if (wrong) throw new HttpError(400, wrong);
}

/** The job's configuration: the cluster's, overlaid with the submitted one (validated), without secrets. */
export function jobConfiguration(cluster: Configuration, submitted: Record<string, unknown> | undefined): Record<string, unknown> {
  let overlay: Configuration;
  try {
    overlay = Configuration.fromEntries((submitted ?? {}) as Record<string, string>, 'the submitted job configuration');
    assertOptionsAvailable(overlay);
  } catch (e) {
    if (e instanceof WeirError) throw new HttpError(400, `body/config: ${e.message}`, e.code);
    throw e;
  }
  const out: Record<string, unknown> = cluster.merge(overlay).toJSON();
  for (const k of Object.keys(out)) if (isSecretKey(k)) delete out[k];
  return out;
}
