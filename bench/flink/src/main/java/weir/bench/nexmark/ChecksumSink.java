package weir.bench.nexmark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A sink that checksums what it receives instead of storing it, as Weir's ChecksumSink
 * (bench/nexmark/weir-sink.ts): each subtask keeps a running checksum (or the last row hash per
 * key, for changelog results) and at the end of its input writes it to {@code part-<subtask>}
 * under {@code dir}; {@link #read} adds the parts up.
 */
public final class ChecksumSink<T> implements Sink<T> {
  private static final long serialVersionUID = 1L;

  /** The hash of a row. */
  public interface RowHash<T> extends Serializable {
    int hash(T row);
  }

  /** For changelog results: the key whose last row counts. */
  public interface RowKey<T> extends Serializable {
    Object key(T row);
  }

  private final String dir;
  private final RowHash<T> hash;
  private final RowKey<T> key;

  public ChecksumSink(String dir, RowHash<T> hash, RowKey<T> key) {
    this.dir = dir;
    this.hash = hash;
    this.key = key;
  }

  @Override
  public SinkWriter<T> createWriter(WriterInitContext ctx) throws IOException {
    Files.createDirectories(Paths.get(dir));
    Path file = Paths.get(dir, "part-" + ctx.getTaskInfo().getIndexOfThisSubtask());
    return new Writer<>(file, hash, key);
  }

  private static final class Writer<T> implements SinkWriter<T> {
    private final Path file;
    private final RowHash<T> hash;
    private final RowKey<T> key;
    private final Checksum sum = new Checksum();
    private final Checksum.Upsert upsert;

    Writer(Path file, RowHash<T> hash, RowKey<T> key) {
      this.file = file;
      this.hash = hash;
      this.key = key;
      this.upsert = key == null ? null : new Checksum.Upsert();
    }

    @Override
    public void write(T row, Context context) {
      if (upsert != null) upsert.put(key.key(row), hash.hash(row));
      else sum.add(hash.hash(row));
    }

    @Override
    public void flush(boolean endOfInput) throws IOException {
      if (!endOfInput) return;
      Checksum c = upsert != null ? upsert.checksum() : sum;
      Files.write(file, (c.count + " " + c.s1 + " " + c.s2).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {}
  }

  /** Adds up the parts the subtasks wrote. */
  public static Checksum read(Path dir) throws IOException {
    Checksum total = new Checksum();
    try (Stream<Path> parts = Files.list(dir)) {
      for (Path p : (Iterable<Path>) parts::iterator) {
        if (!p.getFileName().toString().startsWith("part-")) continue;
        String[] f = Files.readString(p).trim().split(" ");
        Checksum c = new Checksum();
        c.count = Long.parseLong(f[0]);
        c.s1 = Integer.parseInt(f[1]);
        c.s2 = Integer.parseInt(f[2]);
        total.merge(c);
      }
    }
    return total;
  }
}
