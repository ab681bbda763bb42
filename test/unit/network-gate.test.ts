/**
 * The input gate: round-robin polling, credit, barrier alignment (also over an in-thread channel),
 * end of data and of partition per input, watermarks and release.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelId } from '../../src/runtime/network/events.js';
import { barrier, drain, gate } from '../helpers/network-fixtures.js';

// ---------------------------------------------------------------- input gate: polling, credit, alignment, end of input

test('gate: channels are polled round-robin, one buffer or event at a time; the task is woken when an empty channel gets data', async () => {
  const { g, told, data } = gate([3]);
  assert.equal(g.numChannels, 3);
  data(0, ['a1']);
  data(0, ['a2']);
  data(0, ['a3']);
  data(1, ['b1']);
  data(2, ['c1']);
  data(2, ['c2']);
  assert.equal(told.onData, 3, 'once per channel that had nothing');
  assert.deepEqual(await drain(g), ['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
  data(1, ['b2']);
  assert.equal(told.onData, 4, 'an emptied channel wakes the task again');
  assert.ok(g.bytesIn > 0);
});

test('gate: open() announces each channel its initial credit; a credit returns as a buffer is taken, none for events', async () => {
  const { g, conns, data, event } = gate([3], { settings: { buffersPerChannel: 2, floatingBuffersPerGate: 4 } });
  assert.deepEqual(conns.credits(), ['w0:3', 'w1:3', 'w2:3'], '2 exclusive buffers and a third of the 4 floating ones, to each producer');
  assert.deepEqual(
    conns.sent.map((s) => s.frame.ch),
    [0, 1, 2].map((k) => channelId('job', 0, 'e0', k, 0)),
  );
  data(1, ['b1']);
  event(1, { t: 'wm', v: 1 });
  data(2, ['c1']);
  assert.deepEqual(conns.credits().slice(3), [], 'no credit before the buffer is taken');
  assert.deepEqual(await drain(g), ['b1', 'c1', 'wm']);
  assert.deepEqual(conns.credits().slice(3), ['w1:1', 'w2:1'], 'one credit per buffer, to its producer; none for the event');
  // Without floating buffers the exclusive ones are the initial credit.
  assert.deepEqual(gate([2]).conns.credits(), ['w0:2', 'w1:2']);
});

test('gate: EXACTLY_ONCE alignment blocks each channel once its barrier arrived, until the last one did', async () => {
  const { g, told, data, event } = gate([2]);
  data(0, ['a1']);
  event(0, barrier(1));
  data(0, ['a2 after the barrier']);
  data(1, ['b1']);
  data(1, ['b2']);
  assert.deepEqual(await drain(g), ['a1', 'b1', 'barrier1', 'b2'], 'what follows the barrier waits in its channel');
  assert.deepEqual(told.aligned, []);
  event(1, barrier(1));
  assert.deepEqual(await drain(g), ['barrier1', 'a2 after the barrier']);
  assert.deepEqual(told.aligned, [1], 'aligned when the last barrier arrived');
  data(0, ['a3']);
  data(1, ['b3']);
  assert.deepEqual(await drain(g), ['b3', 'a3'], 'and every channel is released (round-robin goes on after channel 0)');
});

test('gate: alignment over one in-thread channel (records by reference) and one serialised channel', async () => {
  const { g, told, chIds, conns, data, event } = gate([2]);
  const byRef = (values: unknown[]): void => conns.deliver('consumer', { k: 'records', ch: chIds[0]!, values, timestamps: null });
  byRef(['a1']);
  event(0, barrier(1));
  byRef(['a2 after the barrier']);
  data(1, ['b1']);
  assert.deepEqual(await drain(g), ['a1', 'b1', 'barrier1'], 'the in-thread channel is blocked after its barrier');
  assert.deepEqual(conns.credits(), ['w0:2', 'w1:2', 'w0:1', 'w1:1'], 'one credit back per batch, by reference or serialised');
  event(1, barrier(1));
  assert.deepEqual(await drain(g), ['barrier1', 'a2 after the barrier']);
  assert.deepEqual(told.aligned, [1]);
  event(0, { t: 'eop' });
  data(1, ['b2']);
  event(1, barrier(2));
  assert.deepEqual(await drain(g), ['b2', 'eop', 'barrier2']);
  assert.deepEqual(told.aligned, [1, 2], 'an ended in-thread channel counts as aligned');
});

test('gate: AT_LEAST_ONCE blocks nothing and is aligned at the last barrier', async () => {
  const { g, told, event, data } = gate([2]);
  event(0, barrier(1, 'AT_LEAST_ONCE'));
  data(0, ['a after']);
  assert.deepEqual(await drain(g), ['barrier1', 'a after']);
  data(0, ['a again']);
  assert.deepEqual(await drain(g), ['a again'], 'the channel is not blocked');
  event(1, barrier(1, 'AT_LEAST_ONCE'));
  await drain(g);
  assert.deepEqual(told.aligned, [1]);
});

test('gate: without checkpointing barriers block nothing and align nothing', async () => {
  const { g, told, event, data } = gate([2], { checkpointing: false });
  event(0, barrier(1));
  data(0, ['a after']);
  event(1, barrier(1));
  assert.deepEqual(await drain(g), ['barrier1', 'barrier1', 'a after']);
  assert.deepEqual([told.aligned, told.cancelled], [[], []]);
});

test('gate: an ended channel counts as aligned; end of partition is counted once per channel and ends the input with the last', async () => {
  const { g, told, event } = gate([3]);
  event(0, barrier(1));
  event(1, { t: 'eop' });
  event(1, { t: 'eop' });
  assert.deepEqual(await drain(g), ['barrier1', 'eop', 'eop']);
  assert.deepEqual(told.aligned, []);
  event(2, { t: 'eop' });
  await drain(g);
  assert.deepEqual(told.aligned, [1], "the last open channel's end completes the alignment");
  assert.equal(g.partitionsEnded, false, 'a repeated end of partition is not counted again');
  assert.equal(g.allDataEnded, false);
  assert.deepEqual(told.ended, [], 'channel 0 is still open');
  event(0, { t: 'eop' });
  await drain(g);
  assert.ok(g.partitionsEnded);
  assert.ok(g.allDataEnded, 'end of partition without end of data ends the data too');
  assert.deepEqual(told.ended, [0], 'the input ends once, with its last channel');
});

test('gate: end of data is counted per logical input; end of partition after it does not end the input again', async () => {
  // Input 0 from two producers, input 1 from one: channels 0 and 1 are input 0, channel 2 is input 1.
  const { g, told, event, data } = gate([2, 1], { inputs: [0, 1] });
  data(2, ['x']);
  assert.equal(g.pollNext()?.k, 'data');
  assert.equal(g.input, 1, 'the logical input of the item polled');
  data(0, ['y']);
  assert.equal(g.pollNext()?.k, 'data');
  assert.equal(g.input, 0);
  event(0, { t: 'eod' });
  event(0, { t: 'eod' });
  await drain(g);
  assert.deepEqual(told.ended, [], 'a repeated end of data is not counted again');
  event(2, { t: 'eod' });
  await drain(g);
  assert.deepEqual(told.ended, [1], 'input 1 ended with its one channel');
  assert.equal(g.allDataEnded, false);
  event(1, { t: 'eod' });
  await drain(g);
  assert.deepEqual(told.ended, [1, 0]);
  assert.ok(g.allDataEnded);
  assert.equal(g.partitionsEnded, false, 'the channels are still open until end of partition');
  for (const k of [0, 1, 2]) event(k, { t: 'eop' });
  await drain(g);
  assert.ok(g.partitionsEnded);
  assert.deepEqual(told.ended, [1, 0], 'no input ends twice');
});

test('gate: an abort releases the blocked channels; a newer barrier cancels the alignment under way; late and aborted barriers are ignored', async () => {
  const { g, told, event, data } = gate([2]);
  event(0, barrier(1));
  data(0, ['a after 1']);
  assert.deepEqual(await drain(g), ['barrier1'], 'channel 0 is blocked');
  g.abortCheckpoint(1);
  assert.deepEqual(await drain(g), ['a after 1'], 'an abort releases the blocked channels');
  event(1, barrier(1));
  await drain(g);
  assert.deepEqual([told.aligned, told.cancelled], [[], []], 'a barrier of an aborted checkpoint is ignored');
  event(0, barrier(2));
  data(0, ['x']);
  data(1, ['y']);
  event(1, barrier(3));
  data(1, ['y after 3']);
  assert.deepEqual(await drain(g), ['barrier2', 'y', 'barrier3', 'x'], 'the cancelled alignment released channel 0; channel 1 waits for 3');
  assert.deepEqual(told.cancelled, [2], 'barrier 3 overtook the alignment of 2');
  event(0, barrier(3));
  assert.deepEqual(await drain(g), ['barrier3', 'y after 3']);
  assert.deepEqual(told.aligned, [3]);
});

test('gate: watermarks go through the valve of their logical input: the minimum over its active channels', async () => {
  const { g, told, event } = gate([2, 1], { inputs: [0, 1] });
  event(0, { t: 'wm', v: 10 });
  await drain(g);
  assert.deepEqual(told.watermarks, [], 'channel 1 of input 0 has no watermark yet');
  event(1, { t: 'wm', v: 5 });
  event(2, { t: 'wm', v: 7 });
  await drain(g);
  assert.deepEqual(told.watermarks, ['0:5', '1:7']);
  event(1, { t: 'status', idle: true });
  await drain(g);
  assert.deepEqual(told.watermarks, ['0:5', '1:7', '0:10'], 'without the idle channel the minimum of input 0 is 10');
  event(0, { t: 'wm', v: 8 });
  await drain(g);
  assert.equal(told.watermarks.length, 3, 'a watermark never goes back');
});

test('gate: release() stops receiving frames on every channel', () => {
  const { g, conns } = gate([2, 1], { inputs: [0, 1] });
  assert.equal(conns.ends.consumer.size, 3);
  g.release();
  assert.equal(conns.ends.consumer.size, 0);
});
