/** A process's log files (JobManager or TaskManager): the list, and the chosen file's text. */
import { useState } from 'preact/hooks';
import { getText } from '../api';
import { bytes, time } from '../format';
import { usePoll } from '../poll';
import type { LogList } from '../types';
import { Card, ErrorBox, Loading } from '../ui';

export function Logs({ base }: { base: string }) {
  const list = usePoll<LogList>(`${base}/logs`, 0);
  const [name, setName] = useState<string | undefined>();
  const shown = name ?? list.data?.logs.find((l) => l.name.endsWith('.log'))?.name;
  const text = usePoll<string>(shown ? `${base}/logs/${shown}` : null, 5000, () => getText(`${base}/logs/${encodeURIComponent(shown!)}`));
  return (
    <Card title="Logs">
      <ErrorBox error={list.error ?? text.error} />
      {list.data ? (
        <ul class="log-list">
          {list.data.logs.map((l) => (
            <li>
              <button type="button" class={`link${l.name === shown ? ' active' : ''}`} onClick={() => setName(l.name)}>
                {l.name}
              </button>{' '}
              <span class="muted">
                {bytes(l.size)} {l.mtime ? time(l.mtime) : ''}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <Loading what="logs" />
      )}
      {shown && (
        <pre class="log" data-log={shown}>
          {text.data ?? ''}
        </pre>
      )}
    </Card>
  );
}
