/** weir/connectors/postgres: a PostgreSQL sink (batched inserts or upserts, exactly-once by two-phase commit) and a bounded source. */
export { PostgresSink, type DeliveryGuarantee, type PostgresSinkOptions, type PreparedTransaction } from './postgres-sink.js';
