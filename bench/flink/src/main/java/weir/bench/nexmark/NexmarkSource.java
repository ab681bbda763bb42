package weir.bench.nexmark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import weir.bench.nexmark.Model.Event;

/**
 * The Nexmark generator as a FLIP-27 source, split as Weir's source is: one stride of event
 * indexes per reader, requested by the reader, emitted in index order with the event time as the
 * record timestamp.
 */
public final class NexmarkSource implements Source<Event, NexmarkSplit, List<NexmarkSplit>> {
  private static final long serialVersionUID = 1L;
  private static final int BATCH = 1024;

  private final long events;
  private final double rate;

  public NexmarkSource(long events, double rate) {
    this.events = events;
    this.rate = rate;
  }

  @Override
  public Boundedness getBoundedness() {
    return events < 0 ? Boundedness.CONTINUOUS_UNBOUNDED : Boundedness.BOUNDED;
  }

  @Override
  public SplitEnumerator<NexmarkSplit, List<NexmarkSplit>> createEnumerator(SplitEnumeratorContext<NexmarkSplit> ctx) {
    return new Enumerator(ctx, null, events);
  }

  @Override
  public SplitEnumerator<NexmarkSplit, List<NexmarkSplit>> restoreEnumerator(
      SplitEnumeratorContext<NexmarkSplit> ctx, List<NexmarkSplit> restored) {
    return new Enumerator(ctx, restored, events);
  }

  @Override
  public SimpleVersionedSerializer<NexmarkSplit> getSplitSerializer() {
    return new NexmarkSplit.Serializer();
  }

  @Override
  public SimpleVersionedSerializer<List<NexmarkSplit>> getEnumeratorCheckpointSerializer() {
    return new NexmarkSplit.EnumStateSerializer();
  }

  @Override
  public SourceReader<Event, NexmarkSplit> createReader(SourceReaderContext ctx) {
    return new Reader(ctx, new NexmarkGenerator(rate));
  }

  static final class Enumerator implements SplitEnumerator<NexmarkSplit, List<NexmarkSplit>> {
    private final SplitEnumeratorContext<NexmarkSplit> ctx;
    private final long events;
    private List<NexmarkSplit> unassigned;

    Enumerator(SplitEnumeratorContext<NexmarkSplit> ctx, List<NexmarkSplit> restored, long events) {
      this.ctx = ctx;
      this.events = events;
      this.unassigned = restored == null ? null : new ArrayList<>(restored);
    }

    @Override
    public void start() {
      if (unassigned == null) unassigned = NexmarkSplit.create(events, Math.max(1, ctx.currentParallelism()));
    }

    @Override
    public void handleSplitRequest(int subtask, String host) {
      start();
      if (unassigned.isEmpty()) ctx.signalNoMoreSplits(subtask);
      else ctx.assignSplit(unassigned.remove(0), subtask);
    }

    @Override
    public void addSplitsBack(List<NexmarkSplit> splits, int subtask) {
      start();
      unassigned.addAll(0, splits);
    }

    @Override
    public void addReader(int subtask) {
      // readers ask for splits themselves
    }

    @Override
    public List<NexmarkSplit> snapshotState(long checkpointId) {
      return unassigned == null ? null : new ArrayList<>(unassigned);
    }

    @Override
    public void close() {}
  }

  static final class Reader implements SourceReader<Event, NexmarkSplit> {
    private final SourceReaderContext ctx;
    private final NexmarkGenerator gen;
    private final List<NexmarkSplit> splits = new ArrayList<>();
    private boolean noMoreSplits;
    private boolean requested;
    private CompletableFuture<Void> waiter = new CompletableFuture<>();

    Reader(SourceReaderContext ctx, NexmarkGenerator gen) {
      this.ctx = ctx;
      this.gen = gen;
    }

    @Override
    public void start() {
      request();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<Event> output) {
      if (splits.isEmpty()) {
        if (noMoreSplits) return InputStatus.END_OF_INPUT;
        request();
        return InputStatus.NOTHING_AVAILABLE;
      }
      for (int n = BATCH; n > 0 && !splits.isEmpty(); n--) {
        // several strides (after taking over another reader's): emit in global index order
        int k = 0;
        for (int j = 1; j < splits.size(); j++) if (splits.get(j).next < splits.get(k).next) k = j;
        NexmarkSplit s = splits.get(k);
        long i = s.next;
        s.next = i + s.step;
        output.collect(gen.event(i), gen.timestamp(i));
        if (s.end >= 0 && s.next >= s.end) splits.remove(k);
      }
      if (splits.isEmpty() && !noMoreSplits) request();
      return InputStatus.MORE_AVAILABLE;
    }

    @Override
    public List<NexmarkSplit> snapshotState(long checkpointId) {
      List<NexmarkSplit> out = new ArrayList<>();
      for (NexmarkSplit s : splits) out.add(s.copy());
      return out;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
      if (!splits.isEmpty() || noMoreSplits) return CompletableFuture.completedFuture(null);
      if (waiter.isDone()) waiter = new CompletableFuture<>();
      return waiter;
    }

    @Override
    public void addSplits(List<NexmarkSplit> added) {
      requested = false;
      for (NexmarkSplit s : added) if (s.end < 0 || s.next < s.end) splits.add(s.copy());
      if (!added.isEmpty() && splits.isEmpty()) request();
      waiter.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {
      requested = false;
      noMoreSplits = true;
      waiter.complete(null);
    }

    @Override
    public void close() {
      waiter.complete(null);
    }

    private void request() {
      if (requested || noMoreSplits) return;
      requested = true;
      ctx.sendSplitRequest();
    }
  }
}
