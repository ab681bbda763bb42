/**
 * Flink's socketTextStream: one reader connects to host:port and emits each delimited line as a
 * string; the input ends when the server closes the connection. Not replayable: a restore simply
 * reconnects. A refused connection fails the job with a message naming host:port.
 */
import net from 'node:net';
import { WeirError } from '../../errors.js';
import type {
  Boundedness,
  InputStatus,
  ReaderOutput,
  Source,
  SourceReader,
  SourceReaderContext,
  SourceSplit,
  SplitEnumeratorContext,
} from '../../api/source.js';
import {
  AvailabilitySignal,
  DEFAULT_BATCH_SIZE,
  SplitAssignments,
  StaticSplitEnumerator,
  type StaticEnumState,
} from '../base/split-reader.js';

export interface SocketSplit extends SourceSplit {
  host: string;
  port: number;
  delimiter: string;
}

/** Lines buffered before the socket is paused, so a slow job backpressures the server through TCP. */
const MAX_BUFFERED_LINES = 16 * 1024;

export class SocketTextSource implements Source<string, SocketSplit, StaticEnumState<SocketSplit>> {
  readonly boundedness: Boundedness = 'CONTINUOUS_UNBOUNDED';
  readonly fixedParallelism = 1;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly delimiter = '\n',
  ) {
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new WeirError('WEIR_BAD_PIPELINE', `SocketTextSource: port must be an integer in 0..65535, got ${port}`);
    if (!delimiter) throw new WeirError('WEIR_BAD_PIPELINE', 'SocketTextSource: the delimiter must not be empty');
  }

  createEnumerator(ctx: SplitEnumeratorContext<SocketSplit>, restored?: StaticEnumState<SocketSplit>): StaticSplitEnumerator<SocketSplit> {
    return new StaticSplitEnumerator(ctx, restored, () => [
      { splitId: `${this.host}:${this.port}`, host: this.host, port: this.port, delimiter: this.delimiter },
    ]);
  }

  createReader(ctx: SourceReaderContext): SourceReader<string, SocketSplit> {
    return new SocketTextReader(ctx);
  }

  describe(): string {
    return `SocketTextSource(${this.host}:${this.port})`;
  }
}

class SocketTextReader implements SourceReader<string, SocketSplit> {
  private split: SocketSplit | undefined;
  private socket: net.Socket | undefined;
  private connected = false;
  private paused = false;
  private closedByPeer = false;
  private lines: string[] = [];
  private idx = 0;
  private partial = '';
  private error: WeirError | undefined;
  private closed = false;
  private readonly signal = new AvailabilitySignal();
  private readonly splits: SplitAssignments<SocketSplit>;

  constructor(ctx: SourceReaderContext) {
    this.splits = new SplitAssignments<SocketSplit>(ctx, this.signal);
  }

  start(): void {
    if (!this.split && this.splits.pending.length === 0) this.splits.request();
  }

  pollNext(output: ReaderOutput<string>): InputStatus {
    if (!this.split) {
      const next = this.splits.next();
      if (!next) {
        if (this.splits.noMoreSplits) return 'END_OF_INPUT';
        this.splits.request();
        return 'NOTHING_AVAILABLE';
      }
      this.open(next);
    }
    const avail = this.lines.length - this.idx;
    if (avail > 0) {
      const end = this.idx + Math.min(avail, DEFAULT_BATCH_SIZE);
      const lines = this.lines;
      while (this.idx < end) output.collect(lines[this.idx++] as string);
      if (this.idx === lines.length) {
        this.lines = [];
        this.idx = 0;
      }
      if (this.paused && this.lines.length - this.idx < MAX_BUFFERED_LINES / 2) {
        this.paused = false;
        this.socket?.resume();
      }
      return 'MORE_AVAILABLE';
    }
    if (this.error) throw this.error;
    if (this.closedByPeer) {
      // Like Flink: the server closing the connection ends this split; the enumerator has no other.
      this.split = undefined;
      this.socket = undefined;
      return this.pollNext(output);
    }
    return 'NOTHING_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    const ready = this.split ? this.lines.length > this.idx || this.error !== undefined || this.closedByPeer : this.splits.ready;
    return ready ? Promise.resolve() : this.signal.wait();
  }

  addSplits(splits: SocketSplit[]): void {
    this.splits.add(splits);
  }

  notifyNoMoreSplits(): void {
    this.splits.noMore();
  }

  snapshotState(): SocketSplit[] {
    const out = this.splits.pending.map((s) => ({ ...s }));
    if (this.split && !this.closedByPeer) out.unshift({ ...this.split });
    return out;
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
    this.signal.notify();
  }

  private open(split: SocketSplit): void {
    this.split = split;
    this.connected = false;
    this.closedByPeer = false;
    this.partial = '';
    const { host, port, delimiter } = split;
    const stripCr = delimiter === '\n';
    const socket = net.connect({ host, port });
    this.socket = socket;
    socket.setEncoding('utf8'); // a StringDecoder: multi-byte characters split across packets stay whole
    socket.on('connect', () => {
      this.connected = true;
    });
    socket.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split(delimiter);
      this.partial = parts.pop() ?? '';
      if (parts.length === 0) return;
      if (stripCr) {
        for (let i = 0; i < parts.length; i++) {
          const p = parts[i] as string;
          if (p.charCodeAt(p.length - 1) === 13) parts[i] = p.slice(0, -1);
        }
      }
      if (this.lines.length === 0) this.lines = parts;
      else for (const p of parts) this.lines.push(p);
      if (!this.paused && this.lines.length - this.idx >= MAX_BUFFERED_LINES) {
        this.paused = true;
        socket.pause();
      }
      this.signal.notify();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (this.closed || this.error) return;
      this.error = this.connected
        ? new WeirError('WEIR_JOB_FAILED', `Socket source ${host}:${port}: connection lost (${e.code ?? e.message})`, {}, { cause: e })
        : new WeirError(
            'WEIR_INPUT_NOT_FOUND',
            `Socket source cannot connect to ${host}:${port} (${e.code ?? e.message}): start a server there first (for example \`nc -lk ${port}\`) or fix the host and port given to socketTextStream()/SocketTextSource`,
            {},
            { cause: e },
          );
      this.signal.notify();
    });
    socket.on('close', () => {
      if (this.closed || this.error) return;
      if (this.partial.length > 0) {
        // Flink emits what is left after the last delimiter when the connection closes.
        this.lines.push(stripCr && this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial);
        this.partial = '';
      }
      this.closedByPeer = true;
      this.signal.notify();
    });
  }
}
