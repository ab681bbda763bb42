/**
 * Turns an operator spec from the replayed StreamGraph into the runtime operator that executes it.
 * The one place that knows every operator type.
 */
import type { OperatorSpec } from '../../api/transformation.js';
import { WeirError } from '../../errors.js';
import { FilterOperator, FlatMapOperator, MapOperator } from './basic-operators.js';
import { CoFlatMapOperator, CoMapOperator, CoProcessOperator, KeyedCoProcessOperator } from './co-process-operator.js';
import { KeyedProcessOperator, ProcessOperator } from './keyed-process-operator.js';
import { KeyedAggregationOperator, KeyedReduceOperator } from './keyed-reduce-operator.js';
import type { OperatorContext, StreamOperator } from './operator.js';
import { CollectOperator, PrintOperator, SinkWriterOperator, type Blocker } from './sink-operators.js';
import { SourceOperator, type SplitChannel } from './source-operator.js';
import { TimestampsAndWatermarksOperator } from './timestamps-operator.js';
import { WindowOperator } from './window-operator.js';
import { TriggerWindowOperator } from './trigger-window-operator.js';
import { SlicedWindowOperator, sliceAssignerFor } from './sliced-window-operator.js';
import { IntervalJoinOperator } from './interval-join-operator.js';
import { AsyncWaitOperator } from './async-wait-operator.js';
import { BroadcastProcessOperator } from './broadcast-process-operator.js';
import type { MailboxExecutor } from './mailbox-executor.js';

export interface OperatorServices {
  block: Blocker;
  splits: SplitChannel;
  sendCollected: (collectId: string, values: unknown[]) => void;
  print: (text: string, toStderr: boolean) => void;
  mailbox: MailboxExecutor;
}

export function createOperator(spec: OperatorSpec, ctx: OperatorContext, services: OperatorServices): StreamOperator {
  switch (spec.type) {
    case 'source':
      return new SourceOperator(ctx, spec, services.splits);
    case 'timestamps':
      return new TimestampsAndWatermarksOperator(ctx, spec);
    case 'map':
      return new MapOperator(ctx, spec);
    case 'filter':
      return new FilterOperator(ctx, spec);
    case 'flatMap':
      return new FlatMapOperator(ctx, spec);
    case 'process':
      return new ProcessOperator(ctx, spec);
    case 'keyedProcess':
      return new KeyedProcessOperator(ctx, spec);
    case 'keyedReduce':
      return new KeyedReduceOperator(ctx, spec);
    case 'keyedAggregation':
      return new KeyedAggregationOperator(ctx, spec);
    case 'window': {
      if (spec.trigger !== undefined) return new TriggerWindowOperator(ctx, spec);
      const slicing = sliceAssignerFor(spec);
      return slicing !== undefined ? new SlicedWindowOperator(ctx, spec, slicing) : new WindowOperator(ctx, spec);
    }
    case 'coMap':
      return new CoMapOperator(ctx, spec);
    case 'coFlatMap':
      return new CoFlatMapOperator(ctx, spec);
    case 'coProcess':
      return new CoProcessOperator(ctx, spec);
    case 'keyedCoProcess':
      return new KeyedCoProcessOperator(ctx, spec);
    case 'intervalJoin':
      return new IntervalJoinOperator(ctx, spec);
    case 'sink':
      return new SinkWriterOperator(ctx, spec, services.block);
    case 'print':
      return new PrintOperator(ctx, spec, services.print);
    case 'collect':
      return new CollectOperator(spec, services.sendCollected);
    case 'asyncWait':
      return new AsyncWaitOperator(ctx, spec, services.mailbox, services.block);
    case 'broadcastProcess':
      return new BroadcastProcessOperator(ctx, spec, services.block);
    default: {
      const never: never = spec;
      throw new WeirError('WEIR_INTERNAL', `unknown operator type ${(never as { type: string }).type}`);
    }
  }
}
