/** TaskManagers: the list, and one TaskManager's slots, memory, CPU, event-loop delay, tasks and logs. */
import { getJson } from '../api';
import { bytes, duration } from '../format';
import { go } from '../router';
import { usePoll } from '../poll';
import type { Metric, TaskManager } from '../types';
import { Card, ErrorBox, KeyValues, Loading } from '../ui';
import { Logs } from './logs';

export function TaskManagersPage() {
  const tms = usePoll<{ taskmanagers: TaskManager[] }>('/taskmanagers');
  return (
    <div>
      <ErrorBox error={tms.error} />
      <Card title="Task Managers">
        {tms.data ? (
          tms.data.taskmanagers.length === 0 ? (
            <div class="muted">No TaskManagers are registered.</div>
          ) : (
            <table class="list">
              <thead>
                <tr>
                  <th>ID</th>
                  <th>Address</th>
                  <th>Last heartbeat</th>
                  <th>Slots</th>
                  <th>Free slots</th>
                  <th>CPU cores</th>
                  <th>Physical memory</th>
                </tr>
              </thead>
              <tbody>
                {tms.data.taskmanagers.map((t) => (
                  <tr class="clickable" data-taskmanager={t.id} onClick={() => go(`taskmanager/${encodeURIComponent(t.id)}`)}>
                    <td>
                      <a href={`#/taskmanager/${encodeURIComponent(t.id)}`}>{t.id}</a>
                    </td>
                    <td class="mono">{t.path}</td>
                    <td>{duration(Math.max(0, Date.now() - t.timeSinceLastHeartbeat))} ago</td>
                    <td>{t.slotsNumber}</td>
                    <td>{t.freeSlots}</td>
                    <td>{t.hardware.cpuCores}</td>
                    <td>{bytes(t.hardware.physicalMemory)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        ) : (
          <Loading what="TaskManagers" />
        )}
      </Card>
    </div>
  );
}

const STATUS_METRICS = [
  'Status.JVM.CPU.Load',
  'Status.JVM.Memory.Heap.Used',
  'Status.JVM.Memory.Heap.Committed',
  'Status.Node.Memory.RSS',
  'Status.Node.EventLoop.Delay.Mean',
  'Status.Node.EventLoop.Delay.P99',
  'Status.Node.EventLoop.Delay.Max',
  'Status.JVM.Threads.Count',
];

/** A process's status metrics (CPU, memory, event-loop delay) by name. */
export async function statusMetrics(base: string): Promise<Map<string, number>> {
  const ms = await getJson<Metric[]>(`${base}/metrics?get=${STATUS_METRICS.join(',')}`);
  return new Map(ms.map((m) => [m.id, Number(m.value)]));
}

export function StatusMetrics({ m }: { m: Map<string, number> | undefined }) {
  if (!m) return <Loading what="metrics" />;
  const ms = (k: string): string => (m.has(k) ? `${m.get(k)!.toFixed(2)} ms` : '-');
  return (
    <KeyValues
      rows={[
        ['CPU load', m.has('Status.JVM.CPU.Load') ? `${(m.get('Status.JVM.CPU.Load')! * 100).toFixed(1)}%` : '-'],
        ['Heap used', bytes(m.get('Status.JVM.Memory.Heap.Used'))],
        ['Heap committed', bytes(m.get('Status.JVM.Memory.Heap.Committed'))],
        ['Resident set size', bytes(m.get('Status.Node.Memory.RSS'))],
        ['Event-loop delay (mean)', ms('Status.Node.EventLoop.Delay.Mean')],
        ['Event-loop delay (p99)', ms('Status.Node.EventLoop.Delay.P99')],
        ['Event-loop delay (max)', ms('Status.Node.EventLoop.Delay.Max')],
        ['Threads (task slots and the process)', m.has('Status.JVM.Threads.Count') ? String(m.get('Status.JVM.Threads.Count')) : '-'],
      ]}
    />
  );
}

export function TaskManagerPage({ id }: { id: string }) {
  const base = `/taskmanagers/${encodeURIComponent(id)}`;
  const tm = usePoll<TaskManager>(base);
  const metrics = usePoll<Map<string, number>>(`${base}/metrics`, undefined, () => statusMetrics(base));
  const t = tm.data;
  return (
    <div>
      <h1>TaskManager {id}</h1>
      <ErrorBox error={tm.error ?? metrics.error} />
      <div class="columns">
        <Card title="Slots and memory">
          {t ? (
            <KeyValues
              rows={[
                ['Address', t.path],
                ['Data port', t.dataPort],
                ['Slots', `${t.slotsNumber} (${t.freeSlots} free)`],
                ['CPU cores', t.hardware.cpuCores],
                ['Physical memory', bytes(t.hardware.physicalMemory)],
                ['Free memory', bytes(t.hardware.freeMemory)],
                ['Task heap', bytes(t.memoryConfiguration.taskHeap)],
                ['Tasks', t.assignedTasks ?? '-'],
              ]}
            />
          ) : (
            <Loading what="the TaskManager" />
          )}
        </Card>
        <Card title="CPU, memory and event loop">
          <StatusMetrics m={metrics.data} />
        </Card>
      </div>
      <Card title="Tasks">
        {t?.allocatedSlots?.length ? (
          <table class="list">
            <thead>
              <tr>
                <th>Slot</th>
                <th>Job</th>
                <th>Tasks</th>
              </tr>
            </thead>
            <tbody>
              {t.allocatedSlots.map((s, i) => (
                <tr>
                  <td>{i}</td>
                  <td>
                    <a href={`#/job/${s.jobId}`} class="mono">
                      {s.jobId}
                    </a>
                  </td>
                  <td>{s.assignedTasks}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <div class="muted">No tasks.</div>
        )}
      </Card>
      <Logs base={base} />
    </div>
  );
}
