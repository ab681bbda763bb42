/**
 * What programs import from 'weir' (DESIGN §5). Connectors live under 'weir/connectors/*'.
 */
// Registers the local executor and the cluster clients the lower layers look up (composition root).
import './bootstrap.js';

export { StreamExecutionEnvironment, type RuntimeExecutionMode } from './api/environment.js';
export { DataStream, SingleOutputStreamOperator, DataStreamSink, KeyedStream, WindowedStream, ConnectedStreams } from './api/datastream.js';
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
export { DistributedCache } from './api/distributed-cache.js';
export type {
  Source,
  SourceSplit,
  SourceReader,
  SplitEnumerator,
  SplitEnumeratorContext,
  SourceReaderContext,
  ReaderOutput,
  InputStatus,
  Boundedness,
} from './api/source.js';
export type { Committer, Sink, SinkWriter, SinkWriterContext } from './api/sink.js';
export type { JobClient, JobExecutionResult, JobStatus, StopWithSavepointOptions } from './api/job-client.js';
export type { CheckpointingMode } from './api/execution-context.js';
export { WeirError, ERROR_CODES, type ErrorCode } from './errors.js';
export type { Counter, Gauge, Meter, Histogram, HistogramStatistics, MetricGroup } from './api/metrics.js';
export { SimpleCounter, MeterView, DescriptiveStatisticsHistogram } from './metrics/types.js';
