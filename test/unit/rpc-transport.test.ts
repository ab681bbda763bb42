/**
 * The RPC transport on its own: handshake (secret, protocol version), requests and one-way
 * messages, frames cut into single bytes on the way, and messages the schema refuses.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { Packr, Unpackr } from 'msgpackr';
import { connect, listen, type Logger, type RpcConnection } from '../../src/runtime/rpc/transport.js';
import { Type, type Static } from 'typebox';
import { compile, noMessagesSchema } from '../../src/runtime/rpc/validate.js';
import { Int, Str, Tagged } from '../../src/schema.js';
import { waitFor } from '../helpers/wait.js';

const Msg = Tagged('type', [
  Type.Object({ type: Type.Literal('echo'), text: Str() }),
  Type.Object({ type: Type.Literal('note'), n: Int() }),
]);
type Msg = Static<typeof Msg>;
const schema = compile(Msg);
const reply = compile(Type.Object({ text: Str() }));

function logger(lines: string[]): Logger {
  const at = (l: string) => (m: string) => void lines.push(`${l} ${m}`);
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

async function echoServer(secret: string, log: string[], notes: number[]) {
  return listen<never, Msg>(
    '127.0.0.1',
    0,
    { secret, self: { role: 'jobmanager', id: 'server' }, peerRoles: ['client'], incoming: schema, log: logger(log) },
    (conn) => {
      conn.onRequest = (m) => {
        if (m.type === 'echo') return { text: m.text.toUpperCase() };
        throw new Error('not a request');
      };
      conn.onMessage = (m) => {
        if (m.type === 'note') notes.push(m.n);
      };
    },
  );
}

const client = (secret: string, port: number, log: string[] = []): Promise<RpcConnection<unknown, never>> =>
  connect('127.0.0.1', port, {
    secret,
    self: { role: 'client', id: 'c1' },
    peerRoles: ['jobmanager'],
    incoming: noMessagesSchema,
    log: logger(log),
  });

/** A TCP proxy on a free port to `port`; `relay` wires the client's socket `a` and the server's `b`. */
async function startProxy(port: number, relay: (a: net.Socket, b: net.Socket) => void): Promise<net.Server> {
  const proxy = net.createServer((a) => {
    const b = net.connect(port, '127.0.0.1');
    relay(a, b);
    a.on('close', () => b.destroy());
    b.on('close', () => a.destroy());
    a.on('error', () => undefined);
    b.on('error', () => undefined);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return proxy;
}

test('requests are answered, one-way messages arrive in order, even when frames arrive byte by byte', async () => {
  const log: string[] = [];
  const notes: number[] = [];
  const server = await echoServer('s3cret', log, notes);
  // A proxy that forwards every byte as its own write, in both directions.
  const trickle = (from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk: Buffer) => {
      for (const byte of chunk) to.write(Buffer.from([byte]));
    });
  const proxy = await startProxy(server.port, (a, b) => {
    trickle(a, b);
    trickle(b, a);
  });
  try {
    const c = await client('s3cret', (proxy.address() as net.AddressInfo).port);
    assert.deepEqual(await c.request({ type: 'echo', text: 'hello' }, reply), { text: 'HELLO' });
    for (let i = 0; i < 20; i++) c.send({ type: 'note', n: i });
    await assert.rejects(c.request({ type: 'note', n: 1 }, reply), /not a request/);
    assert.deepEqual(
      notes,
      Array.from({ length: 20 }, (_, i) => i),
    );
    c.close('done', 'debug', true);
  } finally {
    proxy.close();
    await server.close();
  }
});

test('a wrong secret or protocol version is refused in the handshake', async () => {
  const log: string[] = [];
  const server = await echoServer('right', log, []);
  try {
    await assert.rejects(client('wrong', server.port), /authentication failed/);
    // A peer speaking another protocol version.
    const sock = net.connect(server.port, '127.0.0.1');
    const frames: unknown[] = [];
    const unpackr = new Unpackr({ useRecords: false });
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        frames.push(unpackr.unpack(buf.subarray(4, 4 + buf.readUInt32BE(0))));
        buf = buf.subarray(4 + buf.readUInt32BE(0));
      }
    });
    await once(sock, 'data');
    const payload = new Packr({ useRecords: false }).pack({
      t: 'auth',
      v: 999,
      role: 'client',
      id: 'old',
      nonce: 'ab'.repeat(32),
      mac: 'x',
    });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length);
    sock.write(Buffer.concat([header, payload]));
    await once(sock, 'close');
    assert.deepEqual((frames[1] as { t: string }).t, 'reject');
    assert.match((frames[1] as { reason: string }).reason, /protocol version 999 is not supported/);
    // The server goes on serving.
    const c = await client('right', server.port);
    assert.deepEqual(await c.request({ type: 'echo', text: 'still here' }, reply), { text: 'STILL HERE' });
    c.close('done', 'debug', true);
  } finally {
    await server.close();
  }
});

test('a message the schema refuses closes only that connection, with the reason logged', async () => {
  const log: string[] = [];
  const server = await echoServer('', log, []);
  try {
    const bad = await client('', server.port);
    const closed = new Promise<string>((r) => bad.onClose(r));
    bad.send({ type: 'note', n: 'not a number' });
    await closed;
    assert.ok(
      log.some((l) => l.startsWith('WARN') && l.includes('invalid message: message.n must be an integer')),
      log.join('\n'),
    );
    const good = await client('', server.port);
    assert.deepEqual(await good.request({ type: 'echo', text: 'ok' }, reply), { text: 'OK' });
    good.close('done', 'debug', true);
  } finally {
    await server.close();
  }
});

test('messages the accepting side sends right after its welcome, in the same read, reach the dialling side', async () => {
  const log: string[] = [];
  // The server sends notes as soon as the connection is authenticated.
  const server = await listen<Msg, never>(
    '127.0.0.1',
    0,
    { secret: 's3cret', self: { role: 'jobmanager', id: 'server' }, peerRoles: ['client'], incoming: noMessagesSchema, log: logger(log) },
    (conn) => {
      for (let n = 1; n <= 5; n++) conn.send({ type: 'note', n });
    },
  );
  // A proxy that passes the server's hello on, then holds what follows (welcome and notes) for
  // 200 ms and passes it on in one write: the client reads the welcome and the notes together.
  const proxy = await startProxy(server.port, (a, b) => {
    a.on('data', (chunk: Buffer) => b.write(chunk));
    let first = true;
    const held: Buffer[] = [];
    b.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        a.write(chunk);
        return;
      }
      if (held.push(chunk) === 1) setTimeout(() => a.write(Buffer.concat(held.splice(0))), 200);
    });
  });
  try {
    const c = await connect<never, Msg>('127.0.0.1', (proxy.address() as net.AddressInfo).port, {
      secret: 's3cret',
      self: { role: 'client', id: 'c1' },
      peerRoles: ['jobmanager'],
      incoming: schema,
      log: logger(log),
    });
    // Set when connect() resolves, as every owner of a connection does.
    const notes: number[] = [];
    c.onMessage = (m) => {
      if (m.type === 'note') notes.push(m.n);
    };
    await waitFor('the five notes', 5_000, () => notes.length === 5);
    assert.deepEqual(notes, [1, 2, 3, 4, 5]);
    c.close('done', 'debug', true);
  } finally {
    proxy.close();
    await server.close();
  }
});
