/**
 * Flink DataStream API methods Weir does not have fail with WEIR_UNSUPPORTED_API naming the class,
 * the method and what to use instead, rather than with "x is not a function" (a program ported
 * from Flink, or JavaScript without type checks, reaches them at runtime). A stub is only installed
 * where the class has no such method, so a method Weir implements is never shadowed.
 */
import { WeirError } from '../errors.js';
import { BroadcastConnectedStream, BroadcastStream } from './broadcast.js';
import { ConnectedStreams, DataStream, DataStreamSink, KeyedStream, SingleOutputStreamOperator } from './datastream.js';
import { StreamExecutionEnvironment } from './environment.js';

const SINK = 'use sinkTo() with a Sink (FileSink.jsonLines from weir/connectors/file, or your own Sink)';
const NO_TYPES = 'Weir infers nothing from types: records are JavaScript values';
const NO_RESOURCES = 'Weir schedules one subtask per slot and has no fine-grained resources';

/** Per class: Flink's method name → what to do instead. */
export const UNSUPPORTED_APIS: Record<string, Record<string, string>> = {
  DataStream: {
    project: 'use map() to build the record with the fields you need',
    writeAsText: SINK,
    writeAsCsv: SINK,
    writeToSocket: SINK,
    writeUsingOutputFormat: SINK,
    addSink: SINK + '; SinkFunctions are the legacy sink API',
    collectAsync: 'use executeAndCollect()',
    transform: 'custom StreamOperators are not part of the API: use process() with a (Keyed)ProcessFunction',
    getType: NO_TYPES,
    getExecutionConfig: 'use the configuration (-D key=value or env.configure)',
    getMinResources: NO_RESOURCES,
    getPreferredResources: NO_RESOURCES,
    fullWindowPartition: 'use a bounded stream with keyBy().reduce()/process() in BATCH mode',
  },
  SingleOutputStreamOperator: {
    setUidHash: 'use uid(): Weir matches state to operators by uid',
    setResources: NO_RESOURCES,
    forceNonParallel: 'use setParallelism(1)',
    setBufferTimeout: 'use env.setBufferTimeout() or execution.buffer-timeout',
    returns: NO_TYPES,
    slotSharingGroup: 'every vertex of a job shares slots; there are no slot sharing groups',
    enableAsyncState: 'state access is synchronous in Weir (the lsm backend loads keys ahead)',
    cache: 'cached intermediate results are not supported: run the pipeline again or write to a Sink',
  },
  KeyedStream: {
    getKeyType: NO_TYPES,
    asQueryableState: 'queryable state is not supported (it is deprecated in Flink): write the state out with a Sink',
  },
  ConnectedStreams: {
    transform: 'use process() with a (Keyed)CoProcessFunction',
    getType1: NO_TYPES,
    getType2: NO_TYPES,
  },
  BroadcastConnectedStream: {
    transform: 'use process() with a (Keyed)BroadcastProcessFunction',
    getType1: NO_TYPES,
    getType2: NO_TYPES,
  },
  BroadcastStream: {
    getType: NO_TYPES,
  },
  DataStreamSink: {
    setResources: NO_RESOURCES,
    slotSharingGroup: 'every vertex of a job shares slots; there are no slot sharing groups',
    setUidHash: 'use uid(): Weir matches state to operators by uid',
  },
  StreamExecutionEnvironment: {
    addSource: 'use fromSource(source, watermarkStrategy, name) with a Source (SourceFunctions are the legacy source API)',
    readTextFile: "use fromSource(FileSource.lines(path), WatermarkStrategy.noWatermarks(), 'name') from weir/connectors/file",
    readFile: "use fromSource(FileSource.lines(path), WatermarkStrategy.noWatermarks(), 'name') from weir/connectors/file",
    createInput: 'use fromSource() with a Source',
    generateSequence: 'use fromSequence(from, to)',
    setStateBackend: 'set state.backend.type (hashmap or lsm) in the configuration or with -D',
    enableChangelogStateBackend: 'the changelog state backend is not supported; the lsm backend takes incremental checkpoints',
    setRestartStrategy: 'set restart-strategy.type (and its options) in the configuration or with -D',
    getCheckpointConfig: 'set execution.checkpointing.* options in the configuration or with -D',
    registerTypeWithKryoSerializer: NO_TYPES,
    addDefaultKryoSerializer: NO_TYPES,
    registerJobListener: 'use executeAsync() and the JobClient it resolves with',
    getStreamGraph: 'use weir info <program> for the plan',
    getExecutionPlan: 'use weir info <program> for the plan as JSON',
  },
};

const CLASSES: Record<string, { prototype: object }> = {
  DataStream,
  SingleOutputStreamOperator,
  KeyedStream,
  ConnectedStreams,
  BroadcastConnectedStream,
  BroadcastStream,
  DataStreamSink,
  StreamExecutionEnvironment,
};

/** The error a call of an unsupported Flink method throws. */
export function unsupportedApi(className: string, method: string, hint: string): WeirError {
  return new WeirError(
    'WEIR_UNSUPPORTED_API',
    `${className}.${method}() is part of Flink's DataStream API but is not supported by Weir: ${hint}`,
  );
}

for (const [className, methods] of Object.entries(UNSUPPORTED_APIS)) {
  const proto = CLASSES[className]!.prototype;
  for (const [method, hint] of Object.entries(methods)) {
    if (method in proto) continue;
    Object.defineProperty(proto, method, {
      value: function unsupported(): never {
        throw unsupportedApi(className, method, hint);
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}
