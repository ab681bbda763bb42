/**
 * The accumulators of one task (Flink's per-task accumulator registry): the operators of its chain
 * register them through their RuntimeContext, and the task reports their local values with its
 * metrics, so the JobManager can merge them per vertex and for the job's result.
 */
import { DoubleCounter, Histogram, IntCounter, LongCounter, type Accumulator, type AccumulatorSnapshot } from '../../api/accumulators.js';
import { WeirError } from '../../errors.js';

export class TaskAccumulators {
  private readonly byName = new Map<string, Accumulator<unknown, unknown>>();

  constructor(private readonly taskName: string) {}

  add<V, R>(name: string, acc: Accumulator<V, R>): void {
    if (typeof name !== 'string' || name === '')
      throw new WeirError('WEIR_USER_FUNCTION', `an accumulator needs a non-empty name (task '${this.taskName}')`);
    if (!acc || typeof (acc as Partial<Accumulator<V, R>>).snapshot !== 'function')
      throw new WeirError(
        'WEIR_USER_FUNCTION',
        `accumulator '${name}' of task '${this.taskName}' is not an accumulator: use IntCounter, LongCounter, DoubleCounter or Histogram from 'weir'`,
      );
    if (this.byName.has(name))
      throw new WeirError('WEIR_USER_FUNCTION', `The accumulator '${name}' already exists in task '${this.taskName}' and cannot be added.`);
    this.byName.set(name, acc as Accumulator<unknown, unknown>);
  }

  get<V, R>(name: string): Accumulator<V, R> | undefined {
    return this.byName.get(name) as Accumulator<V, R> | undefined;
  }

  /** The accumulator under `name`, created by `make` on first use; a different kind there is an error. */
  getOrAdd<A extends Accumulator<never, unknown>>(name: string, kind: new () => A): A {
    const existing = this.byName.get(name);
    if (existing === undefined) {
      const acc = new kind();
      this.byName.set(name, acc as unknown as Accumulator<unknown, unknown>);
      return acc;
    }
    if (!(existing instanceof kind))
      throw new WeirError(
        'WEIR_USER_FUNCTION',
        `accumulator '${name}' of task '${this.taskName}' is a ${existing.snapshot().type}, not a ${kind.name}`,
      );
    return existing;
  }

  /** Local values by name; undefined when the task has none (nothing to report). */
  snapshot(): Record<string, AccumulatorSnapshot> | undefined {
    if (this.byName.size === 0) return undefined;
    const out: Record<string, AccumulatorSnapshot> = {};
    for (const [name, acc] of this.byName) out[name] = acc.snapshot();
    return out;
  }
}

export { DoubleCounter, Histogram, IntCounter, LongCounter };
