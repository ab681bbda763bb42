/**
 * The distributed cache (env.registerCachedFile + getDistributedCache().getFile): a dictionary file
 * and a directory of stop words used by a rich map function, on the local target and on a session
 * cluster started with `weir cluster start`, where the TaskManager process gets them from the
 * JobManager's BlobServer (its copy is in its own directory, named after the content's SHA-256 in
 * its BlobCache, and removed when the job ends), and in Application mode, where the JobManager runs
 * main() and its TaskManagers get the files the same way. A missing file, a name registered twice, a file
 * above the cluster's upload limit and a name nobody registered are clear WEIR_CACHED_FILE errors.
 *
 * Every wait has a deadline; the cluster is stopped in after().
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { runProgram } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';
import { WeirError } from '../../dist/errors.js';
import type { Translation } from '../programs/cached-file.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const root = process.cwd();
const WEIR = join(root, 'bin', 'weir.mjs');
const PROGRAM = join(root, 'test', 'programs', 'cached-file.ts');
const dir = mkdtempSync(join(tmpdir(), 'weir-cache-'));
const data = join(dir, 'data');
const dictionary = join(data, 'dict.txt');
const stopWords = join(data, 'stop');
const pidDir = join(dir, 'pid');
/** TMPDIR of the cluster's processes: their blob directories are made in here. */
const clusterTmp = join(dir, 'cluster-tmp');

function weir(args: string[], env: NodeJS.ProcessEnv = {}, cwd = root): { code: number; out: string } {
  const r = spawnSync(process.execPath, [WEIR, ...args], { cwd, encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env } });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

async function rejectsWith(p: Promise<unknown>, code: string, ...parts: string[]): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WeirError, `a WeirError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const part of parts) assert.ok(e.message.includes(part), `'${e.message}' names '${part}'`);
    return e.message;
  }
  assert.fail(`expected ${code}`);
}

function translations(exports: Record<string, unknown>): Translation[] {
  return (exports.translations as Translation[]).slice().sort((a, b) => a.word.localeCompare(b.word));
}

/** The translations a `weir run` of the program printed. */
function printedTranslations(out: string): Translation[] {
  const line = out.split('\n').find((l) => l.startsWith('translations: '));
  assert.ok(line, `the program printed its translations:\n${out}`);
  return translations({ translations: JSON.parse(line.slice('translations: '.length)) as unknown });
}

function checkTranslated(rows: Translation[]): void {
  assert.deepEqual(
    rows.map((r) => [r.word, r.translation, r.stop]),
    [
      ['a', '?', true],
      ['four', '?', false],
      ['one', 'un', false],
      ['the', '?', true],
      ['three', 'trois', false],
      ['two', 'deux', false],
    ],
  );
  assert.deepEqual([...new Set(rows.map((r) => r.subtask))].sort(), [0, 1], 'both subtasks read the files');
  for (const r of rows) {
    assert.notEqual(r.dictionaryCopy, dictionary, 'tasks read a copy, not the original');
    assert.notEqual(r.stopWordsCopy, stopWords);
    assert.equal(basename(r.dictionaryCopy), 'dict.txt', 'the copy keeps the file name');
    assert.equal(basename(r.stopWordsCopy), 'stop');
    assert.equal(r.executable, true, 'registered as executable');
  }
}

before(() => {
  mkdirSync(join(stopWords, 'more'), { recursive: true });
  mkdirSync(clusterTmp);
  writeFileSync(dictionary, 'one=un\ntwo=deux\nthree=trois\n');
  writeFileSync(join(stopWords, 'en.txt'), 'the\n');
  writeFileSync(join(stopWords, 'more', 'articles.txt'), 'a an\n');
});

after(() => {
  weir(['cluster', 'stop', '--pid-dir', pidDir]);
});

test('local target: tasks read the registered file and directory (relative paths resolve against the program directory)', () => {
  // `weir run` in the data directory: the program registers 'dict.txt' and 'stop'.
  const r = weir(['run', PROGRAM, '--', 'dict.txt', 'stop', '2'], { WEIR_CONF_DIR: join(dir, 'no-conf') }, data);
  assert.equal(r.code, 0, r.out);
  const rows = printedTranslations(r.out);
  checkTranslated(rows);
  for (const r of rows) {
    assert.ok(!existsSync(r.dictionaryCopy), `the copy ${r.dictionaryCopy} is removed when the job's workers end`);
    assert.ok(!existsSync(r.stopWordsCopy));
  }
});

