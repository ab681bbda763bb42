/**
 * The job's status as a table-driven state machine (Flink's JobStatus transitions, listed in
 * job-status.ts). A transition the table does not list from the current status is an event that
 * does not apply there: it is ignored (logged at debug), never an exception, so a late or
 * duplicate event cannot take the JobManager down.
 */
import type { JobStatus } from '../../api/job-client.js';
import type { SerializedError } from '../../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../rpc/transport.js';
import { JOB_TRANSITIONS } from './job-status.js';

export class JobStateMachine {
  private current: JobStatus = 'INITIALIZING';
  readonly timestamps: Partial<Record<JobStatus, number>> = {};

  constructor(
    private readonly job: { jobId: string; jobName: string },
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    this.timestamps.INITIALIZING = clock.now();
  }

  get status(): JobStatus {
    return this.current;
  }

  /** Switches to `to` if the table allows it from the current status; returns whether it did. */
  transition(to: JobStatus, cause?: SerializedError): boolean {
    const from = this.current;
    const { jobId, jobName } = this.job;
    if (!JOB_TRANSITIONS[from].includes(to)) {
      this.log.debug(`Job ${jobName} (${jobId}) is ${from}: a switch to ${to} does not apply there and is ignored.`);
      return false;
    }
    this.current = to;
    this.timestamps[to] = this.clock.now();
    // Flink's wording, so that log searches written for Flink find these lines.
    const line = `Job ${jobName} (${jobId}) switched from state ${from} to ${to}.`;
    if (cause) this.log[to === 'FAILED' ? 'error' : 'warn'](`${line} Cause: ${causeLine(cause)}`);
    else this.log.info(line);
    return true;
  }
}

/** A failure cause on one line: its code and message (which names the operator and subtask). */
export function causeLine(e: SerializedError): string {
  return `${e.code}: ${e.message.replace(/\s*\n\s*/g, ' ')}`;
}
