/** Two streams for one two-input operator (Flink's ConnectedStreams). */
import { WeirError } from '../errors.js';
import type { DataStream } from './datastream.js';
import { KeyedStream, SingleOutputStreamOperator } from './datastream.js';
import type { StreamExecutionEnvironment } from './environment.js';
import type {
  CoFlatMapFunction,
  CoMapFunction,
  CoProcessFunction,
  CoProcessFunctionLike,
  KeyedCoProcessFunction,
  KeySelector,
} from './functions.js';
import { checkMethods, type Inferred } from './stream-support.js';
import type { OperatorSpec } from './transformation.js';

/** Two streams for one two-input operator; keyed when both sides are keyed (then state and timers work). */
export class ConnectedStreams<A, B> {
  constructor(
    private readonly env: StreamExecutionEnvironment,
    readonly first: DataStream<A>,
    readonly second: DataStream<B>,
  ) {}

  keyBy<K>(key1: KeySelector<A, K>, key2: KeySelector<B, K>): ConnectedStreams<A, B> {
    return new ConnectedStreams<A, B>(this.env, this.first.keyBy(key1), this.second.keyBy(key2));
  }

  private selectors(): (KeySelector<unknown, unknown> | undefined)[] {
    const k1 = this.first instanceof KeyedStream ? (this.first.getKeySelector() as KeySelector<unknown, unknown>) : undefined;
    const k2 = this.second instanceof KeyedStream ? (this.second.getKeySelector() as KeySelector<unknown, unknown>) : undefined;
    return [k1, k2];
  }

  private op<R>(name: string, spec: OperatorSpec): SingleOutputStreamOperator<R> {
    const t = this.env.addTransformation('physical', name, [this.first.transformation, this.second.transformation], spec);
    const ks = this.selectors();
    if (ks[0] || ks[1]) t.keySelectors = ks;
    return new SingleOutputStreamOperator<R>(this.env, t);
  }

  map<R>(fn: CoMapFunction<A, B, R>): SingleOutputStreamOperator<R> {
    return this.op<R>('Co-Map', { type: 'coMap', fn: checkMethods(fn, ['map1', 'map2'], 'map') });
  }
  flatMap<R = Inferred>(fn: CoFlatMapFunction<A, B, R>): SingleOutputStreamOperator<R> {
    return this.op<R>('Co-Flat Map', { type: 'coFlatMap', fn: checkMethods(fn, ['flatMap1', 'flatMap2'], 'flatMap') });
  }
  process<R = Inferred>(
    fn: CoProcessFunction<A, B, R> | KeyedCoProcessFunction<unknown, A, B, R> | CoProcessFunctionLike<A, B, R>,
  ): SingleOutputStreamOperator<R> {
    const f = checkMethods(fn, ['processElement1', 'processElement2'], 'process');
    const [k1, k2] = this.selectors();
    if ((k1 === undefined) !== (k2 === undefined)) {
      throw new WeirError('WEIR_BAD_PIPELINE', 'connect(): key both streams (connect(a.keyBy(..)).. or .keyBy(k1, k2)) or neither');
    }
    return k1 ? this.op<R>('KeyedCo-Process', { type: 'keyedCoProcess', fn: f }) : this.op<R>('Co-Process', { type: 'coProcess', fn: f });
  }
}