test('a missing file and a name registered twice fail before submission; an unknown name fails the job', async () => {
  await rejectsWith(
    runProgram({ program: PROGRAM, args: [join(data, 'nope.txt'), stopWords, '1'] }),
    'WEIR_CACHED_FILE',
    join(data, 'nope.txt'),
    "'dictionary'",
    'does not exist',
  );
  await rejectsWith(
    runProgram({ program: PROGRAM, args: [dictionary, stopWords, '1', 'duplicate'] }),
    'WEIR_CACHED_FILE',
    "'dictionary' is already registered",
  );
  await rejectsWith(
    runProgram({ program: PROGRAM, args: [dictionary, stopWords, '1', 'unknown'] }),
    'WEIR_CACHED_FILE',
    "getFile('no-such-name')",
    "'dictionary', 'stop-words'",
  );
});

test('session cluster: the TaskManager process fetches the files from the BlobServer', async () => {
  const confDir = join(dir, 'conf');
  mkdirSync(confDir);
  const restPort = await freePort();
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 2\nrest.upload.max-size: 2 mb\n`,
  );
  const started = weir(
    ['cluster', 'start', '--taskmanagers', '1', '--conf-dir', confDir, '--log-dir', join(dir, 'log'), '--pid-dir', pidDir],
    { TMPDIR: clusterTmp },
  );
  assert.equal(started.code, 0, started.out);
  const config = Configuration.fromEntries({ 'execution.target': 'remote', 'rest.port': restPort });

  const run = await runProgram({ program: PROGRAM, args: [dictionary, stopWords, '2'], config });
  const rows = translations(run.exports);
  checkTranslated(rows);
  const jobId = run.jobs[0]!.jobId;
  for (const r of rows) {
    // <TMPDIR>/weir-taskmanager-blobs-*/job-files/<jobId>-<attempt>/<n>/dict.txt: the TaskManager's own copy.
    assert.ok(r.dictionaryCopy.startsWith(clusterTmp), `${r.dictionaryCopy} is in the TaskManager's directory`);
    assert.match(r.dictionaryCopy, new RegExp(`/weir-taskmanager-blobs-[^/]+/job-files/${jobId}-0/\\d+/dict\\.txt$`));
  }
  // The TaskManager's BlobCache holds the file under the SHA-256 of its content, as fetched from the BlobServer.
  const tmBlobDir = rows[0]!.dictionaryCopy.split('/job-files/')[0]!;
  const sha = createHash('sha256').update(readFileSync(dictionary)).digest('hex');
  assert.ok(existsSync(join(tmBlobDir, `${sha}.blob`)), `the BlobCache has ${sha}.blob`);
  await waitFor('the job attempt’s copies to be removed', 30_000, () => rows.every((r) => !existsSync(r.dictionaryCopy)));

  // Above the cluster's rest.upload.max-size: refused before the job is submitted.
  const big = join(data, 'big.txt');
  writeFileSync(big, Buffer.alloc(3 * 1024 * 1024, 'x'));
  await rejectsWith(runProgram({ program: PROGRAM, args: [big, stopWords, '1'], config }), 'WEIR_CACHED_FILE', "'dictionary'", big);
});

test('process-application: the JobManager runs main() and its TaskManagers read the files', () => {
  const work = join(dir, 'app-work');
  const resultFile = join(dir, 'app-translations.txt');
  // Relative paths, resolved in the directory `weir run` started in, as on the other targets.
  const r = weir(
    ['run', '-t', 'process-application', '-D', `process.working-dir=${work}`, PROGRAM, '--', 'dict.txt', 'stop', '2', '', resultFile],
    { WEIR_CONF_DIR: join(dir, 'no-conf') },
    data,
  );
  assert.equal(r.code, 0, r.out);
  const rows = printedTranslations(readFileSync(resultFile, 'utf8'));
  checkTranslated(rows);
  for (const row of rows) assert.ok(row.dictionaryCopy.startsWith(work), `${row.dictionaryCopy} is in the application cluster's directory`);
  assert.ok(
    rows.every((row) => !existsSync(row.dictionaryCopy)),
    'the copies went with the cluster',
  );
});
