package io.slurmkube.slurm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A benchmark, not a test: the operator's queue read through the queue reader with 10,000 jobs
 * queued (half held, half pending for nodes that do not exist yet), against the real daemons of
 * {@link SlurmTestCluster}. Run it with bench/queue-reader.sh; it writes its figures to the file
 * named by its argument.
 */
public final class QueueReaderBench {
  /** How long the reader's own squeue polls are sampled, and how many reads the operator's client makes. */
  private static final Duration SAMPLE = Duration.ofSeconds(60);
  private static final int READS = 100;

  private QueueReaderBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "bench/results/queue-reader.txt");
    int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    try (var cluster = new SlurmTestCluster("MaxJobCount=50000\n")) {
      QueueReaderClient reader = cluster.queueReaderClient();
      var report = new StringBuilder();
      report.append("# Queue reader benchmark (QueueReaderBench, via bench/queue-reader.sh)\n");
      report.append("date: ").append(Instant.now()).append('\n');
      report.append("machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, Java ")
          .append(System.getProperty("java.version")).append(", load average at start ").append(loadAverage()).append('\n');
      report.append("slurm: ").append(cluster.client().ping().slurmVersion())
          .append(", all daemons and the reader in containers on this machine (reader: -Xmx64m, 256 MiB memory limit)\n\n");
      report.append(memory(cluster, "idle"));

      Instant submitStart = Instant.now();
      int held = jobs / 2;
      // Held jobs, and jobs for four cpu nodes (one runs): pending for nodes, which the scheduler keeps trying.
      SlurmTestCluster.exec(cluster.controller, "bash", "-c",
          "{ seq " + held + " | xargs -P 4 -I{} sbatch -H -J held-{} -o /dev/null --wrap true >/dev/null; } & "
              + "seq " + (jobs - held) + " | xargs -P 4 -I{} sbatch -N 4 -C cpu -J wide-{} -o /dev/null --wrap true >/dev/null; wait");
      Duration submit = Duration.between(submitStart, Instant.now());
      report.append(String.format(Locale.ROOT, "queue filled: %d jobs by sbatch in %.1f s (8 in parallel)%n", jobs,
          submit.toMillis() / 1000.0));
      SlurmTestCluster.awaitTrue("the reader sees " + jobs + " jobs", Duration.ofSeconds(60),
          () -> reader.read().jobs().size() >= jobs);

      // The reader's squeue runs, one after the other, as the snapshots report them.
      Map<Instant, Double> polls = new LinkedHashMap<>();
      List<Double> reads = new ArrayList<>();
      long[] bytes = new long[1];
      Instant until = Instant.now().plus(SAMPLE);
      int listed = 0;
      while (Instant.now().isBefore(until) || reads.size() < READS) {
        long t0 = System.nanoTime();
        var snapshot = reader.read();
        reads.add((System.nanoTime() - t0) / 1e9);
        listed = snapshot.jobs().size();
        polls.put(snapshot.readAt(), snapshot.readSeconds());
        Thread.sleep(200);
      }
      bytes[0] = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(reader.uri()).build(),
          java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body().length;
      report.append(String.format(Locale.ROOT, "jobs in each snapshot: %d; /v1/jobs answer: %d bytes%n", listed, bytes[0]));
      report.append(line("squeue poll by the reader (" + polls.size() + " polls in " + SAMPLE.toSeconds() + " s)",
          new ArrayList<>(polls.values())));
      report.append(line("HTTP read + parse by the operator's client (" + reads.size() + " reads)", reads));
      report.append(memory(cluster, "after " + polls.size() + " polls and " + reads.size() + " reads"));

      long t0 = System.nanoTime();
      int restJobs = cluster.client(Duration.ofMinutes(2)).activeJobs().size();
      report.append(String.format(Locale.ROOT, "for comparison, one slurmrestd listing (%d jobs): %.2f s%n", restJobs,
          (System.nanoTime() - t0) / 1e9));
      report.append("load average at end: ").append(loadAverage()).append("\n\n");
      report.append("""
          squeue poll: the reader's own measurement of each squeue run (the snapshot's readSeconds), one run at a
          time with a 1 s pause after each. HTTP read: QueueReaderClient.read() as the operator calls it, GET
          /v1/jobs plus parsing into one SlurmJob per job id. Reader RSS: the JVM (VmRSS now, VmHWM peak); the
          container's peak includes squeue's child processes and page cache (cgroup v1 max_usage_in_bytes).
          """);
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, report.toString());
      System.out.print(report);
    }
  }

  private static String line(String what, List<Double> seconds) {
    List<Double> sorted = new ArrayList<>(seconds);
    Collections.sort(sorted);
    return String.format(Locale.ROOT, "%-62s p50 %.3f s, p90 %.3f s, max %.3f s%n", what + ":",
        percentile(sorted, 50), percentile(sorted, 90), sorted.get(sorted.size() - 1));
  }

  static double percentile(List<Double> sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }

  private static String memory(SlurmTestCluster cluster, String when) {
    String reader = SlurmTestCluster.exec(cluster.queueReader, "sh", "-c",
        "p=$(pgrep -o java); grep -E '^Vm(RSS|HWM)' /proc/$p/status | tr -s ' \\t' ' ' | tr '\\n' ' '; "
            + "echo; cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || echo 0").strip();
    String[] lines = reader.split("\n");
    long cgroupPeak = Long.parseLong(lines[lines.length - 1].strip());
    String slurmctld = SlurmTestCluster.exec(cluster.controller, "sh", "-c",
        "grep -E '^Vm(RSS|HWM)' /proc/$(pgrep -o slurmctld)/status | tr -s ' \\t' ' ' | tr '\\n' ' '").strip();
    return String.format(Locale.ROOT, "memory, %s: reader JVM %s; reader container peak %d MiB; slurmctld %s%n", when,
        lines[0].strip(), cgroupPeak / (1024 * 1024), slurmctld);
  }

  private static String loadAverage() {
    try {
      return String.join(" ", Arrays.asList(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
