/**
 * StreamExecutionEnvironment: where a program declares sources and settings and calls execute().
 * It only records transformations; execute() hands them, with the settings, to the installed
 * PipelineExecutor (see execution-context.ts) and forgets them, so each execute() submits the
 * pipelines declared since the previous one, as in Flink.
 */
import { registerType, type RecordClass } from './type-registry.js';
import { ExecutionConfig } from './execution-config.js';
import { WeirError } from '../errors.js';
import { SingleOutputStreamOperator } from './datastream.js';
import {
  getDefaultPipelineExecutor,
  getPipelineExecutorFactory,
  nextExecutionIndex,
  type CheckpointingMode,
  type EnvironmentSettings,
  type Pipeline,
  type PipelineExecutor,
} from './execution-context.js';
import type { JobClient, JobExecutionResult } from './job-client.js';
import type { Source } from './source.js';
import { toMillis, WatermarkStrategy, type Duration } from './time.js';
import { Transformation, type OperatorSpec, type TransformationKind } from './transformation.js';
import { CollectionSource, NumberSequenceSource } from '../connectors/collection/index.js';
import { SocketTextSource } from '../connectors/socket/index.js';

export type RuntimeExecutionMode = 'STREAMING' | 'BATCH' | 'AUTOMATIC';

export class StreamExecutionEnvironment {
  private nextId = 0;
  private sinks: Transformation[] = [];
  private collectCounter = 0;
  private readonly settings: EnvironmentSettings = {
    parallelism: undefined,
    maxParallelism: undefined,
    runtimeMode: undefined,
    checkpointInterval: undefined,
    checkpointingMode: undefined,
    bufferTimeout: undefined,
    autoWatermarkInterval: undefined,
    chainingEnabled: true,
    config: {},
    cachedFiles: [],
  };

  private constructor(private readonly executorFactory: () => PipelineExecutor | Promise<PipelineExecutor>) {}

  /** The environment of the context the program runs in: `weir run`, a TaskManager slot, or an embedded local cluster. */
  static getExecutionEnvironment(config: Record<string, unknown> = {}): StreamExecutionEnvironment {
    const factory = getPipelineExecutorFactory();
    const env = new StreamExecutionEnvironment(
      factory ??
        (() => {
          const load = getDefaultPipelineExecutor();
          if (!load) {
            throw new WeirError(
              'WEIR_INTERNAL',
              "no pipeline executor is registered: import StreamExecutionEnvironment from 'weir' (the package's entry registers the local one)",
            );
          }
          return load();
        }),
    );
    env.configure(config);
    return env;
  }

  /** Sets configuration keys for this program's jobs (same keys as conf/config.yaml). */
  configure(config: Record<string, unknown>): this {
    Object.assign(this.settings.config, config);
    return this;
  }

  /** The job's ExecutionConfig (object reuse); it writes into this environment's configuration. */
  getConfig(): ExecutionConfig {
    return new ExecutionConfig(this.settings.config);
  }

  setParallelism(parallelism: number): this {
    checkParallelism(parallelism, 'setParallelism');
    this.settings.parallelism = parallelism;
    return this;
  }
  getParallelism(): number | undefined {
    return this.settings.parallelism;
  }
  setMaxParallelism(maxParallelism: number): this {
    checkParallelism(maxParallelism, 'setMaxParallelism');
    this.settings.maxParallelism = maxParallelism;
    return this;
  }
  setRuntimeMode(mode: RuntimeExecutionMode): this {
    if (mode !== 'STREAMING' && mode !== 'BATCH' && mode !== 'AUTOMATIC') {
      throw new WeirError('WEIR_BAD_PIPELINE', `setRuntimeMode: expected 'STREAMING', 'BATCH' or 'AUTOMATIC', got '${String(mode)}'`);
    }
    this.settings.runtimeMode = mode === 'AUTOMATIC' ? undefined : mode;
    this.autoMode = mode === 'AUTOMATIC';
    return this;
  }
  /** @internal AUTOMATIC resolves to BATCH when every source is bounded. */
  autoMode = false;

  enableCheckpointing(interval: Duration, mode: CheckpointingMode = 'EXACTLY_ONCE'): this {
    this.settings.checkpointInterval = toMillis(interval, 'checkpoint interval');
    this.settings.checkpointingMode = mode;
    return this;
  }
  setBufferTimeout(timeout: Duration): this {
    this.settings.bufferTimeout = toMillis(timeout, 'buffer timeout');
    return this;
  }
  /** How often sources and timestamp assigners emit periodic watermarks (pipeline.auto-watermark-interval). */
  setAutoWatermarkInterval(interval: Duration): this {
    this.settings.autoWatermarkInterval = toMillis(interval, 'auto watermark interval');
    return this;
  }
  /**
   * Registers a class whose instances are records or state (Flink's registered POJO types): they
   * keep their class and methods across exchanges, checkpoints and savepoints. Instances of a class
   * that is not registered fail the job with WEIR_UNREGISTERED_CLASS.
   */
  registerType(cls: RecordClass, name?: string): this {
    registerType(cls, name);
    return this;
  }

  disableOperatorChaining(): this {
    this.settings.chainingEnabled = false;
    return this;
  }

