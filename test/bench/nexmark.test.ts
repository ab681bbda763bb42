/**
 * The Nexmark benchmark's correctness, on a small run: the generator follows the reference model
 * and is deterministic, the Weir source reads every event exactly once and resumes from its split
 * state, and every query gives the same result checksum in all three implementations (fused loop,
 * RxJS, and Weir at parallelism 2, all queries in one job).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { runProgram } from '../../dist/client/run-program.js';
import { ChecksumRowSink } from '../../bench/nexmark/checksum.js';
import { runFused } from '../../bench/nexmark/fused.js';
import { NexmarkGenerator } from '../../bench/nexmark/generator.js';
import { AUCTION, BID, PERSON, eventTime, type NexmarkEvent } from '../../bench/nexmark/model.js';
import { QUERIES, QUERY_INFO, type QueryName } from '../../bench/nexmark/queries.js';
import { rxQuery } from '../../bench/nexmark/rx.js';
import { NexmarkSource, type NexmarkSplit } from '../../bench/nexmark/source.js';
import { readChecksum } from '../../bench/nexmark/weir-sink.js';

const EVENTS = 40_000;

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

test('the generator follows the reference model and is deterministic', () => {
  const g = new NexmarkGenerator({ events: 5000, ratePerSecond: 10_000 });
  const again = new NexmarkGenerator({ events: 5000, ratePerSecond: 10_000 });
  const counts = [0, 0, 0];
  let lastTs = -Infinity;
  let maxPerson = 0;
  let maxAuction = 0;
  for (let i = 0; i < 5000; i++) {
    const e = g.event(i);
    assert.deepEqual(again.event(4999 - i), g.event(4999 - i), 'events are a function of their index');
    counts[e.type]!++;
    const ts = eventTime(e);
    assert.equal(ts, g.timestamp(i));
    assert.ok(ts >= lastTs, 'event time never goes back');
    lastTs = ts;
    if (e.type === PERSON) {
      assert.equal(e.person!.id, 1000 + maxPerson, 'person ids are consecutive from 1000');
      maxPerson++;
    } else if (e.type === AUCTION) {
      assert.equal(e.auction!.id, 1000 + maxAuction, 'auction ids are consecutive from 1000');
      maxAuction++;
      assert.ok(e.auction!.expires > e.auction!.dateTime);
      assert.ok(e.auction!.seller >= 1000 && e.auction!.seller < 1000 + maxPerson + 10);
    } else {
      assert.ok(e.bid!.auction >= 1000 && e.bid!.auction < 1000 + maxAuction + 10);
    }
  }
  assert.deepEqual(counts, [100, 300, 4600], 'person : auction : bid = 1 : 3 : 46');
  assert.equal(g.timestamp(10_000) - g.timestamp(0), 1000, '10 000 events per second of event time');
  // hot items: half the bids go to the few hot auctions (one per 100 auctions), 3/4 come from hot bidders
  const auctions = new Map<number, number>();
  const bidders = new Map<number, number>();
  for (let i = 0; i < 5000; i++) {
    const e = g.event(i);
    if (e.type !== BID) continue;
    auctions.set(e.bid!.auction, (auctions.get(e.bid!.auction) ?? 0) + 1);
    bidders.set(e.bid!.bidder, (bidders.get(e.bid!.bidder) ?? 0) + 1);
  }
  const topShare = (m: Map<number, number>, k: number): number =>
    [...m.values()]
      .sort((a, b) => b - a)
      .slice(0, k)
      .reduce((a, b) => a + b, 0) / 4600;
  assert.ok(topShare(auctions, 4) > 0.45, `4 auctions get about half the bids (${topShare(auctions, 4)})`);
  assert.ok(topShare(bidders, 2) > 0.7, `2 bidders make about 3/4 of the bids (${topShare(bidders, 2)})`);
  assert.deepEqual([...g.events(10, 20, 5)], [g.event(10), g.event(15)], 'plain iterator over a stride');
});

/** Drives a NexmarkSource's enumerator and readers directly (what the coordinator and tasks do). */
function harness(source: NexmarkSource, parallelism: number) {
  const assigned: NexmarkSplit[][] = Array.from({ length: parallelism }, () => []);
  const noMore = new Array<boolean>(parallelism).fill(false);
  const requests: number[] = [];
  const enumerator = source.createEnumerator({
    currentParallelism: () => parallelism,
    registeredReaders: () => [...Array(parallelism).keys()],
    assignSplit: (s, i) => assigned[i]!.push(s),
    signalNoMoreSplits: (i) => (noMore[i] = true),
  });
  enumerator.start();
  const readers = Array.from({ length: parallelism }, (_, i) =>
    source.createReader({ subtaskIndex: i, parallelism, sendSplitRequest: () => requests.push(i) }),
  );
  /** Answers pending split requests, like the coordinator. */
  const serve = (): void => {
    while (requests.length) {
      const i = requests.shift()!;
      enumerator.handleSplitRequest(i);
      const splits = assigned[i]!.splice(0);
      if (splits.length) readers[i]!.addSplits(splits);
      if (noMore[i]) readers[i]!.notifyNoMoreSplits();
    }
  };
  return { enumerator, readers, serve };
}

