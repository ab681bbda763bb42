/**
 * A job: its state and times, the actions (cancel, savepoint, stop with savepoint), the graph with
 * live metrics and a vertex drawer, and tabs for exceptions, checkpoints and configuration.
 * Live metrics are asked for while the job runs only: an ended (or archived) job has none.
 */
import { useState } from 'preact/hooks';
import { getJson, send } from '../api';
import { duration, time } from '../format';
import { usePoll } from '../poll';
import type { JobDetails, JobOverview, Metric } from '../types';
import { ErrorBox, Loading, Tabs, Tag } from '../ui';
import { JobGraph, type VertexLive } from './job-graph';
import { CheckpointsTab, ConfigurationTab, ExceptionsTab } from './job-tabs';
import { TERMINAL } from './overview';
import { VertexDrawer } from './vertex-drawer';

const TABS = ['Overview', 'Exceptions', 'Checkpoints', 'Configuration'] as const;
type Tab = (typeof TABS)[number];
const LIVE = 'numRecordsInPerSecond,numRecordsOutPerSecond,busyTimeMsPerSecond,backPressuredTimeMsPerSecond';

async function liveMetrics(job: JobDetails): Promise<Record<string, VertexLive>> {
  const out: Record<string, VertexLive> = {};
  await Promise.all(
    job.vertices.map(async (v) => {
      const base = `/jobs/${job.jid}/vertices/${v.id}`;
      const [agg, wms] = await Promise.all([
        getJson<Metric[]>(`${base}/subtasks/metrics?get=${LIVE}`),
        getJson<Metric[]>(`${base}/watermarks`),
      ]);
      const m = new Map(agg.map((a) => [a.id, a]));
      const marks = wms.map((w) => Number(w.value)).filter(Number.isFinite);
      out[v.id] = {
        inPerSecond: m.get('numRecordsInPerSecond')?.sum,
        outPerSecond: m.get('numRecordsOutPerSecond')?.sum,
        busyMax: m.get('busyTimeMsPerSecond')?.max,
        backPressuredMax: m.get('backPressuredTimeMsPerSecond')?.max,
        watermark: marks.length ? Math.min(...marks) : undefined,
      };
    }),
  );
  return out;
}

interface SavepointInfo {
  status: { id: string };
  operation?: { location?: string; 'failure-cause'?: { class: string; 'stack-trace': string } };
}

