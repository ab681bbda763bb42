/** Jobs, running or completed (archived ones included): name, id, start, duration, state, tasks by state. */
import { duration, time } from '../format';
import { go } from '../router';
import { usePoll } from '../poll';
import type { JobOverview } from '../types';
import { Card, ErrorBox, Loading, Tag, TaskCounts } from '../ui';
import { TERMINAL } from './overview';

export function JobTable({ jobs }: { jobs: JobOverview[] }) {
  if (jobs.length === 0) return <div class="muted">No jobs.</div>;
  const sorted = [...jobs].sort((a, b) => b['start-time'] - a['start-time']);
  return (
    <table class="list jobs">
      <thead>
        <tr>
          <th>Job Name</th>
          <th>Job ID</th>
          <th>Start Time</th>
          <th>Duration</th>
          <th>End Time</th>
          <th>Tasks</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((j) => (
          <tr class="clickable" data-job={j.jid} onClick={() => go(`job/${j.jid}`)}>
            <td>
              <a href={`#/job/${j.jid}`}>{j.name}</a>
              {j.archived ? <span class="muted"> (archived)</span> : null}
            </td>
            <td class="mono">{j.jid}</td>
            <td>{time(j['start-time'])}</td>
            <td>{duration(j.duration)}</td>
            <td>{time(j['end-time'])}</td>
            <td>
              <TaskCounts tasks={j.tasks} />
            </td>
            <td>
              <Tag state={j.state} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function JobsPage({ which }: { which: 'running' | 'completed' }) {
  const jobs = usePoll<{ jobs: JobOverview[] }>('/jobs/overview');
  const shown = jobs.data?.jobs.filter((j) => TERMINAL.has(j.state) === (which === 'completed'));
  return (
    <div>
      <ErrorBox error={jobs.error} />
      <Card title={which === 'running' ? 'Running Jobs' : 'Completed Jobs'}>
        {shown ? <JobTable jobs={shown} /> : <Loading what="jobs" />}
      </Card>
    </div>
  );
}
