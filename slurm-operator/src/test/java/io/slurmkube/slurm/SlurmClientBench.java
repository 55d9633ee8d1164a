package io.slurmkube.slurm;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A benchmark, not a test: how fast the client lists a queue of 10,000 jobs, and what one
 * autoscaler poll (pending and running jobs, plus nodes) costs, against the real daemons of
 * {@link SlurmTestCluster}. Run it with bench/slurm-client.sh; it writes its figures to the file
 * named by its argument.
 */
public final class SlurmClientBench {
  private static final int WARMUP = 1;
  // Few rounds: slurmrestd keeps about 100 KB per listed job per request (24.11; see the results).
  private static final int ROUNDS = 3;
  private static final int NODE_SETS = 4;

  private SlurmClientBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "bench/results/slurm-client.txt");
    int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    // Slurm's default MaxJobCount is exactly 10,000; the benchmark needs room for its queue.
    try (var cluster = new SlurmTestCluster("MaxJobCount=50000\n")) {
      // Listing 10,000 jobs takes seconds; a busy machine makes it longer.
      SlurmClient slurm = cluster.client(Duration.ofMinutes(2));
      var report = new StringBuilder();
      report.append("# Slurm client benchmark (SlurmClientBench, via bench/slurm-client.sh)\n");
      report.append("date: ").append(Instant.now()).append('\n');
      report.append("machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, ")
          .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.arch"))
          .append(", Java ").append(System.getProperty("java.version"))
          .append(", load average at start ").append(loadAverage()).append('\n');
      Ping ping = slurm.ping();
      report.append("slurm: ").append(ping.slurmVersion()).append(", slurmrestd API ").append(slurm.apiVersion())
          .append(", all daemons in containers on this machine\n\n");

      Timing emptyPoll = time(() -> poll(slurm));
      report.append(line("autoscaler poll, empty queue (jobs + nodes)", emptyPoll));
      report.append(memory(cluster, "slurmrestd resident memory, idle"));

      Instant submitStart = Instant.now();
      // Held jobs stay pending without making the scheduler work; four sbatch at a time.
      SlurmTestCluster.exec(cluster.controller, "bash", "-c",
          "seq " + jobs + " | xargs -P 4 -I{} sbatch -H -J bench-{} -o /dev/null --wrap true >/dev/null");
      Duration submit = Duration.between(submitStart, Instant.now());
      int queued = slurm.jobs().size();
      if (queued < jobs) {
        throw new IllegalStateException("only " + queued + " jobs in the queue");
      }
      report.append(String.format(Locale.ROOT, "queue filled: %d jobs by sbatch in %.1f s (%.0f submissions/s, 4 in parallel)%n",
          queued, submit.toMillis() / 1000.0, queued / (submit.toMillis() / 1000.0)));

      Timing list = time(() -> slurm.jobs().size());
      report.append(line("list all jobs (" + queued + ")", list));
      report.append(memory(cluster, "slurmrestd resident memory after " + (WARMUP + ROUNDS) + " listings"));
      report.append(String.format(Locale.ROOT, "jobs listed per second: %.0f (median), %.0f (best)%n",
          queued / list.median(), queued / list.best()));
      if (SlurmTestCluster.release().servesOpenMetrics()) {
        report.append(openMetrics(cluster, "/metrics/partitions"));
        report.append(openMetrics(cluster, "/metrics/jobs"));
      }
      Timing poll = time(() -> poll(slurm));
      report.append(line("autoscaler poll, " + queued + " pending jobs (jobs + nodes)", poll));
      report.append(memory(cluster, "slurmrestd resident memory after " + (WARMUP + ROUNDS) + " more polls"));
      report.append(concurrentPolls(slurm, false));
      report.append(concurrentPolls(slurm, true));
      report.append(memory(cluster, "slurmrestd resident memory after the concurrent polls"));
      Timing nodes = time(() -> slurm.nodes().size());
      report.append(line("list nodes (" + slurm.nodes().size() + ")", nodes));
      report.append("load average at end: ").append(loadAverage()).append('\n');
      report.append("\nTimes are wall-clock seconds over ").append(ROUNDS).append(" rounds after ").append(WARMUP)
          .append(" warm-up rounds; each round is one HTTP request to slurmrestd, which asks slurmctld and\n")
          .append("serialises the answer as JSON, which the client parses into records.\n");

      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, report.toString());
      System.out.print(report);
    }
  }

  /**
   * slurmctld's own OpenMetrics endpoint (25.11 and later), fetched by curl inside slurmctld's
   * container: what a scrape costs next to a REST listing of the same queue.
   */
  private static String openMetrics(SlurmTestCluster cluster, String path) {
    List<Double> seconds = new ArrayList<>();
    long bytes = 0;
    for (int i = 0; i < WARMUP + ROUNDS; i++) {
      String[] out = SlurmTestCluster.exec(cluster.controller, "curl", "-sf", "-o", "/dev/null", "-w",
          "%{time_total} %{size_download}", "http://localhost:6817" + path).strip().split(" ");
      if (i >= WARMUP) {
        seconds.add(Double.parseDouble(out[0]));
      }
      bytes = Long.parseLong(out[1]);
    }
    Collections.sort(seconds);
    return String.format(Locale.ROOT, "%-55s median %.4f s, worst %.4f s, best %.4f s, %d bytes%n",
        "slurmctld OpenMetrics " + path + " (curl in slurmctld's container):", seconds.get(ROUNDS / 2),
        seconds.get(ROUNDS - 1), seconds.get(0), bytes);
  }

  /** slurmrestd's resident set, as ps reports it. */
  private static String memory(SlurmTestCluster cluster, String what) {
    // By name: pid 1 of the container is tini, which starts the entrypoint.
    long kib = Long.parseLong(SlurmTestCluster.exec(cluster.restApi, "ps", "-o", "rss=", "-C", "slurmrestd").strip()
        .lines().findFirst().orElse("0").strip());
    return String.format(Locale.ROOT, "%-55s %d MiB%n", what + ":", kib / 1024);
  }

  private static String loadAverage() {
    try {
      return String.join(" ", Arrays.asList(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static int poll(SlurmClient slurm) {
    return slurm.activeJobs().size() + slurm.nodes().size();
  }

  /**
   * {@value #NODE_SETS} autoscaling node sets of one cluster polling at the same moment, as the
   * operator's reconcilers do every second: each with its own listing, or through the operator's
   * {@link SharedReadsClient}. One round each: four listings of a long queue at once are heavy.
   */
  private static String concurrentPolls(SlurmClient slurm, boolean shared) throws Exception {
    var listings = new AtomicInteger();
    SlurmClient counted = (SlurmClient) Proxy.newProxyInstance(SlurmClient.class.getClassLoader(),
        new Class<?>[] {SlurmClient.class}, (proxy, method, arguments) -> {
          if (method.getName().equals("jobs") || method.getName().equals("activeJobs")) {
            listings.incrementAndGet();
          }
          try {
            return method.invoke(slurm, arguments);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    SlurmClient client = shared ? new SharedReadsClient(counted, Duration.ofMillis(500), Clock.systemUTC()) : counted;
    var pool = Executors.newFixedThreadPool(NODE_SETS);
    try {
      var start = new CountDownLatch(1);
      List<Future<Integer>> polls = new ArrayList<>();
      for (int i = 0; i < NODE_SETS; i++) {
        polls.add(pool.submit(() -> {
          start.await();
          return poll(client);
        }));
      }
      long began = System.nanoTime();
      start.countDown();
      for (var p : polls) {
        p.get();
      }
      double seconds = (System.nanoTime() - began) / 1e9;
      return String.format(Locale.ROOT, "%-55s %.4f s until all answered, %d job listing(s) by slurmrestd%n",
          NODE_SETS + " node sets polling at once, " + (shared ? "shared reads" : "a listing each") + ":",
          seconds, listings.get());
    } finally {
      pool.shutdownNow();
    }
  }

  private record Timing(double median, double worst, double best) {}

  private static Timing time(Supplier<Integer> action) {
    for (int i = 0; i < WARMUP; i++) {
      action.get();
    }
    List<Double> seconds = new ArrayList<>();
    for (int i = 0; i < ROUNDS; i++) {
      long start = System.nanoTime();
      action.get();
      seconds.add((System.nanoTime() - start) / 1e9);
    }
    Collections.sort(seconds);
    return new Timing(seconds.get(ROUNDS / 2), seconds.get(ROUNDS - 1), seconds.get(0));
  }

  private static String line(String what, Timing timing) {
    return String.format(Locale.ROOT, "%-55s median %.4f s, worst %.4f s, best %.4f s%n", what + ":",
        timing.median(), timing.worst(), timing.best());
  }
}