/** Polls a savepoint trigger until it completed; its location or its failure. */
async function awaitSavepoint(jobId: string, triggerId: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const s = await getJson<SavepointInfo>(`/jobs/${jobId}/savepoints/${triggerId}`);
    if (s.status.id === 'COMPLETED') {
      const f = s.operation?.['failure-cause'];
      if (f) throw new Error(f['stack-trace'].split('\n')[0] ?? f.class);
      return s.operation?.location ?? '';
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('The savepoint did not complete within 5 minutes');
}

function Actions({ job, onDone }: { job: JobDetails; onDone(): void }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [dir, setDir] = useState('');
  const act = async (label: string, f: () => Promise<string>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setMessage(`${label}…`);
    try {
      setMessage(await f());
    } catch (e) {
      setMessage(undefined);
      setError((e as Error).message);
    } finally {
      setBusy(false);
      onDone();
    }
  };
  const target = dir.trim() ? { 'target-directory': dir.trim() } : {};
  const savepoint = (): Promise<void> =>
    act('Taking a savepoint', async () => {
      const { 'request-id': id } = await send<{ 'request-id': string }>('POST', `/jobs/${job.jid}/savepoints`, {
        ...target,
        'cancel-job': false,
      });
      return `Savepoint completed: ${await awaitSavepoint(job.jid, id)}`;
    });
  const stop = (): Promise<void> =>
    act('Stopping with a savepoint', async () => {
      const { 'request-id': id } = await send<{ 'request-id': string }>('POST', `/jobs/${job.jid}/stop`, {
        ...(dir.trim() ? { targetDirectory: dir.trim() } : {}),
        drain: false,
      });
      return `Stopped; savepoint: ${await awaitSavepoint(job.jid, id)}`;
    });
  const cancel = (): Promise<void> =>
    act('Cancelling', async () => {
      if (!confirm(`Cancel job ${job.name}?`)) return 'Not cancelled';
      await send('PATCH', `/jobs/${job.jid}?mode=cancel`);
      return 'Cancellation requested';
    });
  const outcome = (
    <>
      {message && (
        <div class="message" data-message>
          {message}
        </div>
      )}
      <ErrorBox error={error} />
    </>
  );
  // An ended job has no actions, but what the last one did (stop with savepoint: its path) stays.
  if (TERMINAL.has(job.state)) return <div class="actions">{outcome}</div>;
  return (
    <div class="actions">
      <input
        type="text"
        placeholder="savepoint directory (default: execution.checkpointing.savepoint-dir)"
        value={dir}
        onInput={(e) => setDir((e.target as HTMLInputElement).value)}
        name="savepoint-dir"
      />
      <button type="button" disabled={busy} onClick={() => void savepoint()} data-action="savepoint">
        Trigger Savepoint
      </button>
      <button type="button" disabled={busy} onClick={() => void stop()} data-action="stop">
        Stop with Savepoint
      </button>
      <button type="button" class="danger" disabled={busy} onClick={() => void cancel()} data-action="cancel">
        Cancel Job
      </button>
      {outcome}
    </div>
  );
}

export function JobPage({ jobId }: { jobId: string }) {
  const job = usePoll<JobDetails>(`/jobs/${jobId}`);
  // A job known only from the job archive: its vertices' details and configuration are not kept.
  const jobs = usePoll<{ jobs: JobOverview[] }>('/jobs/overview', 0);
  const archived = jobs.data?.jobs.find((o) => o.jid === jobId)?.archived === true;
  const [tab, setTab] = useState<Tab>('Overview');
  const [vertex, setVertex] = useState<string | undefined>();
  const j = job.data;
  const running = j !== undefined && !TERMINAL.has(j.state);
  const live = usePoll<Record<string, VertexLive>>(running ? `live/${jobId}` : null, undefined, () => liveMetrics(j!));
  if (!j) return job.error ? <ErrorBox error={job.error} /> : <Loading what="the job" />;
  return (
    <div class="job">
      <header class="job-header">
        <h1>
          {j.name} <Tag state={j.state} />
        </h1>
        <div class="muted">
          <span class="mono">{j.jid}</span> · started {time(j['start-time'])} · {j['end-time'] > 0 ? `ended ${time(j['end-time'])} · ` : ''}
          duration {duration(j.duration)}
          {j['job-type'] ? ` · ${j['job-type']}` : ''}
        </div>
        <Actions job={j} onDone={job.refresh} />
      </header>
      <Tabs<Tab> tabs={TABS} active={tab} onChange={setTab} />
      {tab === 'Overview' && (
        <div class="job-overview">
          <ErrorBox error={live.error} />
          <JobGraph job={j} live={live.data ?? {}} selected={vertex} onSelect={setVertex} />
          {vertex && archived && (
            <aside class="drawer muted">The job archive keeps the job's plan, exceptions and checkpoints, not its subtasks.</aside>
          )}
          {vertex && !archived && <VertexDrawer jobId={j.jid} vertexId={vertex} live={running} onClose={() => setVertex(undefined)} />}
        </div>
      )}
      {tab === 'Exceptions' && <ExceptionsTab jobId={j.jid} live={running} />}
      {tab === 'Checkpoints' && <CheckpointsTab job={j} live={running} />}
      {tab === 'Configuration' &&
        (archived ? <div class="muted">The job archive does not keep the job's configuration.</div> : <ConfigurationTab jobId={j.jid} />)}
    </div>
  );
}
