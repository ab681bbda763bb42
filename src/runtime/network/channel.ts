/**
 * The transport contract between the two ends of a channel: a producer's subpartition sends data
 * and events through a FrameSink, a consumer's input channel sends credits back through one. The
 * ConnectionManager provides the sinks (a worker's own queue, a MessagePort, or a relay over TCP).
 */
import type { JobGraph, JobVertex } from '../../graph/job-graph.js';
import type { StreamGraph } from '../../graph/stream-graph.js';
import type { ConnectionManager } from './connection-manager.js';
import type { LocalFrame } from './events.js';

export interface FrameSink {
  /** A RecordsFrame only to a peer in this thread (an in-thread exchange). */
  send(frame: LocalFrame): void;
}

/** Where a task's channels are: its job and subtask, its peers' workers, the connections and the buffer settings. */
export interface TaskNetworkContext {
  readonly jobId: string;
  readonly attempt: number;
  readonly jobGraph: JobGraph;
  readonly streamGraph: StreamGraph;
  readonly vertex: JobVertex;
  readonly subtask: number;
  /** Worker address of every subtask of every vertex: locations[vertexId][subtask]. */
  readonly locations: Readonly<Record<string, readonly string[]>>;
  readonly connections: ConnectionManager;
  readonly settings: NetworkSettings;
}

/** Buffer sizes and credits (taskmanager.network.* and execution.buffer-timeout). */
export interface NetworkSettings {
  readonly bufferSize: number;
  /** Subpartition backlog at which the producer stops (backpressure). */
  readonly maxBuffersPerChannel: number;
  /** Exclusive credits of each input channel. */
  readonly buffersPerChannel: number;
  /** Credits shared among a gate's channels. */
  readonly floatingBuffersPerGate: number;
  /** Channels whose producer and consumer share a thread pass records by reference (default true). */
  readonly inThreadByReference?: boolean;
  /** pipeline.object-reuse: records on in-thread exchanges are not copied (default false). */
  readonly objectReuse?: boolean;
}
