/** A vertex's drawer: per subtask its state, host, records, rates, busy/backpressured time, backpressure level and watermark. */
import { getJson } from '../api';
import { backpressureColor, duration, percent, rate, watermark } from '../format';
import { usePoll } from '../poll';
import type { BackPressure, Metric } from '../types';
import { ErrorBox, Loading, Tag } from '../ui';

interface VertexSubtasks {
  id: string;
  name: string;
  parallelism: number;
  subtasks: { subtask: number; status: string; endpoint: string; duration: number; metrics: Record<string, number | boolean> }[];
}

const RATES = ['numRecordsInPerSecond', 'numRecordsOutPerSecond', 'busyTimeMsPerSecond', 'backPressuredTimeMsPerSecond'];

interface DrawerData {
  vertex: VertexSubtasks;
  backpressure?: BackPressure;
  watermarks: Map<number, number>;
  rates: Map<number, Record<string, number>>;
}

async function load(jobId: string, vertexId: string, live: boolean): Promise<DrawerData> {
  const base = `/jobs/${jobId}/vertices/${vertexId}`;
  const vertex = await getJson<VertexSubtasks>(base);
  const watermarks = new Map<number, number>();
  const rates = new Map<number, Record<string, number>>();
  if (!live) return { vertex, watermarks, rates };
  const [backpressure, wms] = await Promise.all([getJson<BackPressure>(`${base}/backpressure`), getJson<Metric[]>(`${base}/watermarks`)]);
  for (const m of wms) watermarks.set(Number(m.id.split('.')[0]), Number(m.value));
  await Promise.all(
    vertex.subtasks.map(async (s) => {
      const ms = await getJson<Metric[]>(`${base}/subtasks/${s.subtask}/metrics?get=${RATES.join(',')}`);
      rates.set(s.subtask, Object.fromEntries(ms.map((m) => [m.id, Number(m.value)])));
    }),
  );
  return { vertex, backpressure, watermarks, rates };
}

export function VertexDrawer({ jobId, vertexId, live, onClose }: { jobId: string; vertexId: string; live: boolean; onClose(): void }) {
  const d = usePoll<DrawerData>(`drawer/${jobId}/${vertexId}/${live}`, live ? undefined : 0, () => load(jobId, vertexId, live));
  const v = d.data?.vertex;
  const bp = d.data?.backpressure;
  return (
    <aside class="drawer" data-drawer={vertexId}>
      <header>
        <h2>{v?.name ?? vertexId}</h2>
        <button type="button" onClick={onClose} aria-label="close">
          ×
        </button>
      </header>
      <ErrorBox error={d.error} />
      {bp && (
        <div>
          Backpressure:{' '}
          <span class="tag" style={{ background: backpressureColor(bp.backpressureLevel) }}>
            {(bp.backpressureLevel ?? bp.status).toUpperCase()}
          </span>
        </div>
      )}
      {v ? (
        <table class="list">
          <thead>
            <tr>
              <th>#</th>
              <th>Status</th>
              <th>Host</th>
              <th>Duration</th>
              <th>Records in</th>
              <th>Records out</th>
              <th>In/s</th>
              <th>Out/s</th>
              <th>Busy</th>
              <th>Backpressured</th>
              <th>Level</th>
              <th>Watermark</th>
            </tr>
          </thead>
          <tbody>
            {v.subtasks.map((s) => {
              const r = d.data?.rates.get(s.subtask) ?? {};
              const level = bp?.subtasks?.find((b) => b.subtask === s.subtask)?.backpressureLevel;
              return (
                <tr data-subtask={s.subtask}>
                  <td>{s.subtask}</td>
                  <td>
                    <Tag state={s.status} />
                  </td>
                  <td class="mono">{s.endpoint}</td>
                  <td>{duration(s.duration)}</td>
                  <td>{String(s.metrics['read-records'] ?? '-')}</td>
                  <td>{String(s.metrics['write-records'] ?? '-')}</td>
                  <td>{rate(r.numRecordsInPerSecond)}</td>
                  <td>{rate(r.numRecordsOutPerSecond)}</td>
                  <td>{percent(r.busyTimeMsPerSecond)}</td>
                  <td>{percent(r.backPressuredTimeMsPerSecond)}</td>
                  <td>
                    {level ? (
                      <span class="tag" style={{ background: backpressureColor(level) }}>
                        {level.toUpperCase()}
                      </span>
                    ) : (
                      '-'
                    )}
                  </td>
                  <td>{watermark(d.data?.watermarks.get(s.subtask))}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <Loading what="subtasks" />
      )}
    </aside>
  );
}
