/**
 * PostgresSink: rows into a PostgreSQL table through node-postgres, in batches (one multi-row
 * INSERT per batch). Delivery guarantees (Flink's DeliveryGuarantee):
 *
 * - AT_LEAST_ONCE: batches are written as they fill and at every checkpoint. With `keyColumns`,
 *   each batch is an upsert (INSERT ... ON CONFLICT (key) DO UPDATE), so rows replayed after a
 *   failure overwrite what they wrote before: the table ends exactly once when the key identifies
 *   a record's effect (idempotent writes).
 * - EXACTLY_ONCE: two-phase commit with PostgreSQL's prepared transactions. What a subtask writes
 *   between two checkpoint barriers goes into one transaction; at the barrier it is prepared
 *   (PREPARE TRANSACTION '<gid>'), the gid is kept in the checkpoint, and the committer runs
 *   COMMIT PREPARED when the checkpoint completes or after a restore from it. A new attempt rolls
 *   back the prepared transactions of this subtask that no completed checkpoint refers to. Needs
 *   max_prepared_transactions > 0 on the server.
 */
import pg from 'pg';
import type { Committer, Sink, SinkWriter, SinkWriterContext } from '../../api/sink.js';
import { WeirError } from '../../errors.js';

export type DeliveryGuarantee = 'AT_LEAST_ONCE' | 'EXACTLY_ONCE';

export interface PostgresSinkOptions<T> {
  /** A PostgreSQL connection URI: postgresql://user:password@host:port/database. */
  url: string;
  table: string;
  columns: readonly string[];
  /** The values of `columns` for a record. */
  toRow: (record: T) => readonly unknown[];
  /** Columns of a unique key: rows become upserts on it (idempotent). */
  keyColumns?: readonly string[];
  /** Rows per INSERT statement (default 500). */
  batchSize?: number;
  deliveryGuarantee?: DeliveryGuarantee;
}

/** A prepared transaction to commit: what an exactly-once checkpoint keeps. */
export interface PreparedTransaction {
  gid: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((p) => `"${p}"`)
    .join('.');
}

function pgError(e: unknown, action: string, url: string): WeirError {
  if (e instanceof WeirError) return e;
  const err = e as { message?: string; code?: string };
  const where = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return new WeirError(
    'WEIR_JOB_FAILED',
    `PostgresSink cannot ${action} (${where}): ${err.message ?? String(e)}${err.code ? ` [SQLSTATE ${err.code}]` : ''}`,
    {},
    { cause: e },
  );
}

export class PostgresSink<T> implements Sink<T, PreparedTransaction, never> {
  readonly options: Required<Omit<PostgresSinkOptions<T>, 'keyColumns'>> & { keyColumns: readonly string[] };

