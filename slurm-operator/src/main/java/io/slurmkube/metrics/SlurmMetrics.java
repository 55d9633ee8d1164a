package io.slurmkube.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.slurmkube.autoscale.QueueDemand;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's Slurm metrics, named by Prometheus conventions once scraped (Micrometer adds the
 * unit and _total suffixes): slurmkube_jobs_pending{namespace,cluster,partition,reason},
 * slurmkube_jobs_running{namespace,cluster,partition}, slurmkube_nodeset_nodes{...,nodeset,state},
 * slurmkube_nodeset_replicas_desired / _current, slurmkube_scale_decisions_total{...,direction},
 * slurmkube_node_drains_total, slurmkube_node_removals_total, and the histograms
 * slurmkube_job_submit_to_scale_decision_seconds and slurmkube_job_submit_to_running_seconds.
 */
public final class SlurmMetrics {
  /** Histogram buckets: the 3 s and 1 s targets of a scale-up, and the waits of a busy queue. */
  private static final Duration[] BUCKETS = {Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
      Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
      Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1)};

  private final MeterRegistry registry;
  private final MultiGauge pending;
  private final MultiGauge running;
  private final MultiGauge nodes;
  private final MultiGauge desired;
  private final MultiGauge current;
  /** Rows per cluster or node set ("ns/name"), so that one's update does not drop another's. */
  private final Map<String, List<MultiGauge.Row<?>>> pendingRows = new ConcurrentHashMap<>();
  private final Map<String, List<MultiGauge.Row<?>>> runningRows = new ConcurrentHashMap<>();
  private final Map<String, List<MultiGauge.Row<?>>> nodeRows = new ConcurrentHashMap<>();
  private final Map<String, MultiGauge.Row<?>> desiredRows = new ConcurrentHashMap<>();
  private final Map<String, MultiGauge.Row<?>> currentRows = new ConcurrentHashMap<>();
  /** Jobs seen running per cluster; absent until the first read (which only seeds it). */
  private final Map<String, Set<Long>> runningJobs = new ConcurrentHashMap<>();
  /**
   * When each pending job of a cluster was submitted: Slurm's submit time where the read has it
   * (slurmrestd), else when this process first saw it pending (the queue reader sends no submit
   * time; the error is one read period). {@link #UNKNOWN} for jobs already queued at the first read.
   */
  private final Map<String, Map<Long, Instant>> submitted = new ConcurrentHashMap<>();
  private static final Instant UNKNOWN = Instant.MIN;
  /**
   * The listing each cluster's gauges were last computed from: every autoscaling node set of a
   * cluster passes the same shared read (SharedReadsClient) twice a second; it is counted once.
   */
  private final Map<String, List<SlurmJob>> lastListing = new ConcurrentHashMap<>();
  /** Pending jobs already counted in the submit-to-decision histogram, per node set. */
  private final Map<String, Set<Long>> decidedJobs = new ConcurrentHashMap<>();

  public SlurmMetrics(MeterRegistry registry) {
    this.registry = registry;
    pending = MultiGauge.builder("slurmkube.jobs.pending")
        .description("Pending Slurm jobs (each array task counts) by what they wait for: nodes, policy, time, dependency, held")
        .register(registry);
    running = MultiGauge.builder("slurmkube.jobs.running").description("Running Slurm jobs").register(registry);
    nodes = MultiGauge.builder("slurmkube.nodeset.nodes")
        .description("A node set's Slurm nodes by state: idle, allocated, mixed, completing, draining, drained, down, other")
        .register(registry);
    desired = MultiGauge.builder("slurmkube.nodeset.replicas.desired").description("spec.replicas of a NodeSet").register(registry);
    current = MultiGauge.builder("slurmkube.nodeset.replicas.current").description("slurmd pods of a NodeSet").register(registry);
  }

  /** For reconcilers built without the operator's registry (tests): counted, never served. */
  public static SlurmMetrics unserved() {
    return new SlurmMetrics(new SimpleMeterRegistry());
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /** The queue of a cluster as just read (pending and running jobs at least). */
  public synchronized void queue(String namespace, String cluster, List<SlurmJob> jobs, Instant now) {
    if (lastListing.put(key(namespace, cluster), jobs) == jobs) {
      return; // the very listing already counted (same object, not merely equal)
    }
    Map<List<String>, Long> byPartitionAndReason = new TreeMap<>(java.util.Comparator.comparing(Object::toString));
    Map<String, Long> runningByPartition = new TreeMap<>();
    Set<Long> runningNow = new HashSet<>();
    for (SlurmJob job : jobs) {
      String partition = job.partition() == null || job.partition().isBlank() ? "" : job.partition();
      if (job.isPending()) {
        String reason = QueueDemand.waitingFor(job, now).name().toLowerCase(Locale.ROOT);
        byPartitionAndReason.merge(List.of(partition, reason), (long) Math.max(1, job.pendingTasks()), Long::sum);
      } else if (job.isRunning()) {
        runningByPartition.merge(partition, 1L, Long::sum);
        runningNow.add(job.id());
      }
    }
    Tags base = Tags.of("namespace", namespace, "cluster", cluster);
    List<MultiGauge.Row<?>> pendingRowsNow = new ArrayList<>();
    byPartitionAndReason.forEach((k, n) ->
        pendingRowsNow.add(MultiGauge.Row.of(base.and("partition", k.get(0), "reason", k.get(1)), n)));
    List<MultiGauge.Row<?>> runningRowsNow = new ArrayList<>();
    runningByPartition.forEach((p, n) -> runningRowsNow.add(MultiGauge.Row.of(base.and("partition", p), n)));
    String key = key(namespace, cluster);
    pendingRows.put(key, pendingRowsNow);
    runningRows.put(key, runningRowsNow);
    pending.register(flatten(pendingRows), true);
    running.register(flatten(runningRows), true);

    Set<Long> before = runningJobs.put(key, runningNow);
    Map<Long, Instant> since = submitted.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
    Timer timer = Timer.builder("slurmkube.job.submit.to.running")
        .description("From a job's submission to the operator seeing it RUNNING (seen at the operator's reads of the queue)")
        .serviceLevelObjectives(BUCKETS).tags(base).register(registry);
    Set<Long> pendingNow = new HashSet<>();
    for (SlurmJob job : jobs) {
      if (job.isPending()) {
        pendingNow.add(job.id());
        since.computeIfAbsent(job.id(), id -> job.submitTime() != null ? job.submitTime() : before == null ? UNKNOWN : now);
      } else if (job.isRunning() && before != null && !before.contains(job.id())) {
        Instant at = job.submitTime() != null ? job.submitTime() : since.getOrDefault(job.id(), UNKNOWN);
        if (!at.equals(UNKNOWN) && !at.isAfter(now)) {
          timer.record(Duration.between(at, now));
        }
      }
    }
    since.keySet().retainAll(pendingNow);
  }

  /** A node set's Slurm nodes and replicas, each pass. */
  public synchronized void nodeSet(String namespace, String cluster, String nodeSet, List<SlurmNode> slurmNodes, int desiredReplicas,
      int currentPods) {
    Tags tags = Tags.of("namespace", namespace, "cluster", cluster, "nodeset", nodeSet);
    Map<String, Long> byState = new TreeMap<>();
    for (String state : List.of("idle", "allocated", "mixed", "completing", "draining", "drained", "down")) {
      byState.put(state, 0L);
    }
    slurmNodes.forEach(n -> byState.merge(state(n), 1L, Long::sum));
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    byState.forEach((state, n) -> rows.add(MultiGauge.Row.of(tags.and("state", state), n)));
    String key = key(namespace, cluster + "/" + nodeSet);
    nodeRows.put(key, rows);
    desiredRows.put(key, MultiGauge.Row.of(tags, desiredReplicas));
    currentRows.put(key, MultiGauge.Row.of(tags, currentPods));
    nodes.register(flatten(nodeRows), true);
    desired.register(List.copyOf(desiredRows.values()), true);
    current.register(List.copyOf(currentRows.values()), true);
  }

  /** A node's state as one label value: what it does, with a drain or DOWN first. */
  static String state(SlurmNode node) {
    if (node.isDown()) {
      return "down";
    }
    if (node.isDrainFlagged()) {
      return node.isBusy() ? "draining" : "drained";
    }
    for (String s : List.of("COMPLETING", "MIXED", "ALLOCATED", "IDLE")) {
      if (node.states().contains(s)) {
        return s.toLowerCase(Locale.ROOT);
      }
    }
    return node.isBusy() ? "allocated" : "other";
  }

  /** The autoscaler changed a node set's replicas; on a scale-up, how long its jobs waited for it. */
  public synchronized void scaleDecision(String namespace, String cluster, String nodeSet, int from, int to,
      List<SlurmJob> wanting, Instant now) {
    Tags tags = Tags.of("namespace", namespace, "cluster", cluster, "nodeset", nodeSet);
    Counter.builder("slurmkube.scale.decisions").description("Replica changes made by the queue autoscaler")
        .tags(tags.and("direction", to > from ? "up" : "down")).register(registry).increment();
    if (to <= from) {
      return;
    }
    Set<Long> counted = decidedJobs.computeIfAbsent(key(namespace, cluster + "/" + nodeSet), k -> ConcurrentHashMap.newKeySet());
    Timer timer = Timer.builder("slurmkube.job.submit.to.scale.decision")
        .description("From a job's submission to the first scale-up decided for it")
        .serviceLevelObjectives(BUCKETS).tags(tags).register(registry);
    Map<Long, Instant> since = submitted.getOrDefault(key(namespace, cluster), Map.of());
    Set<Long> stillWanting = new HashSet<>();
    for (SlurmJob job : wanting) {
      stillWanting.add(job.id());
      Instant at = job.submitTime() != null ? job.submitTime() : since.getOrDefault(job.id(), UNKNOWN);
      if (counted.add(job.id()) && !at.equals(UNKNOWN) && !at.isAfter(now)) {
        timer.record(Duration.between(at, now));
      }
    }
    counted.retainAll(stillWanting);
  }

  public void drained(String namespace, String cluster, String nodeSet, int count) {
    if (count > 0) {
      Counter.builder("slurmkube.node.drains").description("Slurm nodes drained by the operator (scale-down, replacement, leaving pods)")
          .tags("namespace", namespace, "cluster", cluster, "nodeset", nodeSet).register(registry).increment(count);
    }
  }

  public void removed(String namespace, String cluster, String nodeSet, int count) {
    if (count > 0) {
      Counter.builder("slurmkube.node.removals").description("slurmd pods deleted once their node was drained and idle")
          .tags("namespace", namespace, "cluster", cluster, "nodeset", nodeSet).register(registry).increment(count);
    }
  }

  /** A deleted cluster's gauges go (its counters stay until the process ends, as counters do). */
  public synchronized void forgetCluster(String namespace, String cluster) {
    String key = key(namespace, cluster);
    pendingRows.remove(key);
    runningRows.remove(key);
    runningJobs.remove(key);
    submitted.remove(key);
    lastListing.remove(key);
    pending.register(flatten(pendingRows), true);
    running.register(flatten(runningRows), true);
  }

  public synchronized void forgetNodeSet(String namespace, String cluster, String nodeSet) {
    String key = key(namespace, cluster + "/" + nodeSet);
    nodeRows.remove(key);
    desiredRows.remove(key);
    currentRows.remove(key);
    decidedJobs.remove(key);
    nodes.register(flatten(nodeRows), true);
    desired.register(List.copyOf(desiredRows.values()), true);
    current.register(List.copyOf(currentRows.values()), true);
  }

  private static List<MultiGauge.Row<?>> flatten(Map<String, List<MultiGauge.Row<?>>> rows) {
    List<MultiGauge.Row<?>> all = new ArrayList<>();
    rows.values().forEach(all::addAll);
    return all;
  }
}
