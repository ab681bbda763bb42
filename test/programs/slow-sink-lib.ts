/** A deliberately slow sink for backpressure tests: every 64th write waits 1 ms. */
import type { Sink, SinkWriter } from 'weir';

export class SlowSink<T> implements Sink<T> {
  describe(): string {
    return 'SlowSink';
  }
  createWriter(): SinkWriter<T> {
    let n = 0;
    return {
      write: () => (++n % 64 === 0 ? new Promise<void>((r) => setTimeout(r, 1)) : undefined),
      flush: () => undefined,
      close: () => undefined,
    };
  }
}