  /**
   * Registers a file or directory for the distributed cache (Flink's registerCachedFile): it is
   * shipped with every job this environment executes, and tasks read their local copy with
   * `getRuntimeContext().getDistributedCache().getFile(name)`. A relative path resolves against
   * the directory the program runs in; `executable` makes the copy of a file executable.
   */
  registerCachedFile(filePath: string, name: string, executable = false): this {
    if (typeof filePath !== 'string' || filePath === '')
      throw new WeirError('WEIR_CACHED_FILE', `registerCachedFile: the path must be a non-empty string (name '${String(name)}')`);
    if (typeof name !== 'string' || name === '')
      throw new WeirError('WEIR_CACHED_FILE', `registerCachedFile('${filePath}', ...): the name must be a non-empty string`);
    const taken = this.settings.cachedFiles.find((f) => f.name === name);
    if (taken) {
      throw new WeirError(
        'WEIR_CACHED_FILE',
        `registerCachedFile('${filePath}', '${name}'): the name '${name}' is already registered for '${taken.path}': give each cached file its own name`,
      );
    }
    this.settings.cachedFiles.push({ name, path: filePath, executable: executable === true });
    return this;
  }

  fromSource<T>(
    source: Source<T, never, unknown> | Source<T>,
    watermarkStrategy: WatermarkStrategy<T>,
    name: string,
  ): SingleOutputStreamOperator<T> {
    const src = source as Source<unknown>;
    // As in Flink, the watermark strategy runs inside the source operator (per reader), so name,
    // uid and setParallelism on the returned stream are the source's.
    const strategy =
      watermarkStrategy.emitsWatermarks || watermarkStrategy.timestampAssigner
        ? (watermarkStrategy as WatermarkStrategy<unknown>)
        : undefined;
    const t = this.addTransformation('physical', name || 'Source', [], { type: 'source', source: src, watermarkStrategy: strategy });
    if (src.fixedParallelism !== undefined) t.parallelism = src.fixedParallelism;
    t.chainingStrategy = 'HEAD';
    return new SingleOutputStreamOperator<T>(this, t);
  }

  /** A bounded stream of the given items, in order (parallelism 1, as Flink's fromData). */
  fromData<T>(...items: T[]): SingleOutputStreamOperator<T> {
    return this.fromSource(new CollectionSource<T>(items), WatermarkStrategy.noWatermarks<T>(), 'Collection Source');
  }
  /** Flink's older name for fromData: the given items, in order, at parallelism 1. */
  fromElements<T>(...items: T[]): SingleOutputStreamOperator<T> {
    return this.fromData<T>(...items);
  }
  /** Same as fromData, for an existing collection. */
  fromCollection<T>(items: Iterable<T>): SingleOutputStreamOperator<T> {
    return this.fromSource(new CollectionSource<T>([...items]), WatermarkStrategy.noWatermarks<T>(), 'Collection Source');
  }
  /** The numbers from..to inclusive, split across parallel readers. */
  fromSequence(from: number, to: number): SingleOutputStreamOperator<number> {
    return this.fromSource(new NumberSequenceSource(from, to), WatermarkStrategy.noWatermarks<number>(), 'Sequence Source');
  }
  /** Lines read from a TCP server (Flink's socketTextStream); ends when the server closes the connection. */
  socketTextStream(host: string, port: number, delimiter = '\n'): SingleOutputStreamOperator<string> {
    return this.fromSource(new SocketTextSource(host, port, delimiter), WatermarkStrategy.noWatermarks<string>(), 'Socket Stream');
  }

  /** Runs the pipelines declared so far and resolves when the job ends. */
  async execute(jobName = 'Weir Streaming Job'): Promise<JobExecutionResult> {
    const client = await this.submit(jobName, false);
    return client.getJobExecutionResult();
  }

  /** Submits the pipelines declared so far and resolves at once with a JobClient. */
  async executeAsync(jobName = 'Weir Streaming Job'): Promise<JobClient> {
    return this.submit(jobName, true);
  }

  /** @internal */
  addTransformation(
    kind: TransformationKind,
    name: string,
    inputs: Transformation[],
    operator: OperatorSpec | undefined,
    extra?: Partial<Pick<Transformation, 'partitioner' | 'outputTag'>>,
  ): Transformation {
    for (const i of inputs) {
      if (!(i instanceof Transformation))
        throw new WeirError('WEIR_BAD_PIPELINE', `operator '${name}' got an input that is not a stream of this environment`);
    }
    return new Transformation(this.nextId++, kind, name, inputs, operator, extra?.partitioner, extra?.outputTag);
  }

  /** @internal */
  registerSink(t: Transformation): void {
    this.sinks.push(t);
  }

  /** @internal A deterministic id for an executeAndCollect() sink. */
  nextCollectId(): string {
    return `collect-${this.collectCounter++}`;
  }

  private async submit(jobName: string, detached: boolean): Promise<JobClient> {
    if (this.sinks.length === 0) {
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `execute('${jobName}') found no sinks: add print(), sinkTo(...) or executeAndCollect() to a stream before executing`,
      );
    }
    const settings: EnvironmentSettings = {
      ...this.settings,
      config: { ...this.settings.config },
      cachedFiles: this.settings.cachedFiles.map((f) => ({ ...f })),
    };
    if (this.autoMode) settings.runtimeMode = allBounded(this.sinks) ? 'BATCH' : 'STREAMING';
    const pipeline: Pipeline = { jobName, sinks: this.sinks, settings, executionIndex: nextExecutionIndex() };
    this.sinks = [];
    const executor = await this.executorFactory();
    return executor.execute(pipeline, { detached });
  }
}

function allBounded(sinks: Transformation[]): boolean {
  const seen = new Set<Transformation>();
  const stack = [...sinks];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.operator?.type === 'source' && t.operator.source.boundedness !== 'BOUNDED') return false;
    stack.push(...t.inputs);
  }
  return true;
}

export function checkParallelism(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1) throw new WeirError('WEIR_BAD_PIPELINE', `${what}: parallelism must be a positive integer, got ${p}`);
}