  constructor(options: PostgresSinkOptions<T>) {
    const bad = (msg: string): never => {
      throw new WeirError('WEIR_BAD_PIPELINE', `PostgresSink: ${msg}`);
    };
    if (typeof options?.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.url)) bad('url must be a postgresql:// URI');
    if (typeof options.table !== 'string' || !IDENT.test(options.table))
      bad(`table '${options.table}' is not a table name ([schema.]name)`);
    if (!Array.isArray(options.columns) || options.columns.length === 0) bad('columns must name at least one column');
    for (const c of [...options.columns, ...(options.keyColumns ?? [])])
      if (typeof c !== 'string' || !IDENT.test(c) || c.includes('.')) bad(`'${c}' is not a column name`);
    for (const k of options.keyColumns ?? []) if (!options.columns.includes(k)) bad(`key column '${k}' is not one of the columns`);
    if (typeof options.toRow !== 'function') bad('toRow must be a function from a record to its column values');
    const batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize * options.columns.length > 65535)
      bad(`batchSize must be a positive integer with batchSize × columns ≤ 65535 (PostgreSQL's parameter limit), got ${batchSize}`);
    const guarantee = options.deliveryGuarantee ?? 'AT_LEAST_ONCE';
    if (guarantee !== 'AT_LEAST_ONCE' && guarantee !== 'EXACTLY_ONCE')
      bad(`deliveryGuarantee must be AT_LEAST_ONCE or EXACTLY_ONCE, got ${String(guarantee)}`);
    this.options = { ...options, keyColumns: options.keyColumns ?? [], batchSize, deliveryGuarantee: guarantee };
  }

  /** The INSERT (or upsert) of `rows` rows. */
  insertSql(rows: number): string {
    const { table, columns, keyColumns } = this.options;
    const n = columns.length;
    const values: string[] = [];
    for (let r = 0; r < rows; r++) values.push(`(${columns.map((_, c) => `$${r * n + c + 1}`).join(', ')})`);
    let sql = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES ${values.join(', ')}`;
    if (keyColumns.length > 0) {
      const rest = columns.filter((c) => !keyColumns.includes(c));
      sql += ` ON CONFLICT (${keyColumns.map(quoteIdent).join(', ')}) DO ${
        rest.length === 0 ? 'NOTHING' : `UPDATE SET ${rest.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`
      }`;
    }
    return sql;
  }

  async createWriter(ctx: SinkWriterContext): Promise<SinkWriter<T, PreparedTransaction, never>> {
    const client = new pg.Client({ connectionString: this.options.url });
    try {
      await client.connect();
    } catch (e) {
      throw pgError(e, 'connect', this.options.url);
    }
    client.on('error', () => undefined); // a lost connection fails the next query, which fails the task
    if (this.options.deliveryGuarantee === 'EXACTLY_ONCE' && ctx.checkpointing) {
      const prefix = gidPrefix(ctx.jobId, ctx.subtaskIndex);
      await rollbackLeftovers(client, prefix, ctx.attempt, ctx.restoredCheckpointId !== undefined, this.options.url);
      return new TwoPhaseWriter<T>(this, client, `${prefix}${ctx.attempt}-`);
    }
    return new BatchWriter<T>(this, client);
  }

  createCommitter(): Committer<PreparedTransaction> {
    const url = this.options.url;
    let client: pg.Client | undefined;
    return {
      async commit(txs: PreparedTransaction[]): Promise<void> {
        if (txs.length === 0) return;
        if (!client) {
          client = new pg.Client({ connectionString: url });
          client.on('error', () => undefined);
          try {
            await client.connect();
          } catch (e) {
            client = undefined;
            throw pgError(e, 'connect', url);
          }
        }
        for (const t of txs) {
          try {
            await client.query(`COMMIT PREPARED '${t.gid}'`);
          } catch (e) {
            // 42704: no such prepared transaction: committed already (a commit is retried after a restore).
            if ((e as { code?: string }).code === '42704') continue;
            throw pgError(e, `commit the prepared transaction ${t.gid}`, url);
          }
        }
      },
      async close(): Promise<void> {
        await client?.end().catch(() => undefined);
        client = undefined;
      },
    };
  }

  describe(): string {
    return `PostgresSink(${this.options.table}, ${this.options.deliveryGuarantee})`;
  }

  outputLocation(): string {
    return `${this.options.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')} table ${this.options.table}`;
  }
}

/** The gid prefix of a subtask's prepared transactions: weir-<jobId>-<subtask>-<attempt>-<n>. */
function gidPrefix(jobId: string, subtask: number): string {
  return `weir-${jobId.replace(/[^A-Za-z0-9]/g, '')}-${subtask}-`;
}

/**
 * Rolls back this subtask's prepared transactions that no completed checkpoint refers to: all of
 * them after a restore (the restored checkpoint's were committed before the writer is created),
 * else those of earlier attempts.
 */
async function rollbackLeftovers(client: pg.Client, prefix: string, attempt: number, restored: boolean, url: string): Promise<void> {
  let rows: { gid: string }[];
  try {
    rows = (await client.query<{ gid: string }>('SELECT gid FROM pg_prepared_xacts WHERE starts_with(gid, $1)', [prefix])).rows;
  } catch (e) {
    throw pgError(e, 'list prepared transactions', url);
  }
  for (const { gid } of rows) {
    const m = /^(\d+)-\d+$/.exec(gid.slice(prefix.length));
    if (!m || (!restored && Number(m[1]) >= attempt)) continue;
    try {
      await client.query(`ROLLBACK PREPARED '${gid}'`);
    } catch (e) {
      if ((e as { code?: string }).code !== '42704') throw pgError(e, `roll back the prepared transaction ${gid}`, url);
    }
  }
}

