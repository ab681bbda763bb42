/**
 * ExecutionConfig (Flink's `env.getConfig()`): settings of how a job's records are handled. It
 * writes through to the environment's configuration (`pipeline.object-reuse`), so a key set with
 * `configure()` or `-D` and a call here are the same setting.
 */
export class ExecutionConfig {
  constructor(private readonly config: Record<string, unknown>) {}

  /**
   * Records passed by reference between tasks that share a thread (an in-thread exchange, e.g. a
   * keyBy at parallelism 1) are handed over as they are instead of copied when emitted. Safe only
   * when no function changes a record after emitting it, nor one it received (Flink's object reuse
   * contract); off by default.
   */
  enableObjectReuse(): this {
    this.config['pipeline.object-reuse'] = true;
    return this;
  }

  disableObjectReuse(): this {
    this.config['pipeline.object-reuse'] = false;
    return this;
  }

  isObjectReuseEnabled(): boolean {
    const v = this.config['pipeline.object-reuse'];
    return v === true || String(v).toLowerCase() === 'true';
  }
}
