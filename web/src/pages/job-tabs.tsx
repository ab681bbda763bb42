/** The job page's tabs besides the graph: exceptions (root cause and history), checkpoints, configuration. */
import { useState } from 'preact/hooks';
import { bytes, duration, time } from '../format';
import { usePoll } from '../poll';
import type { Checkpoints, CheckpointStats, JobDetails, JobExceptions } from '../types';
import { Card, ErrorBox, KeyValues, Loading, Tag } from '../ui';

export function ExceptionsTab({ jobId, live }: { jobId: string; live: boolean }) {
  const e = usePoll<JobExceptions>(`/jobs/${jobId}/exceptions`, live ? undefined : 0);
  if (!e.data) return e.error ? <ErrorBox error={e.error} /> : <Loading what="exceptions" />;
  const entries = e.data.exceptionHistory.entries;
  return (
    <div class="exceptions">
      <Card title="Root Exception">
        {e.data['root-exception'] ? (
          <div>
            <div class="muted">{time(e.data.timestamp)}</div>
            <pre class="stack">{e.data['root-exception']}</pre>
          </div>
        ) : (
          <div class="muted">No exception: the job has not failed.</div>
        )}
      </Card>
      <Card title={`Exception History (${entries.length}${e.data.exceptionHistory.truncated ? '+' : ''})`}>
        {entries.length === 0 ? (
          <div class="muted">No exceptions.</div>
        ) : (
          entries.map((x) => (
            <details class="exception">
              <summary>
                {time(x.timestamp)} · {x.exceptionName} {x.taskName ? `· ${x.taskName}` : ''} {x.endpoint ? `· ${x.endpoint}` : ''}
              </summary>
              <pre class="stack">{x.stacktrace}</pre>
            </details>
          ))
        )}
      </Card>
    </div>
  );
}

function CheckpointRow({ c, job }: { c: CheckpointStats; job: JobDetails }) {
  const [open, setOpen] = useState(false);
  const names = new Map(job.vertices.map((v) => [v.id, v.name]));
  return (
    <>
      <tr class="clickable" data-checkpoint={c.id} onClick={() => setOpen(!open)}>
        <td>{c.id}</td>
        <td>
          <Tag state={c.status} />
        </td>
        <td>{c.is_savepoint ? 'Savepoint' : (c.checkpoint_type ?? 'Checkpoint')}</td>
        <td>{time(c.trigger_timestamp)}</td>
        <td>{time(c.latest_ack_timestamp)}</td>
        <td>{duration(c.end_to_end_duration)}</td>
        <td>{bytes(c.checkpointed_size)}</td>
        <td>
          {c.num_acknowledged_subtasks}/{c.num_subtasks}
        </td>
      </tr>
      {open && (
        <tr class="details">
          <td colSpan={8}>
            {c.external_path && <div class="mono">Path: {c.external_path}</div>}
            <table class="list">
              <thead>
                <tr>
                  <th>Vertex</th>
                  <th>Status</th>
                  <th>Duration</th>
                  <th>Checkpointed size</th>
                  <th>Acknowledged</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(c.tasks ?? {}).map(([vid, t]) => (
                  <tr>
                    <td>{names.get(vid) ?? vid}</td>
                    <td>
                      <Tag state={t.status} />
                    </td>
                    <td>{duration(t.end_to_end_duration)}</td>
                    <td>{bytes(t.checkpointed_size)}</td>
                    <td>
                      {t.num_acknowledged_subtasks}/{t.num_subtasks}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </td>
        </tr>
      )}
    </>
  );
}

export function CheckpointsTab({ job, live }: { job: JobDetails; live: boolean }) {
  const cp = usePoll<Checkpoints>(`/jobs/${job.jid}/checkpoints`, live ? undefined : 0);
  const d = cp.data;
  // Asked for once the job checkpointed: a job without checkpointing has no checkpoint configuration (404).
  const config = usePoll<Record<string, unknown>>(d && d.counts.total > 0 ? `/jobs/${job.jid}/checkpoints/config` : null, 0);
  if (!d) return cp.error ? <ErrorBox error={cp.error} /> : <Loading what="checkpoints" />;
  const l = d.latest;
  return (
    <div class="checkpoints">
      <Card title="Checkpoint Counts">
        <KeyValues
          rows={[
            ['Triggered', d.counts.total],
            ['In progress', d.counts.in_progress],
            ['Completed', d.counts.completed],
            ['Failed', d.counts.failed],
            ['Restored', d.counts.restored],
          ]}
        />
      </Card>
      <Card title="Latest">
        <KeyValues
          rows={[
            [
              'Latest completed checkpoint',
              l.completed ? `#${l.completed.id} at ${time(l.completed.latest_ack_timestamp)} (${l.completed.external_path ?? ''})` : 'None',
            ],
            [
              'Latest savepoint',
              l.savepoint ? `#${l.savepoint.id} at ${time(l.savepoint.latest_ack_timestamp)}: ${l.savepoint.external_path ?? ''}` : 'None',
            ],
            ['Latest failure', l.failed ? `#${l.failed.id}: ${l.failed.failure_message ?? ''}` : 'None'],
            ['Latest restore', l.restored ? `#${l.restored.id} from ${l.restored.external_path ?? ''}` : 'None'],
          ]}
        />
      </Card>
      <Card title="History">
        {d.history.length === 0 ? (
          <div class="muted">No checkpoints yet.</div>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th>ID</th>
                <th>Status</th>
                <th>Type</th>
                <th>Triggered</th>
                <th>Latest ack</th>
                <th>End to end</th>
                <th>Checkpointed size</th>
                <th>Acknowledged</th>
              </tr>
            </thead>
            <tbody>
              {d.history.map((c) => (
                <CheckpointRow c={c} job={job} key={c.id} />
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Configuration">
        {!d.counts.total ? (
          <div class="muted">No checkpoint has been triggered.</div>
        ) : config.data ? (
          <KeyValues rows={Object.entries(config.data).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)])} />
        ) : (
          <Loading what="configuration" />
        )}
      </Card>
    </div>
  );
}

export function ConfigurationTab({ jobId }: { jobId: string }) {
  const c = usePoll<{ 'execution-config'?: Record<string, unknown> }>(`/jobs/${jobId}/config`, 0);
  if (!c.data) return c.error ? <ErrorBox error={c.error} /> : <Loading what="configuration" />;
  const ec = c.data['execution-config'] ?? {};
  return (
    <Card title="Execution Configuration">
      <KeyValues rows={Object.entries(ec).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)])} />
    </Card>
  );
}
