/**
 * Flink DataStream methods Weir lacks fail with WEIR_UNSUPPORTED_API naming the class and the
 * method, per stream class; none of them shadows a method Weir has. End to end, a program calling
 * one fails at submission (parallelism 1 and 2) with that code.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MapStateDescriptor, StreamExecutionEnvironment, WeirError } from '../../dist/index.js';
import { UNSUPPORTED_APIS } from '../../dist/api/unsupported.js';
import { runProgram } from '../../dist/client/run-program.js';

function streams(): Record<string, object> {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  const ds = env.fromSequence(1, 10);
  const mapped = ds.map((x: number) => x);
  const bc = ds.broadcast(new MapStateDescriptor<string, number>('rules'));
  return {
    StreamExecutionEnvironment: env,
    DataStream: ds.rebalance(),
    SingleOutputStreamOperator: mapped,
    KeyedStream: mapped.keyBy((x) => x),
    ConnectedStreams: ds.connect(mapped),
    BroadcastStream: bc,
    BroadcastConnectedStream: mapped.connect(bc),
    DataStreamSink: mapped.print(),
  };
}

const objects = streams();
for (const [className, methods] of Object.entries(UNSUPPORTED_APIS)) {
  test(`${className}: Flink methods Weir does not have throw WEIR_UNSUPPORTED_API`, () => {
    const obj = objects[className] as Record<string, unknown>;
    assert.ok(obj, `a ${className} to test`);
    for (const method of Object.keys(methods)) {
      const fn = obj[method];
      assert.equal(typeof fn, 'function', `${className}.${method} is a function`);
      assert.throws(
        () => (fn as (...a: unknown[]) => unknown).call(obj, { invoke() {} }),
        (e: unknown) =>
          e instanceof WeirError &&
          e.code === 'WEIR_UNSUPPORTED_API' &&
          e.message.includes(`${className}.${method}()`) &&
          /not supported by Weir: \w/.test(e.message),
        `${className}.${method}`,
      );
    }
  });
}

test('implemented methods are not shadowed by the unsupported stubs', () => {
  const { DataStream, SingleOutputStreamOperator } = objects as Record<string, { map: unknown; uid: unknown; sinkTo: unknown }>;
  for (const o of [DataStream!, SingleOutputStreamOperator!]) assert.notEqual((o.map as { name: string }).name, 'unsupported');
  assert.notEqual((SingleOutputStreamOperator!.uid as { name: string }).name, 'unsupported');
});

for (const p of [1, 2]) {
  test(`a program calling writeAsText fails at submission with WEIR_UNSUPPORTED_API (parallelism ${p})`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-unsupported-'));
    try {
      const program = path.join(dir, 'port.mjs');
      fs.writeFileSync(
        program,
        `import { StreamExecutionEnvironment } from 'weir';
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromSequence(1, 10).map((x) => x * 2).writeAsText('/tmp/out');
await env.execute('ported');
`,
      );
      await assert.rejects(runProgram({ program, parallelism: p }), (e: unknown) => {
        const err = e as WeirError;
        assert.match(err.message, /DataStream\.writeAsText\(\) is part of Flink's DataStream API but is not supported by Weir: use sinkTo/);
        assert.match(`${err.code} ${JSON.stringify(err)} ${err.message}`, /WEIR_UNSUPPORTED_API/);
        return true;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
