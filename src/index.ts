/**
 * What programs import from 'weir' (DESIGN §5). Connectors live under 'weir/connectors/*'.
 */
// Registers the local executor and the cluster clients the lower layers look up (composition root).
import './bootstrap.js';
// Flink methods Weir does not have throw WEIR_UNSUPPORTED_API instead of "is not a function".
import './api/unsupported.js';

export { StreamExecutionEnvironment, type RuntimeExecutionMode } from './api/environment.js';
export { ExecutionConfig } from './api/execution-config.js';
export { DataStream, SingleOutputStreamOperator, DataStreamSink, KeyedStream, WindowedStream, ConnectedStreams } from './api/datastream.js';
export type { IterativeStream } from './api/datastream.js';
export {
  AbstractRichFunction,
  RichMapFunction,
  RichFilterFunction,
  RichFlatMapFunction,
  ProcessFunction,
  KeyedProcessFunction,
  CoProcessFunction,
  KeyedCoProcessFunction,
  ProcessWindowFunction,
  ProcessAllWindowFunction,
  RichCoMapFunction,
  RichCoFlatMapFunction,
} from './api/functions.js';
export type {
  Collector,
  RuntimeContext,
  RichFunction,
  MapFunction,
  FilterFunction,
  FlatMapFunction,
  ReduceFunction,
  KeySelector,
  TimerService,
  TimeDomain,
  ProcessContext,
  KeyedProcessContext,
  OnTimerContext,
  AggregateFunction,
  ProcessWindowContext,
  CoMapFunction,
  CoFlatMapFunction,
  KeyedStateStore,
} from './api/functions.js';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  StateDescriptor,
} from './api/state.js';
export type { ValueState, ListState, MapState, ReducingState, AggregatingState, State } from './api/state.js';
export {
  StateTtlConfig,
  StateTtlConfigBuilder,
  type TtlUpdateType,
  type TtlStateVisibility,
  type TtlCleanupStrategies,
  type TtlTimeProvider,
} from './api/state-ttl.js';
export {
  WatermarkStrategy,
  BoundedOutOfOrdernessWatermarks,
  WatermarksWithIdleness,
  toMillis,
  MAX_WATERMARK,
  MIN_WATERMARK,
  type Duration,
  type WatermarkGenerator,
  type WatermarkOutput,
  type TimestampAssigner,
} from './api/time.js';
export {
  TimeWindow,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  type WindowAssigner,
} from './api/windows.js';
export { OutputTag } from './api/output-tag.js';
export { AllWindowedStream } from './api/windowing/all-windowed-stream.js';
export {
  Trigger,
  TriggerResult,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  ContinuousEventTimeTrigger,
  DeltaTrigger,
  PurgingTrigger,
  type TriggerContext,
  type OnMergeContext,
  type DeltaFunction,
} from './api/windowing/triggers.js';
export { CountEvictor, TimeEvictor, DeltaEvictor, TimestampedValue, type Evictor, type EvictorContext } from './api/windowing/evictors.js';
export {
  GlobalWindow,
  GlobalWindows,
  DynamicEventTimeSessionWindows,
  DynamicProcessingTimeSessionWindows,
  type Window,
  type SessionWindowTimeGapExtractor,
} from './api/windowing/window.js';
export { JoinedStreams, CoGroupedStreams } from './api/joins/window-join.js';
export { IntervalJoin, IntervalJoined } from './api/joins/interval-join.js';
export {
  RichJoinFunction,
  RichFlatJoinFunction,
  RichCoGroupFunction,
  ProcessJoinFunction,
  type JoinFunction,
  type FlatJoinFunction,
  type CoGroupFunction,
  type ProcessJoinContext,
} from './api/joins/join-functions.js';
export {
  AsyncDataStream,
  RichAsyncFunction,
  AsyncRetryStrategies,
  RetryPredicates,
  AsyncTimeoutError,
  DEFAULT_ASYNC_CAPACITY,
  type AsyncFunction,
  type AsyncFunctionObject,
  type ResultFuture,
  type AsyncRetryStrategy,
  type AsyncRetryPredicate,
  type AsyncOutputMode,
  type TimeUnit,
} from './api/async.js';
export {
  BroadcastStream,
  BroadcastConnectedStream,
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  type BroadcastState,
  type ReadOnlyBroadcastState,
  type ReadOnlyContext,
  type BroadcastContext,
  type KeyedReadOnlyContext,
  type KeyedBroadcastContext,
  type KeyedBroadcastOnTimerContext,
  type KeyedStateFunction,
} from './api/broadcast.js';
export { DistributedCache } from './api/distributed-cache.js';
export { DoubleCounter, Histogram, IntCounter, LongCounter } from './api/accumulators.js';
export type { Accumulator, AccumulatorSnapshot, AccumulatorType } from './api/accumulators.js';
export type {
  Source,
  SourceSplit,
  SourceReader,
  SplitEnumerator,
  SplitEnumeratorContext,
  SourceReaderContext,
  ReaderOutput,
  SourceOutput,
  InputStatus,
  Boundedness,
} from './api/source.js';
export type { Committer, Sink, SinkWriter, SinkWriterContext } from './api/sink.js';
export type { JobClient, JobExecutionResult, JobStatus, StopWithSavepointOptions } from './api/job-client.js';
export type { CheckpointingMode } from './api/execution-context.js';
export { WeirError, ERROR_CODES, type ErrorCode } from './errors.js';
// Flink has two Histograms (an accumulator and a metric); the accumulator keeps the name, as a class programs create.
export type { Counter, Gauge, Meter, Histogram as MetricHistogram, HistogramStatistics, MetricGroup } from './api/metrics.js';
export { SimpleCounter, MeterView, DescriptiveStatisticsHistogram } from './metrics/types.js';
