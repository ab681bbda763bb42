/**
 * The transport contract between the two ends of a channel: a producer's subpartition sends data
 * and events through a FrameSink, a consumer's input channel sends credits back through one. The
 * ConnectionManager provides the sinks (a worker's own queue, a MessagePort, or a relay over TCP).
 */
import type { Frame } from './events.js';

export interface FrameSink {
  send(frame: Frame): void;
}
