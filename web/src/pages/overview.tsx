/** Overview: TaskManagers and slots, jobs by state, version; Application mode's applications with their jobs; running jobs. */
import { getJson } from '../api';
import { duration, time } from '../format';
import { usePoll } from '../poll';
import type { ApplicationDetails, ApplicationOverview, ClusterOverview, JobOverview } from '../types';
import { Card, ErrorBox, Loading, Stat, Tag } from '../ui';
import { JobTable } from './jobs';

interface Applications {
  applications: (ApplicationOverview & { details?: ApplicationDetails })[];
}

/** Each application with its jobs (a JobManager runs at most one application). */
async function loadApplications(): Promise<Applications> {
  const o = await getJson<Applications>('/applications/overview');
  for (const a of o.applications) a.details = await getJson<ApplicationDetails>(`/applications/${encodeURIComponent(a.id)}`);
  return o;
}

export function OverviewPage() {
  const overview = usePoll<ClusterOverview>('/overview');
  const jobs = usePoll<{ jobs: JobOverview[] }>('/jobs/overview');
  const apps = usePoll<Applications>('applications', undefined, loadApplications);
  const o = overview.data;
  return (
    <div>
      <ErrorBox error={overview.error ?? jobs.error ?? apps.error} />
      <Card title="Cluster">
        {o ? (
          <div class="stats">
            <Stat label="TaskManagers" value={o.taskmanagers} />
            <Stat label="Total slots" value={o['slots-total']} />
            <Stat label="Available slots" value={o['slots-available']} />
            <Stat label="Running jobs" value={o['jobs-running']} />
            <Stat label="Finished" value={o['jobs-finished']} />
            <Stat label="Cancelled" value={o['jobs-cancelled']} />
            <Stat label="Failed" value={o['jobs-failed']} />
            <Stat label="Version" value={o['flink-version']} />
          </div>
        ) : (
          <Loading what="the cluster overview" />
        )}
      </Card>
      {apps.data && apps.data.applications.length > 0 && (
        <Card title="Applications">
          {apps.data.applications.map((a) => (
            <div class="application">
              <h3>
                {a.name} <Tag state={a.status} /> <span class="muted">{a.id}</span>
              </h3>
              <div class="muted">
                started {time(a['start-time'])}, {duration(a.duration)}
              </div>
              <JobTable jobs={a.details?.jobs ?? []} />
            </div>
          ))}
        </Card>
      )}
      <Card title="Running Jobs">
        {jobs.data ? <JobTable jobs={jobs.data.jobs.filter((j) => !TERMINAL.has(j.state))} /> : <Loading what="jobs" />}
      </Card>
    </div>
  );
}

export const TERMINAL = new Set(['FINISHED', 'FAILED', 'CANCELED', 'SUSPENDED']);
