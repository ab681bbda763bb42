package weir.bench.nexmark;

import java.util.HashMap;
import java.util.Map;

/**
 * Order-insensitive result checksums, bit for bit as bench/nexmark/checksum.ts: every row is hashed
 * to 32 bits (murmur3 mixing over its fields); a checksum is the row count and two sums modulo 2^32
 * of the row hashes, so it does not depend on the order parallel subtasks produce rows, and the
 * checksums of subtasks add up. Numbers hash as JavaScript numbers do there: 32-bit integers
 * directly, other integers as two halves, other numbers by their IEEE bits.
 */
public final class Checksum {
  public long count;
  public int s1;
  public int s2;

  static int mix(int h, int k) {
    k *= 0xcc9e2d51;
    k = Integer.rotateLeft(k, 15);
    k *= 0x1b873593;
    h ^= k;
    h = Integer.rotateLeft(h, 13);
    return h * 5 + 0xe6546b64;
  }

  static int fmix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  public static int hashNum(int h, long x) {
    if (x == (int) x) return mix(h, (int) x);
    return mix(mix(h, (int) x), (int) (x >> 32));
  }

  public static int hashNum(int h, double x) {
    if (x == Math.rint(x) && Math.abs(x) <= 9007199254740991.0) return hashNum(h, (long) x);
    long bits = Double.doubleToRawLongBits(x);
    return mix(mix(h, (int) bits), (int) (bits >>> 32));
  }

  /** Length and up to ~16 evenly spaced UTF-16 code units, always the last (see checksum.ts). */
  public static int hashStr(int h, String s) {
    int n = s.length();
    int step = n <= 16 ? 1 : n >> 4;
    for (int i = 0; i < n; i += step) h = mix(h, s.charAt(i));
    if (n > 0) h = mix(h, s.charAt(n - 1));
    return mix(h, n);
  }

  public static int hashEnd(int h) {
    return fmix(h);
  }

  /** Adds one row, given its hash. */
  public void add(int h) {
    count++;
    s1 += h;
    s2 += fmix(h ^ 0x9e3779b9);
  }

  public Checksum merge(Checksum o) {
    count += o.count;
    s1 += o.s1;
    s2 += o.s2;
    return this;
  }

  @Override
  public String toString() {
    return count + ":" + String.format("%08x%08x", s1, s2);
  }

  /** Keeps the hash of the latest row per key; the checksum is over the final rows. */
  public static final class Upsert {
    private final Map<Object, Integer> rows = new HashMap<>();

    public void put(Object key, int h) {
      rows.put(key, h);
    }

    public Checksum checksum() {
      Checksum c = new Checksum();
      for (int h : rows.values()) c.add(h);
      return c;
    }
  }
}
