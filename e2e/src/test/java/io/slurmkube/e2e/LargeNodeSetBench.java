package io.slurmkube.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One node set driven by the Slurm queue to a large size on the local Kubernetes, with the operator
 * as the chart installs it (bench/nodeset-large.sh). Two shapes:
 * <ul>
 *   <li>{@code kwok N}: the pods land on KWOK's simulated nodes (made for the run, 110 pods each),
 *       which mark them Running but run nothing, so no slurmd registers and the N-node job stays
 *       pending: the figures are the operator's and Kubernetes' (decision, pods made, pods Running,
 *       no extra pod), not Slurm's.</li>
 *   <li>{@code real N}: real slurmd pods on the local node (kubelet maxPods 240, e2e/substrate/cluster.sh),
 *       each asking for 5 millicores; the N-node job runs a task on every node and completes only if
 *       all N took part.</li>
 * </ul>
 * Both record the time from {@code sbatch} to the scale decision, to the N-th pod made and to the
 * N-th pod Running (and, real, to the job RUNNING), the pods ever created and the most replicas
 * asked for, then, at size for a minute, the operator's API-server requests per second (its own
 * slurmkube_kubernetes_requests_total) and heap (its /metrics), and the time back to 0 pods.
 */
public final class LargeNodeSetBench {
  private static final String NAMESPACE = "bench-large";
  private static final String CLUSTER = "large";
  private static final String NODE_SET = "wide";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

  private final KubernetesClient client;
  private final SlurmOnKubernetes slurm;
  private final boolean kwok;
  private final int size;
  private final StringBuilder report = new StringBuilder();
  /** Every node pod ever seen, by uid: made once each, however often the watch reports it. */
  private final Set<String> podsMade = ConcurrentHashMap.newKeySet();
  private final Set<String> podsRunning = ConcurrentHashMap.newKeySet();
  private final AtomicInteger mostReplicas = new AtomicInteger();
  private volatile Instant nthMade;
  private volatile Instant nthRunning;

