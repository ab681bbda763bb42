/**
 * Writer state of sinks that keep one state per subtask (a transaction sequence, a publish
 * counter). On restore the runtime divides the checkpoint's writer states among the new subtasks;
 * after a rescale down, a subtask also receives the states of subtasks that no longer exist, whose
 * leftovers (open transactions, say) it must clean up, while it never touches a live subtask's.
 */
import type { SinkWriterContext } from '../../api/sink.js';

export interface SubtaskWriterState {
  readonly subtask: number;
}

export interface RestoredWriterStates<S extends SubtaskWriterState> {
  /** This subtask's own state from the checkpoint, if it had one. */
  readonly own: S | undefined;
  /** States of subtasks at or above the new parallelism: gone, so this subtask cleans up after them. */
  readonly vanished: S[];
}

/** Sorts the restored states this subtask received into its own and those of vanished subtasks. */
export function restoredWriterStates<S extends SubtaskWriterState>(
  ctx: Pick<SinkWriterContext, 'subtaskIndex' | 'parallelism'>,
  restored: readonly S[] | undefined,
): RestoredWriterStates<S> {
  const states = restored ?? [];
  return {
    own: states.find((s) => s.subtask === ctx.subtaskIndex),
    vanished: states.filter((s) => s.subtask !== ctx.subtaskIndex && s.subtask >= ctx.parallelism),
  };
}
