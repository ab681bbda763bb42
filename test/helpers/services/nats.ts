/**
 * A real NATS server with JetStream for the tests: Debian's nats-server (test/services/nats.sh),
 * `-js` with a fresh store directory, on a free loopback port. `stop()` and `start()` restart the
 * same server (same port, same JetStream store: streams are file-backed). Also what tests do on it:
 * create streams, publish test data, read a whole stream back.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { freePort } from '../ports.js';
import { waitFor } from '../wait.js';
import { ensureInstalled, REPO_ROOT, startServer, type ServerProcess } from './server-process.js';

function serverBinary(): string | undefined {
  try {
    return execFileSync('bash', [join(REPO_ROOT, 'test/services/nats.sh'), 'bin'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface StreamMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** A client connection of the test's own (closed by close()). */
  readonly nc: NatsConnection;
  createStream(name: string, subjects: string[], duplicateWindowMs?: number): Promise<void>;
  /** Publishes `values` as JSON to `subject`, waiting for every stream acknowledgement. */
  publishJson(subject: string, values: unknown[]): Promise<void>;
  /** Every message of `stream`, in sequence order. */
  readStream(stream: string): Promise<StreamMessage[]>;
  /** Stops the server (SIGTERM), keeping its store for a later start(). */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and store. */
  start(): Promise<void>;
  close(): Promise<void>;
  log(): string;
}

export async function startNats(): Promise<NatsServer> {
  await ensureInstalled('nats', () => serverBinary() !== undefined);
  const bin = serverBinary()!;
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'weir-nats-'));
  let server: ServerProcess | undefined;
  const start = async (): Promise<void> => {
    server = await startServer({
      name: 'nats',
      command: bin,
      args: () => ['-js', '-sd', join(dir, 'jetstream'), '-a', '127.0.0.1', '-p', String(port)],
      dir,
      readyMs: 30_000,
      ready: async () => {
        const nc = await connect({ servers: url, timeout: 1000, reconnect: false });
        try {
          // JetStream answers too, not only the core server.
          await (await jetstreamManager(nc)).getAccountInfo();
          return true;
        } finally {
          await nc.close();
        }
      },
    });
  };
  await start();
  // Reconnects without end: tests restart the server under it.
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  return {
    url,
    nc,
    createStream: async (name, subjects, duplicateWindowMs = 120_000) => {
      await jsm.streams.add({ name, subjects, duplicate_window: nanos(duplicateWindowMs) });
    },
    publishJson: async (subject, values) => {
      for (let i = 0; i < values.length; i += 500)
        await Promise.all(values.slice(i, i + 500).map((v) => js.publish(subject, JSON.stringify(v))));
    },
    readStream: async (stream) => {
      const info = await jsm.streams.info(stream);
      const out: StreamMessage[] = [];
      if (info.state.messages === 0) return out;
      const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
      const deadline = Date.now() + 30_000;
      while (out.length < info.state.messages) {
        if (Date.now() > deadline) throw new Error(`reading ${stream}: ${out.length} of ${info.state.messages} messages`);
        for await (const m of await consumer.fetch({ max_messages: 1000, expires: 1000 }))
          out.push({ seq: m.seq, subject: m.subject, data: m.data });
      }
      await consumer.delete().catch(() => undefined);
      return out;
    },
    stop: async () => {
      await server?.stop(10_000);
      server = undefined;
    },
    start: async () => {
      await start();
      // The test's own connection is back too (it reconnects on its own schedule).
      await waitFor('the test connection to reach JetStream again', 30_000, async () => {
        try {
          await jsm.getAccountInfo();
          return true;
        } catch {
          return false;
        }
      });
    },
    close: async () => {
      await nc.close().catch(() => undefined);
      await server?.stop(5000);
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => server?.log() ?? '',
  };
}
