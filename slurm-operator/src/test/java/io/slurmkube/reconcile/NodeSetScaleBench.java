package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.Labels;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.testing.BenchOperator;
import io.slurmkube.testing.RequestLog;
import io.slurmkube.testing.StandInSlurm;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A benchmark, not a test: one node set driven from 0 to N pods (default 1,000) by the queue, with
 * the whole operator against a real kube-apiserver (kube-api-test, no kubelet or scheduler: pods
 * are made, never run) and a stand-in Slurm holding one pending N-node job. It records when the
 * autoscaler asked for N and when the N-th pod existed, how many pods were ever created (no extra
 * pod), then registers N idle-then-busy stand-in nodes running the job and counts every API request
 * the operator makes in a minute at that size, and the operator's heap. Run it with
 * bench/nodeset-scale.sh; it writes its figures to the file named by its first argument.
 */
public final class NodeSetScaleBench {
  private static final int SETTLE_SECONDS = 30;
  private static final int MEASURE_SECONDS = 60;

  private NodeSetScaleBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "bench/results/nodeset-scale.txt");
    int size = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    var slurm = new StandInSlurm();
    try (var bench = new BenchOperator(Map.of("big", slurm))) {
      KubernetesClient admin = bench.admin;
      RequestLog requests = bench.requests;
      try (InputStream in = Files.newInputStream(Path.of("../examples/slurmcluster.yaml"))) {
        SlurmCluster cluster = admin.resources(SlurmCluster.class).load(in).item();
        cluster.getMetadata().setName("big");
        cluster.getMetadata().setNamespace(BenchOperator.NAMESPACE);
        var nodeSet = cluster.getSpec().nodeSets.get(0);
        nodeSet.minReplicas = 0;
        nodeSet.maxReplicas = size;
        nodeSet.scaleDownDelaySeconds = 3600;
        nodeSet.cpuRequest = "10m";
        admin.resource(cluster).create();
      }
      var nodeSets = admin.resources(NodeSet.class).inNamespace(BenchOperator.NAMESPACE);
      waitFor("the node set's first pass", Duration.ofSeconds(120), () -> {
        NodeSet n = nodeSets.withName("big-cpu").get();
        return n != null && n.getStatus() != null && n.getStatus().lastScaleDecision != null;
      });
      Map<String, Long> before = requests.counts();

      // One job asking for every node; Slurm says it waits for resources.
      Instant submitted = Instant.now();
      slurm.job(new SlurmJob(1, "big", "alice", "batch", Set.of("PENDING"), "Resources", submitted, size, size, 0, "", ""));
      Instant decided = null;
      Instant allMade = null;
      Set<String> everSeen = new HashSet<>();
      int most = 0;
      Instant deadline = submitted.plus(Duration.ofMinutes(5));
      while (Instant.now().isBefore(deadline)) {
        if (decided == null) {
          NodeSet n = nodeSets.withName("big-cpu").get();
          if (n.getSpec().replicas != null && n.getSpec().replicas == size) {
            decided = Instant.now();
          }
        }
        List<Pod> pods = nodePods(admin);
        pods.forEach(p -> everSeen.add(p.getMetadata().getUid()));
        most = Math.max(most, pods.size());
        if (pods.size() >= size && allMade == null) {
          allMade = Instant.now();
          break;
        }
        Thread.sleep(100);
      }
      // A while longer: a lagging cache must not make one more pod now.
      Thread.sleep(10_000);
      List<Pod> pods = nodePods(admin);
      pods.forEach(p -> everSeen.add(p.getMetadata().getUid()));
      most = Math.max(most, pods.size());
      Map<String, Long> scaleUp = BenchOperator.between(before, requests.counts());
      long podPosts = scaleUp.entrySet().stream().filter(e -> e.getKey().equals("create /pods"))
          .mapToLong(Map.Entry::getValue).sum();

      // Every pod registers; the job runs on all of them.
      for (Pod p : pods) {
        slurm.node(p.getMetadata().getName(), 1);
      }
      slurm.job(new SlurmJob(1, "big", "alice", "batch", Set.of("RUNNING"), "None", submitted, size, size, 0, "", ""));
      Thread.sleep(SETTLE_SECONDS * 1000L);
      Map<String, Long> from = requests.counts();
      Thread.sleep(MEASURE_SECONDS * 1000L);
      Map<String, Long> during = BenchOperator.between(from, requests.counts());
      long total = during.values().stream().mapToLong(Long::longValue).sum();
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();

      var report = new StringBuilder();
      report.append("# NodeSetScaleBench (bench/nodeset-scale.sh) on ").append(Instant.now()).append(", ")
          .append(Runtime.getRuntime().availableProcessors()).append(" CPUs\n");
      report.append("# one autoscaling node set, 0 -> ").append(size).append(" pods for one pending ").append(size)
          .append("-node job (stand-in Slurm; real kube-apiserver, no kubelet: pods are made, not run)\n");
      report.append(String.format(Locale.ROOT, "nodes %d%n", size));
      report.append(String.format(Locale.ROOT, "seconds_to_decision %.2f%n", seconds(submitted, decided)));
      report.append(String.format(Locale.ROOT, "seconds_to_all_pods_made %.2f%n", seconds(submitted, allMade)));
      report.append(String.format(Locale.ROOT, "pods_ever_created %d%n", everSeen.size()));
      report.append(String.format(Locale.ROOT, "pod_creations_requested %d%n", podPosts));
      report.append(String.format(Locale.ROOT, "most_pods_at_once %d%n", most));
      report.append("# requests of the scale-up (verb resource: count, from the job's submission to 10 s after the last pod)\n");
      scaleUp.forEach((k, v) -> report.append("#   ").append(k).append(": ").append(v).append('\n'));
      report.append("# then every pod registered and the job running on all of them; requests counted over ")
          .append(MEASURE_SECONDS).append(" s after ").append(SETTLE_SECONDS).append(" s of settling\n");
      report.append(String.format(Locale.ROOT, "api_requests_per_second_at_size %.2f%n", total / (double) MEASURE_SECONDS));
      report.append(String.format(Locale.ROOT, "operator_jvm_heap_used_mib %.1f%n", heap / 1048576.0));
      report.append("# by request (verb resource: count in ").append(MEASURE_SECONDS).append(" s)\n");
      during.forEach((k, v) -> report.append("#   ").append(k).append(": ").append(v).append('\n'));
      BenchOperator.write(out, report);
    }
    System.exit(0);
  }

  private static List<Pod> nodePods(KubernetesClient admin) {
    return admin.pods().inNamespace(BenchOperator.NAMESPACE).withLabel(Labels.COMPONENT, Labels.Component.NODE).list().getItems();
  }

  private static double seconds(Instant from, Instant to) {
    return to == null ? Double.NaN : Duration.between(from, to).toMillis() / 1000.0;
  }

  private static void waitFor(String what, Duration atMost, java.util.concurrent.Callable<Boolean> done) throws Exception {
    Instant deadline = Instant.now().plus(atMost);
    while (!done.call()) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(what + " did not happen within " + atMost.toSeconds() + " s");
      }
      Thread.sleep(250);
    }
  }
}
