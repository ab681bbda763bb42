/**
 * Submit: upload a program (a bundle made by weir, or a single `.ts`/`.js` file the JobManager
 * bundles), set parallelism, arguments and a savepoint to start from, and run its main() in the
 * JobManager (`POST /bundles/:id/run-program`). Bundles uploaded before can be run again.
 */
import { useState } from 'preact/hooks';
import { send, upload } from '../api';
import { bytes, splitArgs, time } from '../format';
import { go } from '../router';
import { usePoll } from '../poll';
import { Card, ErrorBox, Loading } from '../ui';

interface BundleInfo {
  id: string;
  name: string;
  uploaded: number;
  size: number;
}

export function SubmitPage() {
  const bundles = usePoll<{ files: BundleInfo[] }>('/bundles', 0);
  const [file, setFile] = useState<File | undefined>();
  const [parallelism, setParallelism] = useState('');
  const [args, setArgs] = useState('');
  const [savepoint, setSavepoint] = useState('');
  const [allowNonRestored, setAllowNonRestored] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const run = async (bundleId: string): Promise<void> => {
    const p = parallelism.trim();
    if (p && !/^[1-9]\d*$/.test(p)) throw new Error(`Parallelism must be a positive integer, got '${p}'`);
    const body = {
      programArgsList: splitArgs(args),
      ...(p ? { parallelism: Number(p) } : {}),
      ...(savepoint.trim() ? { savepointPath: savepoint.trim(), allowNonRestoredState: allowNonRestored } : {}),
    };
    const r = await send<{ jobid: string }>('POST', `/bundles/${bundleId}/run-program`, body);
    go(`job/${r.jobid}`);
  };
  const submit = async (bundleId?: string): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      let id = bundleId;
      if (!id) {
        if (!file) throw new Error('Choose a program file (.ts, .js or a bundle .mjs) first');
        id = (await upload<{ id: string }>(`/bundles/upload?name=${encodeURIComponent(file.name)}`, file)).id;
      }
      await run(id);
    } catch (e) {
      setError((e as Error).message);
      bundles.refresh();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <Card title="Submit New Job">
        <form
          class="submit"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <label>
            Program <span class="muted">(a single .ts/.js file, or a bundle made by weir)</span>
            <input
              type="file"
              name="program"
              accept=".ts,.mts,.js,.mjs,.cjs,.tsx,.jsx"
              onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])}
            />
          </label>
          <TextRow label="Parallelism" name="parallelism" placeholder="parallelism.default" value={parallelism} onInput={setParallelism} />
          <TextRow label="Program arguments" name="args" placeholder="--input data.txt" value={args} onInput={setArgs} />
          <TextRow
            label="Savepoint path"
            name="savepoint"
            placeholder="start from a savepoint or retained checkpoint"
            value={savepoint}
            onInput={setSavepoint}
          />
          <label class="check">
            <input
              type="checkbox"
              name="allow-non-restored"
              checked={allowNonRestored}
              onChange={(e) => setAllowNonRestored((e.target as HTMLInputElement).checked)}
            />
            Allow non-restored state
          </label>
          <button type="submit" disabled={busy} data-action="submit">
            {busy ? 'Submitting…' : 'Submit'}
          </button>
          <ErrorBox error={error} />
        </form>
      </Card>
      <Card title="Uploaded Programs">
        {bundles.data ? (
          bundles.data.files.length === 0 ? (
            <div class="muted">No programs uploaded yet.</div>
          ) : (
            <table class="list">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Uploaded</th>
                  <th>Size</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {bundles.data.files.map((b) => (
                  <tr>
                    <td>
                      {b.name} <span class="muted mono">{b.id.slice(0, 12)}</span>
                    </td>
                    <td>{time(b.uploaded)}</td>
                    <td>{bytes(b.size)}</td>
                    <td>
                      <button type="button" disabled={busy} onClick={() => void submit(b.id)} data-action="run-bundle">
                        Run
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        ) : (
          <Loading what="uploaded programs" />
        )}
      </Card>
    </div>
  );
}

/** A labelled one-line text field of the form. */
function TextRow(p: { label: string; name: string; placeholder: string; value: string; onInput: (value: string) => void }) {
  return (
    <label>
      {p.label}
      <input
        type="text"
        name={p.name}
        placeholder={p.placeholder}
        value={p.value}
        onInput={(e) => p.onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}
