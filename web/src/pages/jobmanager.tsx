/** The JobManager: configuration (secrets masked), logs, and its metrics. */
import { useState } from 'preact/hooks';
import { getJson } from '../api';
import { isSecretKey } from '../format';
import { usePoll } from '../poll';
import type { Metric } from '../types';
import { Card, ErrorBox, Loading, Tabs } from '../ui';
import { Logs } from './logs';
import { StatusMetrics, statusMetrics } from './taskmanagers';

const TABS = ['Configuration', 'Logs', 'Metrics'] as const;
type Tab = (typeof TABS)[number];

async function allMetrics(): Promise<Metric[]> {
  const ids = await getJson<Metric[]>('/jobmanager/metrics');
  if (ids.length === 0) return [];
  return getJson<Metric[]>(`/jobmanager/metrics?get=${ids.map((m) => encodeURIComponent(m.id)).join(',')}`);
}

export function JobManagerPage() {
  const [tab, setTab] = useState<Tab>('Configuration');
  return (
    <div>
      <h1>JobManager</h1>
      <Tabs<Tab> tabs={TABS} active={tab} onChange={setTab} />
      {tab === 'Configuration' && <Config />}
      {tab === 'Logs' && <Logs base="/jobmanager" />}
      {tab === 'Metrics' && <Metrics />}
    </div>
  );
}

function Config() {
  const c = usePoll<{ key: string; value: string }[]>('/jobmanager/config', 0);
  return (
    <Card title="Configuration">
      <ErrorBox error={c.error} />
      {c.data ? (
        <table class="list config">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {[...c.data]
              .sort((a, b) => a.key.localeCompare(b.key))
              .map((e) => (
                <tr data-key={e.key}>
                  <td class="mono">{e.key}</td>
                  <td class="mono">{isSecretKey(e.key) ? '******' : e.value}</td>
                </tr>
              ))}
          </tbody>
        </table>
      ) : (
        <Loading what="the configuration" />
      )}
    </Card>
  );
}

function Metrics() {
  const status = usePoll<Map<string, number>>('jm-status', undefined, () => statusMetrics('/jobmanager'));
  const all = usePoll<Metric[]>('jm-metrics', undefined, allMetrics);
  return (
    <div class="columns">
      <Card title="CPU, memory and event loop">
        <ErrorBox error={status.error} />
        <StatusMetrics m={status.data} />
      </Card>
      <Card title="All metrics">
        <ErrorBox error={all.error} />
        {all.data ? (
          <table class="list">
            <tbody>
              {all.data.map((m) => (
                <tr>
                  <td class="mono">{m.id}</td>
                  <td>{m.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Loading what="metrics" />
        )}
      </Card>
    </div>
  );
}
