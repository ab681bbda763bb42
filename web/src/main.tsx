/** The dashboard: navigation, the token prompt (with security.rest.token), and the page the URL's fragment names. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized, setToken } from './api';
import { useRoute } from './router';
import { JobPage } from './pages/job';
import { JobManagerPage } from './pages/jobmanager';
import { JobsPage } from './pages/jobs';
import { OverviewPage } from './pages/overview';
import { SubmitPage } from './pages/submit';
import { TaskManagerPage, TaskManagersPage } from './pages/taskmanagers';
import './style.css';

const NAV: [string, string][] = [
  ['overview', 'Overview'],
  ['jobs/running', 'Running Jobs'],
  ['jobs/completed', 'Completed Jobs'],
  ['taskmanagers', 'Task Managers'],
  ['jobmanager', 'Job Manager'],
  ['submit', 'Submit New Job'],
];

function TokenPrompt({ onDone }: { onDone(): void }) {
  const [value, setValue] = useState('');
  return (
    <div class="modal-backdrop">
      <form
        class="modal token-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          if (!value.trim()) return;
          setToken(value.trim());
          onDone();
        }}
      >
        <h2>REST token</h2>
        <p>This cluster's REST API needs its token (security.rest.token). It is kept for this browser tab only.</p>
        <input
          type="password"
          name="token"
          autoFocus
          autoComplete="off"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Continue</button>
      </form>
    </div>
  );
}

function Page({ route }: { route: string[] }) {
  const [first = 'overview', second] = route;
  switch (first) {
    case 'jobs':
      return <JobsPage which={second === 'completed' ? 'completed' : 'running'} />;
    case 'job':
      return second ? <JobPage jobId={second} /> : <JobsPage which="running" />;
    case 'taskmanagers':
      return <TaskManagersPage />;
    case 'taskmanager':
      return second ? <TaskManagerPage id={second} /> : <TaskManagersPage />;
    case 'jobmanager':
      return <JobManagerPage />;
    case 'submit':
      return <SubmitPage />;
    default:
      return <OverviewPage />;
  }
}

function App() {
  const route = useRoute();
  const [needToken, setNeedToken] = useState(false);
  // Pages are remounted after a token is entered, so that every request is made again with it.
  const [generation, setGeneration] = useState(0);
  useEffect(() => onUnauthorized(() => setNeedToken(true)), []);
  const current = route.join('/') || 'overview';
  return (
    <div class="layout">
      <nav class="sidebar">
        <div class="brand">Weir</div>
        {NAV.map(([path, label]) => (
          <a href={`#/${path}`} class={current.startsWith(path) ? 'active' : ''} data-nav={path}>
            {label}
          </a>
        ))}
      </nav>
      <main key={generation}>{needToken ? null : <Page route={route} />}</main>
      {needToken && (
        <TokenPrompt
          onDone={() => {
            setNeedToken(false);
            setGeneration((g) => g + 1);
          }}
        />
      )}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
