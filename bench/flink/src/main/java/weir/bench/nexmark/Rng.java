package weir.bench.nexmark;

/**
 * mulberry32 reseeded per event, bit for bit as bench/nexmark/generator.ts computes it with
 * JavaScript numbers: 32-bit integer steps as Java ints, and the scaling to a range in doubles,
 * so that both generators draw exactly the same values.
 */
final class Rng {
  private static final double TWO_32 = 4294967296.0;
  private int s;

  void seed(long index) {
    int hi = (int) Math.floor(index / TWO_32);
    int h = ((int) index) ^ ((hi ^ 0x5bd1e995) * 0x27d4eb2d);
    h = (h ^ (h >>> 16)) * 0x85ebca6b;
    h = (h ^ (h >>> 13)) * 0xc2b2ae35;
    s = h ^ (h >>> 16);
  }

  /** A uniform 32-bit unsigned integer. */
  long next() {
    int t = (s = s + 0x6d2b79f5);
    t = (t ^ (t >>> 15)) * (t | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    return (t ^ (t >>> 14)) & 0xffffffffL;
  }

  /** Uniform in [0, n) for 0 < n <= 2^32. */
  long nextInt(long n) {
    return (long) Math.floor(((double) next() * (double) n) / TWO_32);
  }

  /** Uniform in [0, 1) with 53 bits. */
  double nextDouble() {
    double a = (double) next() * 2097152.0;
    long b = next() >>> 11;
    return (a + b) / 9007199254740992.0;
  }

  /** Uniform in [0, n) for any n below 2^53. */
  long nextLong(long n) {
    return n <= 4294967296L ? nextInt(n) : (long) Math.floor(nextDouble() * n);
  }
}
