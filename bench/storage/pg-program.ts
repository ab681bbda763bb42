/** The PostgreSQL sink benchmark's job (args: url, table, delivery guarantee, records, upsert 0|1): a generator → PostgresSink at parallelism 1, checkpoints every second. */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { PostgresSink, type DeliveryGuarantee } from 'weir/connectors/postgres';

const [url = '', table = 'bench', guarantee = 'AT_LEAST_ONCE', recordsArg = '200000', upsert = '0'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(1);
env.enableCheckpointing(1000);
env.fromSource(new DataGeneratorSource((i) => i, Number(recordsArg)), WatermarkStrategy.noWatermarks(), 'numbers').sinkTo(
  new PostgresSink<number>({
    url,
    table,
    columns: ['id', 'k', 'v'],
    toRow: (i) => [i, i % 1000, i * 2],
    ...(upsert === '1' ? { keyColumns: ['id'] } : {}),
    batchSize: 1000,
    deliveryGuarantee: guarantee as DeliveryGuarantee,
  }),
);
await env.execute('pg-sink-bench');
