/**
 * The real `weir` command, as a user runs it: the Quick start, `weir info`, program arguments, and
 * every error a user can make getting a one-line, actionable message and a non-zero exit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const WEIR = join(process.cwd(), 'bin', 'weir.mjs');

function weir(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [WEIR, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, WEIR_CONF_DIR: join(tmpdir(), 'weir-no-conf') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function wordCounts(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of readdirSync(dir).sort()) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      for (const w of line.split(/\W+/)) if (w) counts.set(w.toLowerCase(), (counts.get(w.toLowerCase()) ?? 0) + 1);
    }
  }
  return counts;
}

function readJsonLines(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

for (const p of ['1', '2']) {
  test(`quick start: weir run examples/word-count.ts counts every word (parallelism ${p})`, () => {
    const out = mkdtempSync(join(tmpdir(), 'weir-wc-'));
    const r = weir('run', '-p', p, 'examples/word-count.ts', '--', 'examples/data/words', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /FINISHED/);
    assert.match(r.stderr, new RegExp(`Output of 'counts' is in ${out}`));
    const got = new Map(readJsonLines(out).map((o) => [o.word as string, o.n as number]));
    assert.deepEqual(got, wordCounts('examples/data/words'));
    assert.equal(readdirSync(out).filter((f) => f.startsWith('part-')).length, Number(p), 'one part file per subtask');
  });
}

test('the program of DESIGN §5 runs unchanged from another directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-design-'));
  mkdirSync(join(dir, 'input'));
  copyFileSync('examples/data/words/hamlet.txt', join(dir, 'input', 'hamlet.txt'));
  copyFileSync('test/programs/design-example.ts', join(dir, 'job.ts'));
  const r = spawnSync(process.execPath, [WEIR, 'run', 'job.ts'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const got = new Map(readJsonLines(join(dir, 'output')).map((o) => [o.word as string, o.n as number]));
  const expected = new Map<string, number>();
  for (const w of readFileSync(join(dir, 'input', 'hamlet.txt'), 'utf8').split(/\W+/))
    if (w) expected.set(w.toLowerCase(), (expected.get(w.toLowerCase()) ?? 0) + 1);
  // A streaming reduce emits every update: the last line per word is its final count.
  assert.deepEqual(got.size, expected.size);
  for (const [w, n] of expected)
    assert.ok(
      readJsonLines(join(dir, 'output')).some((o) => o.word === w && o.n === n),
      `final count of ${w}`,
    );
});

test('weir info prints the plan as a text DAG and as Flink plan JSON', () => {
  const r = weir('info', '-p', '2', 'examples/word-count.ts');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[1\] Source: lines -> Flat Map -> Map {2}\(parallelism 2\)/);
  assert.match(r.stdout, /↑ HASH from \[1\]/);
  const json = JSON.parse(weir('info', '--json', 'examples/word-count.ts').stdout) as {
    nodes: { id: string; inputs?: { ship_strategy: string; id: string }[] }[];
    type: string;
  };
  assert.equal(json.type, 'BATCH');
  assert.equal(json.nodes.length, 2);
  assert.equal(json.nodes[1]!.inputs![0]!.ship_strategy, 'HASH');
  assert.equal(json.nodes[1]!.inputs![0]!.id, json.nodes[0]!.id);
});

test('program arguments after -- reach main() identically in the client and in the slots', () => {
  const r = weir('run', 'test/programs/args.ts', '--', 'a', 'b c', '--flag');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /client args: \["a","b c","--flag"\]/);
  assert.match(r.stdout, /slot args: \["a","b c","--flag"\]/);
});

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('Error: '));
  assert.equal(errorLines.length, 1, r.stderr);
  assert.match(errorLines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack of engine frames');
}

test('a user function that throws fails the job with the error, the operator and the subtask', () => {
  const r = weir('run', '-p', '2', 'test/programs/throws.ts');
  assertOneLineError(
    r,
    /Operator 'explode' threw: bad record 700 \(operator 'explode', subtask \d\/2, job 'throws'\) \[WEIR_USER_FUNCTION\]/,
  );
  assert.match(r.stderr, /FAILED/);
});

test('--verbose adds the user stack', () => {
  const r = weir('run', '--verbose', 'test/programs/throws.ts');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Error: bad record 700\n\s+at /);
});

test('a program with no execute() is a one-line error', () => {
  assertOneLineError(weir('run', 'test/programs/no-execute.ts'), /finished without calling execute\(\).*\[WEIR_PROGRAM_NO_EXECUTE\]/);
});

test('an execute() that main() does not await is a one-line error saying so', () => {
  const r = weir('run', 'test/programs/no-await.ts');
  assertOneLineError(r, /called execute\(\).*not awaited.*\[WEIR_EXECUTE_NOT_AWAITED\]/);
  assert.doesNotMatch(r.stderr, /finished without calling execute|at .*\.js:\d+|Submitted job/);
});

test('a non-deterministic main() is a one-line error', () => {
  assertOneLineError(
    weir('run', 'test/programs/nondeterministic.ts'),
    /main\(\) built a different pipeline .*must build the same pipeline.*\[WEIR_NONDETERMINISTIC_PROGRAM\]/,
  );
});

test('a missing input path is a one-line error naming the path', () => {
  assertOneLineError(
    weir('run', 'examples/word-count.ts', '--', 'no/such/dir'),
    /Input path \/.*no\/such\/dir does not exist.*\[WEIR_INPUT_NOT_FOUND\]/,
  );
});

test('an unknown -D key is a one-line error suggesting the closest key', () => {
  assertOneLineError(
    weir('run', '-D', 'parallelism.defualt=2', 'examples/word-count.ts'),
    /parallelism\.defualt.*Did you mean 'parallelism\.default'\?/,
  );
});

test('a bad -D value names the key and the expected type', () => {
  assertOneLineError(weir('run', '-D', 'parallelism.default=two', 'examples/word-count.ts'), /parallelism\.default/);
});

test('a missing program file is a one-line error', () => {
  assertOneLineError(weir('run', 'examples/nope.ts'), /Program file .*examples\/nope\.ts does not exist.*\[WEIR_PROGRAM_NOT_FOUND\]/);
});

test('main() throwing is a one-line error with its message', () => {
  assertOneLineError(
    weir('run', 'test/programs/main-throws.ts'),
    /threw: configuration file missing: settings\.json \[WEIR_PROGRAM_FAILED\]/,
  );
});

test('-D state.backend.type=lsm runs the quick start on the lsm backend with the same counts', () => {
  const out = mkdtempSync(join(tmpdir(), 'weir-wc-lsm-'));
  const local = mkdtempSync(join(tmpdir(), 'weir-wc-lsm-db-'));
  const r = weir(
    'run',
    '-p',
    '2',
    '-D',
    'state.backend.type=lsm',
    '-D',
    `state.backend.lsm.localdir=${local}`,
    'examples/word-count.ts',
    '--',
    'examples/data/words',
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  const got = new Map(readJsonLines(out).map((o) => [o.word as string, o.n as number]));
  assert.deepEqual(got, wordCounts('examples/data/words'));
  assert.deepEqual(readdirSync(local), [], 'the working databases are removed with the job');
});

for (const p of ['1', '2']) {
  test(`every line of several print() sinks reaches stdout before weir run exits (parallelism ${p}, 20 runs)`, () => {
    const expected = ['a', 'B:', 'c'].flatMap((k) => Array.from({ length: 40 }, (_, i) => `${k}-${i}`)).sort();
    for (let run = 0; run < 20; run++) {
      const r = weir('run', '-p', p, 'test/programs/print-many.ts', '--', '40');
      assert.equal(r.code, 0, r.stderr);
      // Strip Flink's `subtask> `, `B> ` and `B:subtask> ` prefixes; what is left names the sink and the record.
      const got = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^(?:(B)(?::\d+)?> |\d+> )/, (_m, b: string | undefined) => (b ? 'B:' : '')))
        .sort();
      assert.deepEqual(got, expected, `run ${run + 1}: ${got.length} of ${expected.length} lines`);
    }
  });
}
