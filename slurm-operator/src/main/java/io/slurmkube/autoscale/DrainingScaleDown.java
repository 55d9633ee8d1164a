package io.slurmkube.autoscale;

import io.fabric8.kubernetes.api.model.Pod;
import io.slurmkube.api.NodeSet;
import io.slurmkube.model.NodePodBuilder;
import io.slurmkube.slurm.SlurmClient;
import io.slurmkube.slurm.SlurmNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Scale-down that never kills a job: a pod is deleted only when its Slurm node is drained (by this
 * operator) and holds no job, or when it never became a Slurm node and is not running. Nodes are
 * drained idle-first, highest ordinal first; a drain set by someone else is left alone.
 */
public final class DrainingScaleDown {
  /** Every reason this operator writes starts so: it is how its own drains are told from an administrator's. */
  public static final String REASON_PREFIX = "slurmkube:";

  private DrainingScaleDown() {}

  /** The outcome of a scale-down step: the pods that may be deleted now, and why (shown in status and events). */
  /** Pods safe to delete now, why, and the nodes this call drained. */
  public record Decision(List<Pod> podsToDelete, String reason, List<String> drained) {
    public Decision(List<Pod> podsToDelete, String reason) {
      this(podsToDelete, reason, List.of());
    }
  }

  public static boolean drainedByOperator(SlurmNode node) {
    return node.reason() != null && node.reason().startsWith(REASON_PREFIX);
  }

  /**
   * Whether a node this operator drained may go back to work because its scale-down was called
   * off. Only while its pod is still wanted ({@code activePods}: pods not being deleted): a node
   * whose pod is going keeps the drain, so that its record can be deleted after it.
   */
  public static boolean mayResume(SlurmNode node, Set<String> activePods) {
    return node.isDrainFlagged() && drainedByOperator(node) && !node.isDown() && activePods.contains(node.name());
  }

  /**
   * Whether the record of a node whose pod no longer exists may be deleted: it holds no job, and
   * either this operator drained it or its slurmd went away (DOWN) without anyone else's drain.
   * A drain with an administrator's reason stays for the administrator to see.
   */
  public static boolean recordMayGo(SlurmNode node) {
    if (node.isBusy()) {
      return false;
    }
    if (drainedByOperator(node)) {
      return true;
    }
    String reason = node.reason() == null ? "" : node.reason();
    return node.isDown() && (!node.isDrainFlagged() || reason.isBlank() || reason.startsWith("Not responding"));
  }

  /**
   * Whether a slurmd pod may be marked evictable for its PodDisruptionBudget: only once its Slurm
   * node is drained and holds no job, a state that lasts (Slurm starts nothing there, and the drain
   * survives a slurmctld restart) until the operator resumes the node, which unmarks the pod first.
   * A pod with no node record is never marked, even before it runs: the label would outlive that
   * moment, and its slurmd registers and takes jobs before a pass can see the node — for many
   * seconds while Slurm cannot be asked or the operator restarts; an eviction then takes the job.
   * Pods that never became nodes are deleted by the operator itself, not evicted.
   */
  public static boolean mayBeEvicted(SlurmNode node) {
    return node != null && node.isDrainFlagged() && !node.isBusy();
  }

