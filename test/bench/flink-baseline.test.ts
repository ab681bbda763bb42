/**
 * The Flink baseline of the Nexmark benchmark (bench/flink/): the queries as Flink DataStream
 * programs on Flink's MiniCluster at parallelism 2, with the generator ported to Java, give the
 * same result checksums as the fused loops over the TypeScript generator (which Weir's and RxJS's
 * checksums equal, see nexmark.test.ts). Needs Java 17+ and Maven: without them the test fails
 * and says so (`bash test/services/flink.sh install` builds bench/flink ahead of time).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChecksumRowSink } from '../../bench/nexmark/checksum.js';
import { flinkClasspath, flinkUnavailable, runFlink } from '../../bench/nexmark/flink.js';
import { runFused } from '../../bench/nexmark/fused.js';
import { QUERY_INFO, type QueryName } from '../../bench/nexmark/queries.js';

const EVENTS = 20_000;
// a stateless query, a co-process function with timers, a sliding and a tumbling window with ties, sessions
const QUERIES: QueryName[] = ['q1', 'q4', 'q5', 'q7', 'q11'];

function fusedChecksum(q: QueryName): string {
  const info = QUERY_INFO[q];
  const sink = new ChecksumRowSink<never>(info.hash, info.upsertKey as ((r: never) => unknown) | undefined);
  runFused(q, { events: EVENTS, ratePerSecond: 10_000 }, sink);
  return sink.checksum().toString();
}

test('Flink says what is missing when Java or Maven is not on PATH', () => {
  assert.match(flinkUnavailable({ PATH: '/nonexistent' }) ?? '', /^java and mvn not on PATH/);
});

test('Flink computes the same checksums as the other implementations', async () => {
  const missing = flinkUnavailable();
  if (missing !== undefined) {
    assert.fail(`the Flink baseline cannot run here: ${missing}; install a JDK 17+ and Maven (bash test/services/flink.sh install)`);
  }
  const classpath = await flinkClasspath();
  const runs = await runFlink({
    classpath,
    queries: QUERIES,
    events: EVENTS,
    rate: 10_000,
    parallelism: 2,
    repeat: 1,
    // a small heap and a quick JIT: this run checks results, it measures nothing
    jvm: ['-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'],
    timeoutMs: 150_000,
  });
  for (const [i, q] of QUERIES.entries()) {
    const m = runs[i]!;
    assert.equal(m.query, q);
    assert.equal(m.events, EVENTS);
    assert.equal(m.parallelism, 2);
    assert.ok(m.cpuMs > 0 && m.wallMs > 0 && m.peakRssMb > 0, `${q}: CPU, wall time and peak RSS are measured`);
    assert.equal(m.checksum, fusedChecksum(q), `${q}: Flink's checksum equals the fused loop's`);
  }
});
