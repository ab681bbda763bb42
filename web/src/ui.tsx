/** Small shared pieces: tables, state tags, cards, tabs, errors. */
import type { ComponentChildren } from 'preact';
import { stateColor } from './format';

export function Tag({ state }: { state: string }) {
  return (
    <span class="tag" style={{ background: stateColor(state) }}>
      {state}
    </span>
  );
}

export function Card({ title, children, extra }: { title: string; children: ComponentChildren; extra?: ComponentChildren }) {
  return (
    <section class="card">
      <header>
        <h2>{title}</h2>
        {extra}
      </header>
      <div class="card-body">{children}</div>
    </section>
  );
}

export function Stat({ label, value }: { label: string; value: ComponentChildren }) {
  return (
    <div class="stat">
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

export function ErrorBox({ error }: { error: string | undefined }) {
  return error ? <div class="error">{error}</div> : null;
}

export function Loading({ what }: { what: string }) {
  return <div class="muted">Loading {what}…</div>;
}

export function Tabs<T extends string>({ tabs, active, onChange }: { tabs: readonly T[]; active: T; onChange(t: T): void }) {
  return (
    <nav class="tabs">
      {tabs.map((t) => (
        <button type="button" class={t === active ? 'active' : ''} onClick={() => onChange(t)} data-tab={t}>
          {t}
        </button>
      ))}
    </nav>
  );
}

/** Task counts by state as coloured chips (the Jobs lists' "Tasks" column). */
export function TaskCounts({ tasks }: { tasks: Record<string, number> }) {
  return (
    <span class="task-counts">
      {Object.entries(tasks)
        .filter(([k, n]) => n > 0 && k !== 'total')
        .map(([k, n]) => (
          <span class="count" style={{ background: stateColor(k) }} title={k}>
            {n}
          </span>
        ))}
    </span>
  );
}

export function KeyValues({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <table class="kv">
      <tbody>
        {rows.map(([k, v]) => (
          <tr>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