  /**
   * Nodes to drain because their pod is being deleted or is gone (whoever deleted it): Slurm must
   * start nothing more there. The pod's stop hook marks the node DOWN, but a slurmd that answers
   * one more ping while it exits returns a DOWN node to service (ReturnToService=2), and without a
   * drain that is an idle node with no slurmd, where jobs start and are requeued once it stops
   * responding. With the drain it stays drained, and its record is deleted once idle.
   *
   * @param pods the node set's pods as the cache holds them, those being deleted included
   */
  public static List<String> nodesOfLeavingPods(List<Pod> pods, List<SlurmNode> nodes) {
    Map<String, Pod> byName = pods.stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), Function.identity(),
        (a, b) -> a));
    List<String> drain = new ArrayList<>();
    for (SlurmNode node : nodes) {
      Pod pod = byName.get(node.name());
      boolean leaving = pod == null || pod.getMetadata().getDeletionTimestamp() != null;
      if (leaving && !node.isDrainFlagged()) {
        drain.add(node.name());
      }
    }
    return drain;
  }

  /**
   * Of the pods a step would delete, those still safe to delete after a second, fresh look at
   * Slurm: a pod whose node was drained and idle (its drain keeps jobs off), and a pod that had no
   * node and still has none. A pod that had no node but has one now is kept: its slurmd registered
   * since the first look (the pod's phase in the cache lags its start) and may already run a job.
   *
   * @param nodesBefore the node names the step decided on
   * @param nodesNow the node names of the fresh look
   */
  public static List<Pod> stillSafeToDelete(List<Pod> delete, Set<String> nodesBefore, Set<String> nodesNow) {
    return delete.stream()
        .filter(p -> nodesBefore.contains(p.getMetadata().getName()) || !nodesNow.contains(p.getMetadata().getName()))
        .toList();
  }

  /** Whether any of the pods had no node in the given look (a fresh look is then needed before deleting). */
  public static boolean anyWithoutNode(List<Pod> pods, Set<String> nodeNames) {
    return pods.stream().anyMatch(p -> !nodeNames.contains(p.getMetadata().getName()));
  }

  /** The reason a node whose pod is going is drained with. */
  public static String leavingReason(String podName) {
    return REASON_PREFIX + " pod " + podName + " is being deleted";
  }

  public static Decision removeNodes(SlurmClient slurm, NodeSet nodeSet, List<Pod> pods, List<SlurmNode> nodes,
      int excess) {
    return removeNodes(slurm, nodeSet, pods, nodes, excess,
        REASON_PREFIX + " scale-down of NodeSet " + nodeSet.getMetadata().getName());
  }

  /** The same, draining with the given reason (it must start with {@link #REASON_PREFIX}). */
  public static Decision removeNodes(SlurmClient slurm, NodeSet nodeSet, List<Pod> pods, List<SlurmNode> nodes,
      int excess, String drainReason) {
    Map<String, SlurmNode> byName = nodes.stream().collect(Collectors.toMap(SlurmNode::name, Function.identity()));
    List<Pod> delete = new ArrayList<>();
    List<Pod> draining = new ArrayList<>();
    List<Pod> candidates = new ArrayList<>();
    for (Pod pod : pods) {
      SlurmNode node = byName.get(pod.getMetadata().getName());
      if (node == null) {
        // Not a Slurm node: no job can be on it, unless its slurmd is up and about to register.
        if (!"Running".equals(pod.getStatus() == null ? null : pod.getStatus().getPhase())) {
          delete.add(pod);
        }
      } else if (drainedByOperator(node) && node.isDrainFlagged()) {
        if (node.isBusy()) {
          draining.add(pod);
        } else {
          delete.add(pod);
        }
      } else if (!node.isDrainFlagged()) {
        candidates.add(pod);
      }
    }
    // Deleted first what is already safe; then drain just enough more.
    if (delete.size() > excess) {
      delete = delete.subList(0, excess);
    }
    int stillToDrain = excess - delete.size() - draining.size();
    candidates.sort(Comparator
        .comparing((Pod p) -> byName.get(p.getMetadata().getName()).isBusy())
        .thenComparing(Comparator.comparingInt(NodePodBuilder::ordinal).reversed()));
    List<String> newlyDrained = new ArrayList<>();
    for (Pod pod : candidates.subList(0, Math.max(0, Math.min(stillToDrain, candidates.size())))) {
      String name = pod.getMetadata().getName();
      slurm.drainNode(name, drainReason);
      newlyDrained.add(name);
    }
    var reason = new StringBuilder("removing " + excess + " node(s)");
    if (!delete.isEmpty()) {
      reason.append("; deleting ").append(names(delete)).append(" (drained, no job)");
    }
    if (!draining.isEmpty()) {
      reason.append("; waiting for jobs on ").append(names(draining)).append(" to finish");
    }
    if (!newlyDrained.isEmpty()) {
      reason.append("; draining ").append(String.join(", ", newlyDrained));
    }
    return new Decision(delete, reason.toString(), newlyDrained);
  }

  private static String names(List<Pod> pods) {
    return pods.stream().map(p -> p.getMetadata().getName()).collect(Collectors.joining(", "));
  }
}
