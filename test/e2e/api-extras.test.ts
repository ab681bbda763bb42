/**
 * partitionCustom, fromElements, RichCoMapFunction / RichCoFlatMapFunction at parallelism 1 and 2
 * (test/programs/api-extras.ts), print('id') through the real `weir run` (Flink's `id> value` and
 * `id:N> value`), and iterate()'s documented WEIR_ITERATION_UNSUPPORTED error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { StreamExecutionEnvironment, WeirError } from '../../dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const programs = path.join(root, 'test', 'programs');
const sorted = (xs: readonly unknown[] | undefined): string[] => (xs ?? []).map((x) => JSON.stringify(x)).sort();

for (const p of [1, 2]) {
  test(`partitionCustom, fromElements, RichCoMapFunction, RichCoFlatMapFunction (parallelism ${p})`, async () => {
    const r = await runProgram({ program: path.join(programs, 'api-extras.ts'), parallelism: p });
    for (const j of r.results) assert.equal(j.status, 'FINISHED');
    const x = r.exports.results as Record<string, unknown[]>;
    const fn = Array.from({ length: 40 }, (_, i) => [i, (i * 3) % p]);
    assert.deepEqual(
      sorted(x.function),
      sorted(fn),
      'partitionCustom(function, keySelector): each record on the subtask the partitioner chose',
    );
    const obj = Array.from({ length: 30 }, (_, i) => [{ id: i, name: `n${i}` }, p - 1 - (i % p)]);
    assert.deepEqual(sorted(x.object), sorted(obj), 'partitionCustom(Partitioner, field)');
    const coMap = [1, 2, 3, 4, 5].map((n) => `n${n}/${p}`).concat(['ab', 'cde', 'f'].map((s) => `s${s}/${p}`));
    assert.deepEqual(sorted(x.coMap), sorted(coMap), 'RichCoMapFunction (opened with its context)');
    const coFlat = [1, 2, 3, 4, 5]
      .flatMap((n) => Array.from({ length: n % 3 }, (_, i) => `n${n}.${i}:true`))
      .concat([...'abcdef'].map((c) => `c${c}:true`));
    assert.deepEqual(sorted(x.coFlatMap), sorted(coFlat), 'RichCoFlatMapFunction');
  });
}

for (const p of ['1', '2']) {
  test(`print('id') prints Flink's prefixes through weir run (parallelism ${p})`, () => {
    const stdout = execFileSync(
      process.execPath,
      [path.join(root, 'bin', 'weir.mjs'), 'run', '-p', p, path.join(programs, 'print-id.ts')],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, WEIR_CONF_DIR: path.join(os.tmpdir(), 'weir-no-conf') },
      },
    );
    const lines = stdout.split('\n').filter((l) => /alpha|beta|gamma|delta/i.test(l));
    const words = lines.filter((l) => /[a-z]$/.test(l)).sort();
    const upper = lines.filter((l) => /[A-Z]$/.test(l)).sort();
    if (p === '1') {
      assert.deepEqual(words, ['words> alpha', 'words> beta', 'words> delta', 'words> gamma']);
      assert.deepEqual(upper, ['ALPHA', 'BETA', 'DELTA', 'GAMMA']);
    } else {
      for (const l of words) assert.match(l, /^words:[12]> (alpha|beta|gamma|delta)$/);
      for (const l of upper) assert.match(l, /^[12]> (ALPHA|BETA|GAMMA|DELTA)$/);
      assert.equal(words.length, 4);
      assert.equal(upper.length, 4);
      assert.ok(new Set(words.map((l) => l.slice(0, 7))).size === 2, 'both subtasks printed (rebalance)');
    }
  });
}

test('iterate() is not supported: WEIR_ITERATION_UNSUPPORTED names what to do instead', () => {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  const s = env.fromElements(1, 2, 3);
  assert.throws(
    () => s.iterate(),
    (e: unknown) =>
      e instanceof WeirError &&
      e.code === 'WEIR_ITERATION_UNSUPPORTED' &&
      /removed in Flink 2\.0/.test(e.message) &&
      /KeyedProcessFunction/.test(e.message),
  );
  // through weir run: one line with the code, exit 1
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'weir.mjs'), 'run', path.join(programs, 'iterate.ts')], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, WEIR_CONF_DIR: path.join(os.tmpdir(), 'weir-no-conf') },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /iterate\(\) is not supported.*\[WEIR_ITERATION_UNSUPPORTED\]/);
});

test('partitionCustom and window APIs refuse bad arguments with WEIR_BAD_PIPELINE', () => {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  const s = env.fromElements(1, 2, 3);
  const bad = (f: () => unknown, re: RegExp): void =>
    assert.throws(f, (e: unknown) => e instanceof WeirError && e.code === 'WEIR_BAD_PIPELINE' && re.test(e.message));
  bad(() => s.partitionCustom({} as never, (x) => x), /Partitioner/);
  bad(() => s.partitionCustom((k: number) => k, 42 as never), /key selector/);
  bad(() => s.keyBy((x) => x).countWindow(0), /positive integer size/);
  bad(() => s.keyBy((x) => x).countWindow(3, 1.5), /positive integer slide/);
  bad(
    () =>
      s
        .keyBy((x) => x)
        .countWindow(3)
        .trigger({} as never),
    /needs a Trigger/,
  );
  bad(
    () =>
      s
        .keyBy((x) => x)
        .countWindow(3)
        .evictor({} as never),
    /needs an Evictor/,
  );
  bad(
    () =>
      s
        .keyBy((x) => x)
        .intervalJoin(s.keyBy((x) => x))
        .between(10, 5),
    /lower bound/,
  );
  bad(
    () =>
      s
        .keyBy((x) => x)
        .intervalJoin(s.keyBy((x) => x))
        .inProcessingTime(),
    /only supported in event time/,
  );
});
