package weir.bench.nexmark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs Nexmark queries on Flink's local MiniCluster and prints one JSON line per query:
 *
 * <pre>
 *   java -cp ... weir.bench.nexmark.Main --query q5 --events 1000000 --parallelism 2 --repeat 3
 *   java -cp ... weir.bench.nexmark.Main --query q0,q3,q5 --events 20000 --parallelism 2
 * </pre>
 *
 * Each run is one {@code env.execute()}: MiniCluster start, the job, teardown, as Weir's measured
 * run is cluster start, job and teardown. CPU is the whole JVM's (every thread: tasks, GC, JIT),
 * from OperatingSystemMXBean#getProcessCpuTime around the run; peak RSS is the kernel's high-water
 * mark (VmHWM), reset before each run through /proc/self/clear_refs where the kernel allows it.
 * With {@code --repeat N} the query runs N times in the same JVM: the first run is what a fresh
 * process costs (as every other implementation is measured), the best (lowest CPU) one shows the
 * JIT-warm JVM.
 */
public final class Main {
  private Main() {}

  record Run(long cpuNanos, long wallNanos, double peakRssMb, String checksum) {}

  public static void main(String[] argv) throws Exception {
    String spec = opt(argv, "query", null);
    long events = Long.parseLong(opt(argv, "events", null));
    double rate = Double.parseDouble(opt(argv, "rate", "10000"));
    int parallelism = Integer.parseInt(opt(argv, "parallelism", "1"));
    int repeat = Integer.parseInt(opt(argv, "repeat", "1"));
    if (events < 0 || parallelism < 1 || repeat < 1) throw new IllegalArgumentException("--events, --parallelism and --repeat must be positive");
    List<String> queries = spec.equals("all") ? Queries.ALL : List.of(spec.split(","));
    for (String q : queries) {
      if (!Queries.ALL.contains(q)) throw new IllegalArgumentException("unknown query '" + q + "' (queries: " + String.join(", ", Queries.ALL) + ")");
    }
    Path tmp = Files.createTempDirectory("flink-nexmark-");
    try {
      for (String q : queries) {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
          Run r = run(q, events, rate, parallelism, tmp.resolve(q + "-" + i));
          if (!runs.isEmpty() && !r.checksum.equals(runs.get(0).checksum)) {
            throw new IllegalStateException(q + ": checksum changed between runs: " + runs.get(0).checksum + " vs " + r.checksum);
          }
          runs.add(r);
        }
        System.out.println(json(q, events, parallelism, runs));
        System.out.flush();
      }
    } finally {
      deleteTree(tmp);
    }
    System.exit(0);
  }

  static Run run(String q, long events, double rate, int parallelism, Path dir) throws Exception {
    resetPeakRss();
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long c0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    Configuration conf = new Configuration();
    // as Flink's own Nexmark setup runs: records are not copied between chained operators
    conf.set(PipelineOptions.OBJECT_REUSE, true);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    Queries.build(env, q, events, rate, dir.toString());
    env.execute("nexmark-" + q);
    long wall = System.nanoTime() - t0;
    long cpu = os.getProcessCpuTime() - c0;
    return new Run(cpu, wall, peakRssMb(), ChecksumSink.read(dir).toString());
  }

  private static String json(String q, long events, int parallelism, List<Run> runs) {
    Run first = runs.get(0);
    Run best = runs.stream().min(Comparator.comparingLong(Run::cpuNanos)).orElseThrow();
    StringBuilder cpus = new StringBuilder();
    for (Run r : runs) cpus.append(cpus.length() == 0 ? "" : ",").append(ms(r.cpuNanos));
    return String.format(
        Locale.ROOT,
        "{\"impl\":\"flink\",\"query\":\"%s\",\"events\":%d,\"parallelism\":%d,\"checksum\":\"%s\","
            + "\"cpuMs\":%s,\"wallMs\":%s,\"peakRssMb\":%.1f,\"runs\":%d,"
            + "\"best\":{\"cpuMs\":%s,\"wallMs\":%s,\"peakRssMb\":%.1f},\"runCpuMs\":[%s],\"flinkVersion\":\"%s\",\"java\":\"%s\"}",
        q,
        events,
        parallelism,
        first.checksum,
        ms(first.cpuNanos),
        ms(first.wallNanos),
        first.peakRssMb,
        runs.size(),
        ms(best.cpuNanos),
        ms(best.wallNanos),
        best.peakRssMb,
        cpus,
        org.apache.flink.runtime.util.EnvironmentInformation.getVersion(),
        System.getProperty("java.version"));
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
  }

  private static String opt(String[] argv, String name, String fallback) {
    for (int i = 0; i < argv.length - 1; i++) if (argv[i].equals("--" + name)) return argv[i + 1];
    if (fallback == null) throw new IllegalArgumentException("missing --" + name);
    return fallback;
  }

  /** Writing 5 to clear_refs resets the peak RSS (Linux 4.0+); elsewhere the peak is the JVM's so far. */
  private static void resetPeakRss() {
    try {
      Files.writeString(Paths.get("/proc/self/clear_refs"), "5");
    } catch (IOException | RuntimeException e) {
      // not Linux, or not allowed: the high-water mark covers earlier runs too
    }
  }

  private static double peakRssMb() {
    try {
      Matcher m = Pattern.compile("VmHWM:\\s+(\\d+) kB").matcher(Files.readString(Paths.get("/proc/self/status")));
      if (m.find()) return Long.parseLong(m.group(1)) / 1024.0;
    } catch (IOException e) {
      // not Linux
    }
    Runtime rt = Runtime.getRuntime();
    return (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024.0);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
    }
  }
}
