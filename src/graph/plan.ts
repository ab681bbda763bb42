/**
 * The plan of a JobGraph in the JSON shape of Flink's `GET /jobs/:id/plan`, and as a text DAG for
 * `weir info`. Tools written for Flink's plan JSON read Weir's.
 */
import type { JobGraph } from './job-graph.js';

export interface PlanInput {
  num: number;
  id: string;
  ship_strategy: string;
  exchange: string;
}
export interface PlanNode {
  id: string;
  parallelism: number;
  operator: string;
  operator_strategy: string;
  description: string;
  inputs?: PlanInput[];
  optimizer_properties: Record<string, never>;
}
export interface JobPlan {
  jid: string;
  name: string;
  type: string;
  nodes: PlanNode[];
}

const SHIP: Record<string, string> = {
  forward: 'FORWARD',
  hash: 'HASH',
  rebalance: 'REBALANCE',
  rescale: 'RESCALE',
  broadcast: 'BROADCAST',
  global: 'GLOBAL',
  shuffle: 'SHUFFLE',
};

export function planJson(jg: JobGraph, jobId = ''): JobPlan {
  return {
    jid: jobId,
    name: jg.jobName,
    type: jg.type,
    nodes: jg.vertices.map((v) => {
      const inputs = jg.edges
        .filter((e) => e.targetVertex === v.id)
        .map((e, num) => ({
          num,
          id: e.sourceVertex,
          ship_strategy: SHIP[e.partitioner] ?? e.partitioner.toUpperCase(),
          exchange: 'pipelined_bounded',
        }));
      const node: PlanNode = {
        id: v.id,
        parallelism: v.parallelism,
        operator: '',
        operator_strategy: '',
        description: v.operators.map((o) => (o.type === 'source' ? `Source: ${o.name}` : o.name)).join('<br/>'),
        optimizer_properties: {},
      };
      if (inputs.length) node.inputs = inputs;
      return node;
    }),
  };
}

/** A readable DAG: one block per vertex (its chain), with the edges that feed it. */
export function planText(jg: JobGraph): string {
  const index = new Map(jg.vertices.map((v, i) => [v.id, i + 1]));
  const lines: string[] = [`Job '${jg.jobName}' (${jg.type}), ${jg.vertices.length} vertices, fingerprint ${jg.fingerprint}`];
  for (const v of jg.vertices) {
    lines.push('');
    const ins = jg.edges.filter((e) => e.targetVertex === v.id);
    for (const e of ins)
      lines.push(
        `      ↑ ${SHIP[e.partitioner] ?? e.partitioner}${e.tag ? ` [side output '${e.tag}']` : ''}${e.inputIndex ? ' (input 2)' : ''} from [${index.get(e.sourceVertex)}]`,
      );
    lines.push(
      `  [${index.get(v.id)}] ${v.name}  (parallelism ${v.parallelism}${v.operators.some((o) => o.keyed) ? `, keyed, max parallelism ${v.maxParallelism}` : ''})`,
    );
    if (v.operators.length > 1) for (const o of v.operators) lines.push(`        · ${o.name}: ${o.description}`);
    else lines.push(`        · ${v.operators[0]!.description}`);
  }
  return lines.join('\n');
}
