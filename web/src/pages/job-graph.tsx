/**
 * The job graph, laid out by dagre (left to right, as Flink's): each vertex shows its name,
 * parallelism, records in/out per second, busy and backpressured time (and is coloured by them as
 * in Flink's dashboard) and its low watermark; each edge its partitioner.
 */
import dagre from '@dagrejs/dagre';
import { useMemo } from 'preact/hooks';
import { percent, rate, vertexColor, watermark } from '../format';
import type { JobDetails } from '../types';

export interface VertexLive {
  inPerSecond?: number;
  outPerSecond?: number;
  busyMax?: number;
  backPressuredMax?: number;
  watermark?: number;
}

const W = 320;
const H = 112;

export function JobGraph({
  job,
  live,
  selected,
  onSelect,
}: {
  job: JobDetails;
  live: Record<string, VertexLive>;
  selected?: string;
  onSelect(id: string): void;
}) {
  const layout = useMemo(() => {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 20, marginy: 20 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of job.plan.nodes) g.setNode(n.id, { width: W, height: H });
    for (const n of job.plan.nodes)
      for (const i of n.inputs ?? []) g.setEdge(i.id, n.id, { label: i.ship_strategy, width: 70, height: 18, labelpos: 'c' });
    dagre.layout(g);
    const nodes = g.nodes().map((id) => ({ id, ...(g.node(id) as { x: number; y: number }) }));
    const edges = g.edges().map((e) => {
      const d = g.edge(e) as { points: { x: number; y: number }[]; label: string; x: number; y: number };
      return { key: `${e.v}-${e.w}`, ...d };
    });
    const gg = g.graph() as { width?: number; height?: number };
    return { nodes, edges, width: gg.width ?? W, height: gg.height ?? H };
  }, [job.plan]);
  const vertices = new Map(job.vertices.map((v) => [v.id, v]));
  return (
    <div class="graph-wrap">
      <svg class="job-graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#8c8c8c" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <g class="edge" key={e.key}>
            <polyline
              points={e.points.map((p) => `${p.x},${p.y}`).join(' ')}
              fill="none"
              stroke="#8c8c8c"
              stroke-width="1.5"
              marker-end="url(#arrow)"
            />
            <rect x={e.x - 35} y={e.y - 9} width="70" height="18" rx="3" fill="#fff" stroke="#d9d9d9" />
            <text x={e.x} y={e.y + 4} text-anchor="middle" class="edge-label">
              {e.label}
            </text>
          </g>
        ))}
        {layout.nodes.map((n) => {
          const v = vertices.get(n.id);
          const l = live[n.id] ?? {};
          const name = v?.name ?? n.id;
          const x = n.x - W / 2;
          const y = n.y - H / 2;
          return (
            <g class={`vertex${selected === n.id ? ' selected' : ''}`} data-vertex={n.id} key={n.id} onClick={() => onSelect(n.id)}>
              <rect x={x} y={y} width={W} height={H} rx="6" fill={vertexColor(l.busyMax, l.backPressuredMax)} />
              <text x={x + 10} y={y + 20} class="vertex-name">
                {name.length > 38 ? `${name.slice(0, 37)}…` : name}
                <title>{name}</title>
              </text>
              <text x={x + 10} y={y + 40} class="vertex-line">
                Parallelism: {v?.parallelism ?? '-'} · {v?.status ?? ''}
              </text>
              <text x={x + 10} y={y + 58} class="vertex-line vertex-rates">
                In: {rate(l.inPerSecond)} · Out: {rate(l.outPerSecond)}
              </text>
              <text x={x + 10} y={y + 76} class="vertex-line">
                Busy (max): {percent(l.busyMax)} · Backpressured (max): {percent(l.backPressuredMax)}
              </text>
              <text x={x + 10} y={y + 94} class="vertex-line">
                Low Watermark: {watermark(l.watermark)}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
