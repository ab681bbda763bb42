/**
 * StreamGraph: the transformations of one execute() resolved into operators (nodes) and edges.
 * Virtual transformations (partition, union, side output) disappear into edge properties. Node
 * order is creation order, which is topological. Operator ids are stable: a hash of the uid when
 * one is set, otherwise of the node's position and inputs, so the same main() yields the same ids.
 */
import { createHash } from 'node:crypto';
import { WeirError } from '../errors.js';
import type { Pipeline } from '../api/execution-context.js';
import type { OutputTag } from '../api/output-tag.js';
import type { ChainingStrategy, OperatorSpec, PartitionerSpec, Transformation } from '../api/transformation.js';
import { DEFAULT_MAX_PARALLELISM } from './key-groups.js';
import type { StreamGraphDefaults } from './graph-schema.js';

export interface StreamNode {
  readonly id: string;
  readonly transformation: Transformation;
  readonly name: string;
  readonly spec: OperatorSpec;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly chainingStrategy: ChainingStrategy;
  readonly keyed: boolean;
  readonly inEdges: StreamEdge[];
  readonly outEdges: StreamEdge[];
}

export interface StreamEdge {
  readonly id: string;
  readonly source: StreamNode;
  readonly target: StreamNode;
  readonly partitioner: PartitionerSpec;
  readonly outputTag: OutputTag | undefined;
  /** 0, or 1 for the second input of a two-input operator. */
  readonly inputIndex: number;
}

export type { StreamGraphDefaults };

export class StreamGraph {
  readonly byId = new Map<string, StreamNode>();
  readonly edges: StreamEdge[] = [];
  constructor(
    readonly jobName: string,
    readonly nodes: StreamNode[],
    readonly runtimeMode: 'STREAMING' | 'BATCH',
    readonly chainingEnabled: boolean,
  ) {
    for (const n of nodes) {
      this.byId.set(n.id, n);
      this.edges.push(...n.outEdges);
    }
  }
  node(id: string): StreamNode {
    const n = this.byId.get(id);
    if (!n) throw new WeirError('WEIR_INTERNAL', `operator ${id} is not in the stream graph of '${this.jobName}'`);
    return n;
  }
  edge(id: string): StreamEdge {
    const e = this.edges.find((x) => x.id === id);
    if (!e) throw new WeirError('WEIR_INTERNAL', `edge ${id} is not in the stream graph of '${this.jobName}'`);
    return e;
  }
}

interface ResolvedInput {
  node: Transformation;
  partitioner: PartitionerSpec | undefined;
  tag: OutputTag | undefined;
}

export function buildStreamGraph(pipeline: Pipeline, defaults: StreamGraphDefaults): StreamGraph {
  const s = pipeline.settings;
  const defaultParallelism = s.parallelism ?? defaults.parallelism;
  const defaultMaxParallelism = s.maxParallelism ?? defaults.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
  const runtimeMode = s.runtimeMode ?? defaults.runtimeMode;

  // Collect physical transformations reachable from the sinks.
  const physical = new Map<number, Transformation>();
  const seen = new Set<Transformation>();
  const stack = [...pipeline.sinks];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.kind === 'physical') physical.set(t.id, t);
    stack.push(...t.inputs);
  }
  const ordered = [...physical.values()].sort((a, b) => a.id - b.id);

  const resolve = (t: Transformation): ResolvedInput[] => {
    switch (t.kind) {
      case 'physical':
        return [{ node: t, partitioner: undefined, tag: undefined }];
      case 'union':
        return t.inputs.flatMap(resolve);
      case 'partition':
        return resolve(t.inputs[0]!).map((r) => ({ ...r, partitioner: t.partitioner }));
      case 'sideOutput':
        return resolve(t.inputs[0]!).map((r) => ({ ...r, tag: t.outputTag }));
    }
  };

  const nodes = new Map<Transformation, StreamNode>();
  const usedIds = new Set<string>();
  for (const t of ordered) {
    const spec = t.operator!;
    let parallelism = t.parallelism ?? defaultParallelism;
    if (spec.type === 'source' && spec.source.fixedParallelism !== undefined) parallelism = spec.source.fixedParallelism;
    const maxParallelism = t.maxParallelism ?? defaultMaxParallelism;
    if (parallelism > maxParallelism) {
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `operator '${t.name}' has parallelism ${parallelism} above its max parallelism ${maxParallelism}`,
      );
    }
    const inputs = t.inputs.map(resolve);
    const id = operatorId(
      t,
      inputs.flat().map((r) => nodes.get(r.node)!.id),
    );
    if (usedIds.has(id))
      throw new WeirError('WEIR_BAD_PIPELINE', `two operators have the same uid '${t.uid}': uids must be unique in a job`);
    usedIds.add(id);
    const node: StreamNode = {
      id,
      transformation: t,
      name: t.name,
      spec,
      parallelism,
      maxParallelism,
      chainingStrategy: t.chainingStrategy,
      keyed: t.isKeyed,
      inEdges: [],
      outEdges: [],
    };
    nodes.set(t, node);
    inputs.forEach((group, inputIndex) => {
      for (const r of group) {
        const source = nodes.get(r.node)!;
        let partitioner = r.partitioner;
        if (!partitioner) partitioner = source.parallelism === parallelism ? { kind: 'forward' } : { kind: 'rebalance' };
        if (partitioner.kind === 'forward' && source.parallelism !== parallelism) {
          throw new WeirError(
            'WEIR_BAD_PIPELINE',
            `forward() from '${source.name}' (parallelism ${source.parallelism}) to '${t.name}' (parallelism ${parallelism}): forward needs equal parallelism; use rebalance() or rescale()`,
          );
        }
        const edge: StreamEdge = {
          id: `${source.id.slice(0, 8)}-${id.slice(0, 8)}-${inputIndex}-${source.outEdges.length}`,
          source,
          target: node,
          partitioner,
          outputTag: r.tag,
          inputIndex,
        };
        source.outEdges.push(edge);
        node.inEdges.push(edge);
      }
    });
  }
  if (nodes.size === 0) throw new WeirError('WEIR_BAD_PIPELINE', `job '${pipeline.jobName}' has no operators`);
  return new StreamGraph(pipeline.jobName, [...nodes.values()], runtimeMode, s.chainingEnabled);
}

function operatorId(t: Transformation, inputIds: string[]): string {
  const basis = t.uid !== undefined ? `uid:${t.uid}` : `auto:${t.id}:${t.operator!.type}:${inputIds.join(',')}`;
  return createHash('sha256').update(basis).digest('hex').slice(0, 32);
}
