/**
 * JobGraph: the StreamGraph with operators chained into vertices (Flink's StreamingJobGraphGenerator).
 * An edge is chained when chaining is on, the target has exactly this one input edge, both sides
 * have the same parallelism, the edge is forward, the target may be chained (ALWAYS) and the source
 * allows it (not NEVER). The JobGraph is plain JSON: it travels to the JobManager and to every
 * slot, where the user functions are found again by operator id in the replayed StreamGraph.
 */
import { createHash } from 'node:crypto';
import type { StreamEdge, StreamGraph, StreamNode } from './stream-graph.js';
import { CapturedValues, dataText } from './plan-values.js';
import type { ChainedOutput, JobEdge, JobGraph, JobOperator, JobVertex } from './graph-schema.js';

// Declared as schemas (graph-schema.ts): TaskManagers and the REST API check every graph they receive.
export type { ChainedOutput, JobEdge, JobGraph, JobOperator, JobVertex };

export function isChainable(e: StreamEdge, chainingEnabled: boolean): boolean {
  return (
    chainingEnabled &&
    e.target.inEdges.length === 1 &&
    e.partitioner.kind === 'forward' &&
    e.source.parallelism === e.target.parallelism &&
    e.target.chainingStrategy === 'ALWAYS' &&
    e.source.chainingStrategy !== 'NEVER'
  );
}

export function buildJobGraph(sg: StreamGraph): JobGraph {
  const head = new Map<StreamNode, StreamNode>();
  const chains = new Map<StreamNode, StreamNode[]>();
  for (const n of sg.nodes) {
    const only = n.inEdges.length === 1 ? n.inEdges[0]! : undefined;
    const h = only && isChainable(only, sg.chainingEnabled) ? head.get(only.source)! : n;
    head.set(n, h);
    if (!chains.has(h)) chains.set(h, []);
    chains.get(h)!.push(n);
  }
  const edges: JobEdge[] = [];
  const vertices: JobVertex[] = [];
  for (const [h, members] of chains) {
    const operators: JobOperator[] = members.map((n) => {
      const chained: ChainedOutput[] = [];
      const network: string[] = [];
      for (const e of n.outEdges) {
        if (head.get(e.target) === h && isChainable(e, sg.chainingEnabled))
          chained.push({ target: e.target.id, inputIndex: e.inputIndex, tag: e.outputTag?.id });
        else network.push(e.id);
      }
      return {
        id: n.id,
        uid: n.transformation.uid,
        name: n.name,
        type: n.spec.type,
        description: n.transformation.description ?? describeSpec(n),
        keyed: n.keyed,
        chainedOutputs: chained,
        networkOutputs: network,
        ...(n.spec.type === 'collect' && n.spec.limit !== undefined
          ? { collectLimit: { collectId: n.spec.collectId, limit: n.spec.limit } }
          : {}),
      };
    });
    vertices.push({
      id: h.id,
      name: members.map((m) => (m.spec.type === 'source' ? `Source: ${m.name}` : m.name)).join(' -> '),
      parallelism: h.parallelism,
      maxParallelism: h.maxParallelism,
      operators,
      inputs: h.inEdges.map((e) => e.id),
      isSource: h.spec.type === 'source',
    });
  }
  for (const n of sg.nodes) {
    for (const e of n.outEdges) {
      if (!isChainable(e, sg.chainingEnabled)) {
        edges.push({
          id: e.id,
          sourceVertex: head.get(e.source)!.id,
          sourceOperator: e.source.id,
          targetVertex: e.target.id,
          targetOperator: e.target.id,
          inputIndex: e.inputIndex,
          partitioner: e.partitioner.kind,
          tag: e.outputTag?.id,
        });
      }
    }
  }
  const jg: JobGraph = { jobName: sg.jobName, type: sg.runtimeMode, fingerprint: '', structureFingerprint: '', vertices, edges };
  jg.structureFingerprint = structureFingerprint(jg);
  jg.fingerprint = fingerprint(sg, jg);
  return jg;
}

function describeSpec(n: StreamNode): string {
  const s = n.spec;
  switch (s.type) {
    case 'source':
      return s.source.describe();
    case 'sink':
      return s.sink.describe();
    case 'window':
      return `${s.assigner.describe()} ${s.fn.kind}${s.allowedLateness ? ` allowedLateness=${s.allowedLateness}` : ''}`;
    default:
      return n.name;
  }
}

/** Text of a user function: its source, or for objects their class name and methods' sources. */
function functionText(f: unknown, depth = 0): string {
  if (typeof f === 'function') return f.toString();
  if (f === null || typeof f !== 'object' || depth > 2) return JSON.stringify(f) ?? String(f);
  const parts: string[] = [(f as object).constructor?.name ?? 'Object'];
  let proto: object | null = Object.getPrototypeOf(f) as object | null;
  while (proto && proto !== Object.prototype) {
    for (const k of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, k);
      if (k !== 'constructor' && typeof d?.value === 'function') parts.push(`${k}:${(d.value as () => void).toString()}`);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  for (const k of Object.keys(f)) {
    const v = (f as Record<string, unknown>)[k];
    if (typeof v === 'function') parts.push(`${k}:${v.toString()}`);
  }
  return parts.join('|');
}

function structureFingerprint(jg: JobGraph): string {
  return createHash('sha256')
    .update(JSON.stringify({ name: jg.jobName, type: jg.type, vertices: jg.vertices, edges: jg.edges }))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Identifies the pipeline main() built: topology, settings, the text of every user function, and
 * the values it depends on (source data, function objects' fields, captured variables; see plan-values.ts).
 */
function fingerprint(sg: StreamGraph, jg: JobGraph): string {
  const h = createHash('sha256');
  h.update(jg.structureFingerprint);
  const captured = new CapturedValues();
  const fnText = (f: unknown): string => {
    if (typeof f === 'function') return `${f.toString()}|${captured.of(f)}`;
    if (f !== null && typeof f === 'object') return `${functionText(f)}|${dataText(f)}`;
    return functionText(f);
  };
  try {
    for (const n of sg.nodes) {
      const s = n.spec as Record<string, unknown>;
      for (const k of Object.keys(s).sort()) {
        const v = s[k];
        if (k === 'type') continue;
        h.update(`${n.id}.${k}=`);
        if (k === 'source') {
          h.update((v as { describe(): string }).describe());
          // fromData's elements, a generator's function and its captured values, ...
          h.update(dataText(v));
          for (const x of Object.values(v as object)) if (typeof x === 'function') h.update(captured.of(x));
        } else if (k === 'sink') h.update((v as { describe(): string }).describe());
        else if (k === 'assigner') h.update((v as { describe(): string }).describe());
        else if (k === 'fn' && v && typeof v === 'object' && 'kind' in (v as object)) {
          const w = v as Record<string, unknown>;
          for (const wk of Object.keys(w).sort()) h.update(`${wk}:${fnText(w[wk])}`);
        } else h.update(fnText(v));
      }
      for (const ks of n.transformation.keySelectors) h.update(ks ? fnText(ks) : '-');
      for (const e of n.outEdges) if (e.partitioner.kind === 'hash') h.update(`${e.id}:${fnText(e.partitioner.keySelector)}`);
      for (const e of n.outEdges)
        if (e.partitioner.kind === 'custom') h.update(`${e.id}:${fnText(e.partitioner.keySelector)}:${fnText(e.partitioner.partitioner)}`);
    }
  } finally {
    captured.close();
  }
  return h.digest('hex').slice(0, 32);
}
