/**
 * Kafka transaction-coordinator calls made outside a producer (Flink's FlinkKafkaInternalProducer
 * tricks, without reflection): committing a transaction that another producer (possibly of a dead
 * process) left prepared, from its transactional id, producer id and epoch; and InitProducerId on a
 * transactional id, which aborts whatever transaction that id left open and fences its producer.
 */
import { Connection, endTxnV4, findCoordinatorV6, initProducerIdV5 } from '@platformatic/kafka';
import { parseBootstrap } from './options.js';

/** What a prepared (flushed, not committed) transaction is known by; plain data, kept in checkpoints. */
export interface KafkaCommittable {
  transactionalId: string;
  /** The producer id, as a decimal string (a 64-bit integer). */
  producerId: string;
  epoch: number;
}

const RETRIABLE = new Set([
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'CONCURRENT_TRANSACTIONS',
  'NETWORK_EXCEPTION',
  'REQUEST_TIMED_OUT',
]);

/** The Kafka error name of a failed request (e.g. PRODUCER_FENCED), if it carries one. */
export function kafkaErrorName(e: unknown): string | undefined {
  const err = e as { apiId?: string; errors?: unknown[]; findBy?: (k: string, v: unknown) => unknown } | undefined;
  if (!err || typeof err !== 'object') return undefined;
  if (typeof err.apiId === 'string') return err.apiId;
  for (const inner of err.errors ?? []) {
    const n = kafkaErrorName(inner);
    if (n) return n;
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class TransactionCoordinatorClient {
  private readonly connections = new Map<string, Connection>();

  constructor(
    private readonly bootstrapServers: string,
    private readonly clientId: string,
    private readonly timeoutMs = 60_000,
  ) {}

  private async connection(host: string, port: number): Promise<Connection> {
    const key = `${host}:${port}`;
    const existing = this.connections.get(key);
    if (existing && existing.status === 'connected') return existing;
    existing?.close().catch(() => undefined);
    const c = new Connection(this.clientId, { connectTimeout: 5000 });
    await c.connect(host, port);
    this.connections.set(key, c);
    return c;
  }

  private async bootstrapConnection(): Promise<Connection> {
    let last: unknown;
    for (const b of parseBootstrap(this.bootstrapServers)) {
      try {
        return await this.connection(b.host, b.port);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error(`cannot connect to ${this.bootstrapServers}`);
  }

  /** The connection to the transaction coordinator of `transactionalId`. */
  private async coordinator(transactionalId: string): Promise<Connection> {
    const boot = await this.bootstrapConnection();
    const res = await findCoordinatorV6.api.async(boot, 1, [transactionalId]);
    const c = res.coordinators.find((x) => x.key === transactionalId);
    if (!c || c.errorCode !== 0)
      throw Object.assign(new Error(`no transaction coordinator for ${transactionalId}`), { apiId: 'COORDINATOR_NOT_AVAILABLE' });
    return this.connection(c.host, c.port);
  }

  /** Retries what the coordinator answers "try again" to (loading, moving, an abort in progress). */
  private async retrying<R>(what: string, op: () => Promise<R>): Promise<R> {
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await op();
      } catch (e) {
        const name = kafkaErrorName(e);
        const network = (e as { code?: string }).code === 'PLT_KFK_NETWORK' || (e as { code?: string }).code === 'ECONNREFUSED';
        if (Date.now() > deadline || !(network || (name && RETRIABLE.has(name)))) throw e;
        for (const c of this.connections.values()) c.close().catch(() => undefined);
        this.connections.clear();
        await sleep(Math.min(1000, 50 * 2 ** attempt));
        void what;
      }
    }
  }

  /** Commits (or aborts) a prepared transaction. Committing one already committed succeeds. */
  async endTransaction(c: KafkaCommittable, commit: boolean): Promise<void> {
    await this.retrying('EndTxn', async () => {
      const conn = await this.coordinator(c.transactionalId);
      await endTxnV4.api.async(conn, c.transactionalId, BigInt(c.producerId), c.epoch, commit);
    });
  }

  /**
   * InitProducerId on a transactional id: aborts its open transaction (if any) and fences its
   * producers. Returns the new epoch; 0 means the id had never been used.
   */
  async initProducerId(transactionalId: string, transactionTimeoutMs: number): Promise<{ producerId: bigint; epoch: number }> {
    return this.retrying('InitProducerId', async () => {
      const conn = await this.coordinator(transactionalId);
      const r = await initProducerIdV5.api.async(conn, transactionalId, transactionTimeoutMs, -1n, -1);
      return { producerId: r.producerId, epoch: r.producerEpoch };
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close().catch(() => undefined)));
    this.connections.clear();
  }
}