test('the source reads every event once, in time order per reader, and resumes from its splits', () => {
  const events = 3001;
  const source = new NexmarkSource({ events });
  const { readers, serve } = harness(source, 2);
  for (const r of readers) r.start();
  serve();
  const seen: number[][] = [[], []];
  const gen = new NexmarkGenerator({ events });
  const indexOf = new Map<string, number>();
  for (let i = 0; i < events; i++) indexOf.set(JSON.stringify(gen.event(i)), i);
  const collect = (k: number) => ({
    collect: (e: NexmarkEvent, ts?: number) => {
      assert.equal(ts, eventTime(e));
      seen[k]!.push(indexOf.get(JSON.stringify(e))!);
    },
  });
  // read a little, then "fail" reader 1: a new reader restores its snapshot
  assert.equal(readers[1]!.pollNext(collect(1)), 'MORE_AVAILABLE');
  const snapshot = readers[1]!.snapshotState(1);
  assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot, 'splits are plain data');
  const restored = source.createReader({ subtaskIndex: 1, parallelism: 2, sendSplitRequest: () => undefined });
  restored.addSplits(snapshot);
  restored.notifyNoMoreSplits();
  const readAll = (r: (typeof readers)[number], k: number): void => {
    for (let polls = 0; polls < 100; polls++) {
      serve();
      if (r.pollNext(collect(k)) === 'END_OF_INPUT') return;
    }
    assert.fail('reader did not end');
  };
  readAll(readers[0]!, 0);
  readAll(restored, 1);
  for (const s of seen) for (let i = 1; i < s.length; i++) assert.ok(gen.timestamp(s[i]!) >= gen.timestamp(s[i - 1]!));
  assert.deepEqual(
    [...seen[0]!, ...seen[1]!].sort((a, b) => a - b),
    [...Array(events).keys()],
    'every event exactly once',
  );
});

test('a reader holding several splits merges them in index order', () => {
  const source = new NexmarkSource({ events: 100 }, { splits: 4, batchSize: 7 });
  const r = source.createReader({ subtaskIndex: 0, parallelism: 1, sendSplitRequest: () => undefined });
  r.addSplits([
    { splitId: '1', next: 1, end: 100, step: 4 },
    { splitId: '3', next: 3, end: 100, step: 4 },
  ]);
  r.notifyNoMoreSplits();
  const ts: number[] = [];
  while (r.pollNext({ collect: (_e, t) => ts.push(t!) }) !== 'END_OF_INPUT');
  assert.equal(ts.length, 50);
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! >= ts[i - 1]!);
});

function checksumOf(q: QueryName, run: (sink: ChecksumRowSink<never>) => void): string {
  const info = QUERY_INFO[q];
  const sink = new ChecksumRowSink<never>(info.hash, info.upsertKey as ((r: never) => unknown) | undefined);
  run(sink);
  return sink.checksum().toString();
}

test('every query gives the same checksum fused, in RxJS and in Weir (parallelism 2)', async () => {
  const config = { events: EVENTS };
  const expected = new Map<QueryName, string>();
  for (const q of QUERIES) {
    const fused = checksumOf(q, (sink) => runFused(q, config, sink));
    const rx = checksumOf(q, (sink) => rxQuery(q, config).subscribe((r) => sink.emit(r as never)));
    assert.equal(rx, fused, `${q}: RxJS and fused loop disagree`);
    assert.notEqual(Number(fused.split(':')[0]), 0, `${q} produces rows on ${EVENTS} events`);
    expected.set(q, fused);
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-nexmark-'));
  tempDirs.push(out);
  const run = await runProgram({
    program: 'bench/nexmark/weir-program.ts',
    args: ['--query', 'all', '--events', String(EVENTS), '--out', out],
    parallelism: 2,
  });
  assert.deepEqual(
    run.results.map((r) => r.status),
    ['FINISHED'],
  );
  for (const q of QUERIES) assert.equal(readChecksum(path.join(out, q)).toString(), expected.get(q), `${q}: Weir and fused loop disagree`);
});
