/**
 * What a user function sees of the subtask it runs in (Flink's StreamingRuntimeContext): the job,
 * task and subtask, keyed state (only behind keyBy()), the distributed cache, the task's
 * accumulators and the operator's metric group.
 */
import { currentDistributedCache } from '../../api/distributed-cache.js';
import type { RuntimeContext } from '../../api/functions.js';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from '../../api/state.js';
import { WeirError } from '../../errors.js';
import type { MetricGroup } from '../../metrics/group.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { DoubleCounter, Histogram, IntCounter, LongCounter, type TaskAccumulators } from './task-accumulators.js';

/** The subtask and operator a runtime context belongs to. */
export interface RuntimeContextInfo {
  jobId: string;
  taskName: string;
  operatorName: string;
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  attempt: number;
}

export function streamingRuntimeContext(
  info: RuntimeContextInfo,
  backend: KeyedStateBackend | undefined,
  accumulators: TaskAccumulators,
  metricGroup: MetricGroup,
): RuntimeContext {
  const state = <S>(d: StateDescriptor): S => {
    if (!backend) {
      throw new WeirError(
        'WEIR_STATE_ACCESS',
        `operator '${info.operatorName}' used keyed state '${d.name}' but its input is not keyed: call keyBy() before it`,
      );
    }
    return backend.getState(d) as S;
  };
  return {
    getJobId: () => info.jobId,
    getTaskName: () => info.taskName,
    getIndexOfThisSubtask: () => info.subtask,
    getNumberOfParallelSubtasks: () => info.parallelism,
    getMaxNumberOfParallelSubtasks: () => info.maxParallelism,
    getAttemptNumber: () => info.attempt,
    getState: <T>(d: ValueStateDescriptor<T>) => state(d),
    getListState: <T>(d: ListStateDescriptor<T>) => state(d),
    getMapState: <K, V>(d: MapStateDescriptor<K, V>) => state(d),
    getReducingState: <T>(d: ReducingStateDescriptor<T>) => state(d),
    getAggregatingState: <IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>) => state(d),
    getDistributedCache: currentDistributedCache,
    addAccumulator: (name, acc) => accumulators.add(name, acc),
    getAccumulator: (name) => accumulators.get(name),
    getIntCounter: (name) => accumulators.getOrAdd(name, IntCounter),
    getLongCounter: (name) => accumulators.getOrAdd(name, LongCounter),
    getDoubleCounter: (name) => accumulators.getOrAdd(name, DoubleCounter),
    getHistogram: (name) => accumulators.getOrAdd(name, Histogram),
    getMetricGroup: () => metricGroup,
  } as RuntimeContext;
}
