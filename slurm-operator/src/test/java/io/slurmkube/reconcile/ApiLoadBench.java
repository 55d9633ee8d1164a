package io.slurmkube.reconcile;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.testing.BenchOperator;
import io.slurmkube.testing.StandInSlurm;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A benchmark, not a test: what idle SlurmClusters cost the API server. The whole operator runs
 * against a real kube-apiserver (kube-api-test) with a stand-in Slurm per cluster (an empty queue,
 * one idle node), each cluster with an autoscaling node set at one replica; after a settling time
 * every request the operator makes is counted for a minute. Run it with bench/api-load.sh; it
 * writes its figures to the file named by its first argument.
 */
public final class ApiLoadBench {
  private static final int SETTLE_SECONDS = 30;
  private static final int MEASURE_SECONDS = 60;

  private ApiLoadBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "bench/results/api-load.txt");
    int clusters = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Map<String, StandInSlurm> slurm = new ConcurrentHashMap<>();
    try (var bench = new BenchOperator(slurm)) {
      KubernetesClient admin = bench.admin;
      for (int i = 0; i < clusters; i++) {
        String name = "c" + i;
        var standIn = new StandInSlurm();
        standIn.node(name + "-cpu-0", 0);
        slurm.put(name, standIn);
        try (InputStream in = Files.newInputStream(Path.of("../examples/slurmcluster.yaml"))) {
          SlurmCluster cluster = admin.resources(SlurmCluster.class).load(in).item();
          cluster.getMetadata().setName(name);
          cluster.getMetadata().setNamespace(BenchOperator.NAMESPACE);
          cluster.getSpec().nodeSets.get(0).minReplicas = 1;
          admin.resource(cluster).create();
        }
      }
      long deadline = System.currentTimeMillis() + 120_000;
      while (admin.pods().inNamespace(BenchOperator.NAMESPACE).withLabel(io.slurmkube.model.Labels.COMPONENT,
          io.slurmkube.model.Labels.Component.NODE).list().getItems().size() < clusters) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("the node sets did not make their pods in 120 s");
        }
        Thread.sleep(500);
      }
      Thread.sleep(SETTLE_SECONDS * 1000L);
      Map<String, Long> before = bench.requests.counts();
      Thread.sleep(MEASURE_SECONDS * 1000L);
      Map<String, Long> during = BenchOperator.between(before, bench.requests.counts());
      long total = during.values().stream().mapToLong(Long::longValue).sum();
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      var report = new StringBuilder();
      report.append("# ApiLoadBench (bench/api-load.sh) on ").append(Instant.now()).append(", ")
          .append(Runtime.getRuntime().availableProcessors()).append(" CPUs\n");
      report.append("# ").append(clusters).append(" idle SlurmClusters (empty queue), each with an autoscaling node set at 1 replica;\n");
      report.append("# requests counted over ").append(MEASURE_SECONDS).append(" s after ").append(SETTLE_SECONDS)
          .append(" s of settling (a watch counts once, when opened)\n");
      report.append(String.format(Locale.ROOT, "clusters %d%n", clusters));
      report.append(String.format(Locale.ROOT, "api_requests_per_second %.2f%n", total / (double) MEASURE_SECONDS));
      report.append(String.format(Locale.ROOT, "api_requests_per_second_per_cluster %.3f%n", total / (double) MEASURE_SECONDS / clusters));
      report.append(String.format(Locale.ROOT, "operator_jvm_heap_used_mib %.1f%n", heap / 1048576.0));
      report.append("# by request (verb resource: count in ").append(MEASURE_SECONDS).append(" s)\n");
      during.forEach((k, v) -> report.append("#   ").append(k).append(": ").append(v).append('\n'));
      BenchOperator.write(out, report);
    }
    System.exit(0);
  }
}
