package io.slurmkube.autoscale;

import io.slurmkube.slurm.SlurmJob;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How many nodes of a node set the pending queue asks for. A pending job counts when it waits in
 * a partition of the node set, its --constraint names only features the node set has, one node of
 * the set can hold its share of CPUs and GPUs, and it waits for something more nodes can give
 * (not a dependency, a hold, a begin time or a limit). Those are read from the job's own fields as
 * well as its reason: right after a submit or a requeue Slurm's reason is often still "None".
 */
public final class QueueDemand {

  /** Pending reasons that new nodes cannot cure. */
  private static final List<String> NOT_FOR_NODES = List.of("dependency", "begintime", "jobheld", "assoc", "qos",
      "account" /* AccountNotAllowed, AccountingPolicy */,
      "reservation", "partitiondown", "partitioninactive", "partitiontimelimit", "invalid", "badconstraints",
      "launchfailed", "nodedown" /* a job pinned to a named node that is down */);

  private QueueDemand() {}

  /** Nodes wanted by the jobs this node set could run; each task of a pending array is a job. */
  public static int nodesWanted(NodeSetView nodeSet, List<SlurmJob> jobs, Instant now) {
    long wanted = eligible(nodeSet, jobs, now).stream().mapToLong(j -> (long) Math.max(1, j.nodes()) * Math.max(1, j.pendingTasks())).sum();
    return (int) Math.min(wanted, Integer.MAX_VALUE);
  }

  /**
   * The jobs none of {@code earlier} could run: each pending job is counted by one node set only
   * (the first in spec.nodeSets that can run it), so that two node sets of one partition do not
   * both scale up for it.
   */
  public static List<SlurmJob> unclaimed(List<NodeSetView> earlier, List<SlurmJob> jobs, Instant now) {
    if (earlier.isEmpty()) {
      return jobs;
    }
    return jobs.stream().filter(j -> earlier.stream().noneMatch(e -> !eligible(e, List.of(j), now).isEmpty())).toList();
  }

  public static List<SlurmJob> eligible(NodeSetView nodeSet, List<SlurmJob> jobs, Instant now) {
    return jobs.stream()
        .filter(SlurmJob::isPending)
        .filter(j -> waitsForNodes(j.reason()))
        .filter(j -> mayStartNow(j, now))
        .filter(j -> inPartitionOf(nodeSet, j))
        .filter(j -> constraintMet(nodeSet.features(), j.features()))
        .filter(j -> fitsNodeSet(nodeSet, j))
        .toList();
  }

  /**
   * Pending jobs this node set could run but that wait for policy (an association or QOS limit,
   * an account or QOS they may not use): no node would start them, so none is added for them.
   */
  public static int waitingForPolicy(NodeSetView nodeSet, List<SlurmJob> jobs, Instant now) {
    return (int) jobs.stream()
        .filter(SlurmJob::isPending)
        .filter(j -> waitingFor(j, now) == Wait.POLICY)
        .filter(j -> inPartitionOf(nodeSet, j))
        .filter(j -> constraintMet(nodeSet.features(), j.features()))
        .filter(j -> fitsNodeSet(nodeSet, j))
        .mapToLong(j -> Math.max(1, j.pendingTasks()))
        .sum();
  }

  /** What a pending job waits for, as the metrics group it: only NODES is cured by scaling up. */
  public enum Wait { NODES, POLICY, TIME, DEPENDENCY, HELD }

  /** Why a pending job waits, from its own fields first (the reason lags them), then its reason. */
  public static Wait waitingFor(SlurmJob job, Instant now) {
    var start = job.start();
    String r = job.reason() == null ? "" : job.reason().toLowerCase(Locale.ROOT);
    if (start.held() || r.startsWith("jobheld") || r.contains("held")) {
      return Wait.HELD;
    }
    if (dependencyPending(start.dependency()) || r.startsWith("dependency")) {
      return Wait.DEPENDENCY;
    }
    if ((start.eligibleTime() != null && start.eligibleTime().isAfter(now)) || r.startsWith("begintime")) {
      return Wait.TIME;
    }
    return waitsForNodes(job.reason()) ? Wait.NODES : Wait.POLICY;
  }

  static boolean waitsForNodes(String reason) {
    String r = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
    return NOT_FOR_NODES.stream().noneMatch(r::startsWith);
  }

  /**
   * Whether nothing but resources keeps the job from starting at {@code now}: no begin time ahead
   * (--begin, or the delay Slurm puts on a requeued job), no unmet dependency, no hold, and not still
   * completing on its old nodes (a requeued job is PENDING and COMPLETING before its delay is set).
   */
  static boolean mayStartNow(SlurmJob job, Instant now) {
    var start = job.start();
    return !job.isCompleting()
        && !start.held()
        && (start.eligibleTime() == null || !start.eligibleTime().isAfter(now))
        && !dependencyPending(start.dependency());
  }

  /**
   * Slurm marks each part "(unfulfilled)", "(failed)" or "(fulfilled)" and drops the expression once
   * it is met: parts joined by ',' must all be fulfilled, parts joined by '?' need one.
   */
  static boolean dependencyPending(String dependency) {
    if (dependency == null || dependency.isBlank() || dependency.equals("(null)")) {
      return false;
    }
    String[] parts = dependency.split(dependency.contains("?") ? "\\?" : ",");
    var fulfilled = Arrays.stream(parts).map(String::strip).filter(p -> !p.isEmpty()).map(p -> p.endsWith("(fulfilled)"));
    return dependency.contains("?") ? fulfilled.noneMatch(f -> f) : !fulfilled.allMatch(f -> f);
  }

  static boolean inPartitionOf(NodeSetView nodeSet, SlurmJob job) {
    if (job.partition() == null || job.partition().isBlank()) {
      return false;
    }
    return Arrays.stream(job.partition().split(",")).map(String::trim).anyMatch(nodeSet.partitions()::contains);
  }

  /** Constraints joined by '&' or ',' must all be features of the node set; '|' and '[...]' are not guessed at. */
  static boolean constraintMet(Set<String> features, String constraint) {
    if (constraint == null || constraint.isBlank()) {
      return true;
    }
    if (constraint.contains("|") || constraint.contains("[") || constraint.contains("*")) {
      return false;
    }
    Set<String> wanted = Arrays.stream(constraint.split("[&,]")).map(String::trim)
        .filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    return features.containsAll(wanted);
  }

  static boolean fitsNodeSet(NodeSetView nodeSet, SlurmJob job) {
    int nodes = Math.max(1, job.nodes());
    int cpusPerNode = (job.cpus() + nodes - 1) / nodes;
    int gpusPerNode = (job.gpus() + nodes - 1) / nodes;
    return cpusPerNode <= nodeSet.cpus() && gpusPerNode <= nodeSet.gpus() && nodes <= nodeSet.maxReplicas();
  }
}