/**
 * Buffers rows and writes a batch when it is full, at each checkpoint (flush) and at end of input.
 * Statements are issued synchronously into a queue that runs them in order on the connection, so
 * what a checkpoint's transaction holds is decided when the barrier is processed, not when
 * earlier statements finish.
 */
class BatchWriter<T> implements SinkWriter<T, PreparedTransaction, never> {
  protected rows: unknown[] = [];
  protected count = 0;
  /** The last statement issued (settled: failures are reported through the promise that issued it). */
  protected last: Promise<void> = Promise.resolve();
  private queue: Promise<void> = Promise.resolve();
  private readonly full: string;

  constructor(
    protected readonly sink: PostgresSink<T>,
    protected readonly client: pg.Client,
  ) {
    this.full = sink.insertSql(sink.options.batchSize);
  }

  write(element: T): void | Promise<void> {
    const row = this.sink.options.toRow(element);
    if (!Array.isArray(row) || row.length !== this.sink.options.columns.length) {
      throw new WeirError(
        'WEIR_JOB_FAILED',
        `PostgresSink: toRow returned ${Array.isArray(row) ? `${row.length} values` : typeof row} for ${this.sink.options.columns.length} columns`,
      );
    }
    for (const v of row) this.rows.push(v);
    if (++this.count >= this.sink.options.batchSize) return this.writeBatch();
  }

  /** Issues the INSERT of the buffered rows now; the promise settles when it ran. */
  protected writeBatch(): Promise<void> {
    if (this.count === 0) return this.last;
    const sql = this.count === this.sink.options.batchSize ? this.full : this.sink.insertSql(this.count);
    const params = this.rows;
    this.rows = [];
    this.count = 0;
    const before = this.beforeBatch();
    const insert = this.run(sql, params, `write to ${this.sink.options.table}`);
    return (this.last = before ? Promise.all([before, insert]).then(() => undefined) : insert);
  }

  /** Issued before each INSERT (the exactly-once writer opens its transaction here). */
  protected beforeBatch(): Promise<void> | undefined {
    return undefined;
  }

  /** Runs statements one after another on the connection, in the order they were issued. */
  protected run(sql: string, params: unknown[] | undefined, action: string): Promise<void> {
    const p = this.queue.then(() =>
      this.client.query(sql, params).then(
        () => undefined,
        (e: unknown) => {
          throw pgError(e, action, this.sink.options.url);
        },
      ),
    );
    this.queue = p.catch(() => undefined);
    p.catch(() => undefined); // reported by whoever awaits it
    return p;
  }

  async flush(): Promise<void> {
    await this.writeBatch();
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** Exactly once: the rows between two barriers in one transaction, prepared at the barrier. */
class TwoPhaseWriter<T> extends BatchWriter<T> {
  /** A transaction is open on the connection (decided when statements are issued, not when they finish). */
  private open = false;

  constructor(
    sink: PostgresSink<T>,
    client: pg.Client,
    private readonly gidPrefix: string,
  ) {
    super(sink, client);
  }

  protected override beforeBatch(): Promise<void> | undefined {
    if (this.open) return undefined;
    this.open = true;
    return this.run('BEGIN', undefined, 'begin a transaction');
  }

  /** Called right after flush(false) at the barrier: everything written so far goes into the prepared transaction. */
  prepareCommit(checkpointId: number): Promise<PreparedTransaction[]> {
    const written = this.writeBatch();
    if (!this.open) return written.then(() => []);
    this.open = false;
    const gid = `${this.gidPrefix}${checkpointId}`;
    const prepared = this.run(`PREPARE TRANSACTION '${gid}'`, undefined, 'prepare a transaction (is max_prepared_transactions > 0?)');
    this.last = prepared;
    return Promise.all([written, prepared]).then(() => [{ gid }]);
  }

  override async close(): Promise<void> {
    // An open transaction is rolled back with the connection: its rows are replayed from the checkpoint.
    await this.client.end().catch(() => undefined);
  }
}
