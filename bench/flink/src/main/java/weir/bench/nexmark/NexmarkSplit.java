package weir.bench.nexmark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A stride of event indexes: {@code next}, {@code next + step}, ... below {@code end} (-1:
 * unbounded), as Weir's NexmarkSplit (bench/nexmark/source.ts). One stride per reader, so all
 * readers move through event time together and downstream watermarks keep up with every reader.
 */
public final class NexmarkSplit implements SourceSplit {
  final String id;
  long next;
  final long end;
  final int step;

  NexmarkSplit(String id, long next, long end, int step) {
    this.id = id;
    this.next = next;
    this.end = end;
    this.step = step;
  }

  @Override
  public String splitId() {
    return id;
  }

  NexmarkSplit copy() {
    return new NexmarkSplit(id, next, end, step);
  }

  /** The splits of a run: {@code n} strides over [0, events). */
  static List<NexmarkSplit> create(long events, int n) {
    List<NexmarkSplit> out = new ArrayList<>();
    for (int i = 0; i < n; i++) if (events < 0 || i < events) out.add(new NexmarkSplit(String.valueOf(i), i, events, n));
    return out;
  }

  static void write(DataOutputStream out, NexmarkSplit s) throws IOException {
    out.writeUTF(s.id);
    out.writeLong(s.next);
    out.writeLong(s.end);
    out.writeInt(s.step);
  }

  static NexmarkSplit read(DataInputStream in) throws IOException {
    return new NexmarkSplit(in.readUTF(), in.readLong(), in.readLong(), in.readInt());
  }

  static final class Serializer implements SimpleVersionedSerializer<NexmarkSplit> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(NexmarkSplit s) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        write(out, s);
      }
      return bytes.toByteArray();
    }

    @Override
    public NexmarkSplit deserialize(int version, byte[] data) throws IOException {
      return read(new DataInputStream(new ByteArrayInputStream(data)));
    }
  }

  /** The enumerator's state: the splits not assigned yet (null before they were created). */
  static final class EnumStateSerializer implements SimpleVersionedSerializer<List<NexmarkSplit>> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(List<NexmarkSplit> splits) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeInt(splits == null ? -1 : splits.size());
        if (splits != null) for (NexmarkSplit s : splits) write(out, s);
      }
      return bytes.toByteArray();
    }

    @Override
    public List<NexmarkSplit> deserialize(int version, byte[] data) throws IOException {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
      int n = in.readInt();
      if (n < 0) return null;
      List<NexmarkSplit> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) out.add(read(in));
      return out;
    }
  }
}