  private LargeNodeSetBench(KubernetesClient client, boolean kwok, int size) {
    this.client = client;
    this.kwok = kwok;
    this.size = size;
    this.slurm = new SlurmOnKubernetes(client, NAMESPACE, CLUSTER, NODE_SET);
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3 || !Set.of("kwok", "real").contains(args[1])) {
      System.err.println("usage: LargeNodeSetBench <results file> kwok|real <nodes>");
      System.exit(2);
    }
    try (KubernetesClient client = LocalCluster.client()) {
      var bench = new LargeNodeSetBench(client, args[1].equals("kwok"), Integer.parseInt(args[2]));
      int code = 0;
      try {
        bench.run();
      } catch (Exception e) {
        // What was measured before the failure is kept, with the failure.
        bench.line("FAILED: %s", e);
        code = 1;
      }
      Path out = Path.of(args[0]).toAbsolutePath();
      Files.createDirectories(out.getParent());
      Files.writeString(out, bench.report);
      System.out.print(bench.report);
      System.exit(code);
    }
  }

  private void run() throws Exception {
    line("LargeNodeSetBench %s %d, %s; this machine: %d CPUs", kwok ? "kwok" : "real", size, STAMP.format(Instant.now()),
        Runtime.getRuntime().availableProcessors());
    Kwok simulated = null;
    try {
      if (kwok) {
        simulated = Kwok.start(client, "bench");
        int nodes = size / 110 + 1;
        simulated.createNodes("kwok-bench", nodes, Map.of());
        Kwok fake = simulated;
        await("KWOK nodes Ready", Duration.ofMinutes(2), () -> fake.nodes().stream().allMatch(Kwok::ready)
            && fake.nodes().size() == nodes);
        line("simulated nodes: %d KWOK nodes, 110 pods each", nodes);
      }
      slurm.freshNamespace();
      client.resources(SlurmCluster.class).inNamespace(NAMESPACE)
          .load(new ByteArrayInputStream(clusterYaml().getBytes(StandardCharsets.UTF_8))).create();
      await("SlurmCluster Ready", Duration.ofMinutes(5), slurm::isReady);
      measure();
    } finally {
      client.namespaces().withName(NAMESPACE).delete();
      if (simulated != null) {
        await("namespace gone", Duration.ofMinutes(5), () -> client.namespaces().withName(NAMESPACE).get() == null
            || client.pods().inNamespace(NAMESPACE).list().getItems().isEmpty());
        simulated.close();
      }
    }
  }

  private void measure() throws Exception {
    SharedIndexInformer<Pod> pods = client.pods().inNamespace(NAMESPACE).withLabel("slurmkube.io/nodeset", NODE_SET)
        .inform(new PodCounter());
    SharedIndexInformer<NodeSet> nodeSets = client.resources(NodeSet.class).inNamespace(NAMESPACE)
        .inform(new ResourceEventHandler<>() {
          @Override public void onAdd(NodeSet n) { seen(n); }
          @Override public void onUpdate(NodeSet o, NodeSet n) { seen(n); }
          @Override public void onDelete(NodeSet n, boolean unknown) { }
        });
    try {
      String metricsBefore;
      Instant t0 = Instant.now();
      // Every node runs one task; the job fails unless all N did, then holds the nodes a minute.
      long job = slurm.sbatch("-N", Integer.toString(size), "-p", "wide", "-o", "/tmp/large-%j.out",
          "--wrap", "test \"$(srun -N " + size + " hostname | sort -u | wc -l)\" -eq " + size + " && sleep 90");
      line("job %d: sbatch -N %d", job, size);
      await("scale decision", Duration.ofMinutes(2), () -> mostReplicas.get() > 0);
      Instant decided = decidedAt;
      await(size + " pods made", Duration.ofMinutes(10), () -> nthMade != null);
      await(size + " pods Running", Duration.ofMinutes(15), () -> nthRunning != null);
      line("scale decision after sbatch: %.2f s", seconds(t0, decided));
      line("%d-th pod made after sbatch: %.2f s", size, seconds(t0, nthMade));
      line("%d-th pod Running after sbatch: %.2f s", size, seconds(t0, nthRunning));
      if (!kwok) {
        await("job RUNNING", Duration.ofMinutes(10), () -> !"PENDING".equals(slurm.controllerJobState(job)));
        line("job RUNNING after sbatch: %.2f s (state %s)", seconds(t0, Instant.now()), slurm.controllerJobState(job));
        line("Slurm nodes of the node set: %d", slurm.slurmNodes().size());
      }
      // The last pods' readiness and the node set's status settle first: the minute is at size.
      Thread.sleep(30_000);
      metricsBefore = slurm.operatorMetrics();
      Instant before = Instant.now();
      Thread.sleep(60_000);
      String metricsAfter = slurm.operatorMetrics();
      double window = seconds(before, Instant.now());
      line("pods ever made: %d (an extra pod would make it more than %d)", podsMade.size(), size);
      line("most replicas asked for: %d", mostReplicas.get());
      line("at size, one minute: operator API-server requests %.2f/s (%s)", (requests(metricsAfter) - requests(metricsBefore)) / window,
          requestBreakdown(metricsBefore, metricsAfter));
      line("at size: operator heap used %.0f MiB", Metrics.value(metricsAfter, "jvm_memory_used_bytes", Map.of("area", "heap")) / (1 << 20));
      if (!kwok) {
        await("job COMPLETED", Duration.ofMinutes(5), () -> Set.of("COMPLETED", "FAILED", "TIMEOUT", "NODE_FAIL", "CANCELLED")
            .contains(slurm.controllerJobState(job)));
        line("job final state: %s (COMPLETED only if all %d nodes ran its task)", slurm.controllerJobState(job), size);
        Instant drop = Instant.now();
        await("back to 0 pods", Duration.ofMinutes(15), () -> pods.getStore().list().isEmpty());
        line("autoscaled down to 0 pods after the job ended: %.2f s", seconds(drop, Instant.now()));
      } else {
        // KWOK's pods never register: a Running pod without a Slurm node may be a slurmd about to
        // register, which a scale-down never deletes, so there is no way down to time here.
        slurm.login("scancel", Long.toString(job));
        line("scale-down: not timed (KWOK's pods never register as Slurm nodes)");
      }
    } finally {
      pods.close();
      nodeSets.close();
    }
  }

  private volatile Instant decidedAt;

  private void seen(NodeSet n) {
    Integer replicas = n.getSpec().replicas;
    if (replicas != null && replicas > 0 && decidedAt == null) {
      decidedAt = Instant.now();
    }
    if (replicas != null) {
      mostReplicas.accumulateAndGet(replicas, Math::max);
    }
  }

  /** Counts the node pods made and Running, and when the N-th of each was first seen. */
  private final class PodCounter implements ResourceEventHandler<Pod> {
    @Override public void onAdd(Pod pod) { count(pod); }
    @Override public void onUpdate(Pod old, Pod pod) { count(pod); }
    @Override public void onDelete(Pod pod, boolean unknown) { }

    private void count(Pod pod) {
      podsMade.add(pod.getMetadata().getUid());
      if (podsMade.size() >= size && nthMade == null) {
        nthMade = Instant.now();
      }
      if ("Running".equals(pod.getStatus().getPhase())) {
        podsRunning.add(pod.getMetadata().getUid());
        if (podsRunning.size() >= size && nthRunning == null) {
          nthRunning = Instant.now();
        }
      }
    }
  }

  private String clusterYaml() {
    // KWOK's nodes carry its NoSchedule taint and the label type=kwok; real pods ask for almost
    // no CPU so that 200 fit the 2-CPU test machine.
    String template = kwok ? """
            template:
              spec:
                nodeSelector: {type: kwok}
                tolerations: [{key: %s, operator: Exists, effect: NoSchedule}]
        """.formatted(Kwok.TAINT_KEY) : "";
    return """
        apiVersion: slurmkube.io/v1alpha1
        kind: SlurmCluster
        metadata: {name: %s}
        spec:
          image: slurmkube.local/slurmctld:26.05
          nodeImage: slurmkube.local/slurmd:26.05
          imagePullPolicy: Never
          accounting: {mode: None}
          home: {enabled: false}
          login: {replicas: 1}
          nodeSets:
          - name: %s
            minReplicas: 0
            maxReplicas: %d
            scaleDownDelaySeconds: 10
            cpus: 1
            cpuRequest: 5m
            memoryMiB: 64
        %s  partitions:
          - {name: wide, nodeSets: [%s], default: true}
        """.formatted(CLUSTER, NODE_SET, size, template, NODE_SET);
  }

  private static double requests(String metrics) {
    Double v = Metrics.value(metrics, "slurmkube_kubernetes_requests_total", Map.of());
    return v == null ? 0 : v;
  }

  /** The requests made between two scrapes, most first: "12 patch slurmkube.io/nodesets/status, ...". */
  private static String requestBreakdown(String before, String after) {
    var made = new java.util.TreeMap<String, Long>();
    var sample = java.util.regex.Pattern.compile(
        "^slurmkube_kubernetes_requests_total\\{code=\"(\\d+)\",resource=\"([^\"]*)\",verb=\"(\\w+)\"} (\\S+)$",
        java.util.regex.Pattern.MULTILINE);
    for (var m = sample.matcher(after); m.find(); ) {
      Double b = Metrics.value(before, "slurmkube_kubernetes_requests_total",
          Map.of("code", m.group(1), "resource", m.group(2), "verb", m.group(3)));
      long n = Math.round(Double.parseDouble(m.group(4)) - (b == null ? 0 : b));
      if (n > 0) {
        made.merge(m.group(3) + " " + m.group(2) + (m.group(1).startsWith("2") ? "" : " (" + m.group(1) + ")"), n, Long::sum);
      }
    }
    return made.isEmpty() ? "none" : made.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(e -> e.getValue() + " " + e.getKey()).collect(java.util.stream.Collectors.joining(", "));
  }

  private void line(String format, Object... args) {
    String text = String.format(format, args);
    report.append(text).append('\n');
    System.err.println("[" + STAMP.format(Instant.now()) + "] " + text);
  }

  private static double seconds(Instant from, Instant to) {
    return Duration.between(from, to).toMillis() / 1000.0;
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  /** Waits for {@code check}; one that fails (an exec that timed out on a loaded machine) is asked again. */
  private static void await(String what, Duration atMost, Check check) throws Exception {
    Instant deadline = Instant.now().plus(atMost);
    Exception last = null;
    while (true) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("gave up waiting " + atMost.toSeconds() + " s for: " + what
            + (last == null ? "" : " (last error: " + last.getMessage() + ")"));
      }
      Thread.sleep(200);
    }
  }
}
