/**
 * Counts consecutive checkpoint failures against `execution.checkpointing.tolerable-failed-checkpoints`
 * (Flink's CheckpointFailureManager): one more than tolerated fails the job over.
 */
import { WeirError } from '../../errors.js';

export class CheckpointFailureManager {
  private consecutive = 0;

  constructor(private readonly tolerable: number) {}

  /** A checkpoint completed: the count starts over. */
  onSuccess(): void {
    this.consecutive = 0;
  }

  /** A checkpoint failed: the error to fail the job with when that is one too many, else undefined. */
  onFailure(reason: string): WeirError | undefined {
    this.consecutive++;
    if (this.consecutive <= this.tolerable) return undefined;
    this.consecutive = 0;
    const what = this.tolerable === 0 ? 'A checkpoint failed' : `More than ${this.tolerable} consecutive checkpoints failed`;
    return new WeirError(
      'WEIR_CHECKPOINT',
      `${what} (execution.checkpointing.tolerable-failed-checkpoints is ${this.tolerable}): ${reason}`,
    );
  }
}
