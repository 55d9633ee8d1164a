package io.slurmkube.autoscale;

import io.fabric8.kubernetes.api.model.Pod;
import io.slurmkube.model.NodePodBuilder;
import io.slurmkube.slurm.SlurmNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Replaces slurmd pods that the node set no longer wants as they are, without killing a job: a pod
 * built from an older template (a rolling update), or on a cordoned Kubernetes node. Its Slurm
 * node is drained first, with a reason that says why; the pod is deleted only once the node holds
 * no job, and the node set then creates its replacement. A pure function of the pods, the Slurm
 * nodes and the budget; the caller drains and deletes.
 */
public final class PodReplacement {

  /**
   * A pod to replace and why. {@code urgent} (its Kubernetes node is cordoned) drains at once;
   * otherwise (outdated) as many drain at a time as maxUnavailable allows.
   */
  public record Retiring(Pod pod, String reason, boolean urgent) {}

  /** Nodes to drain (name to reason), pods to delete now, and a summary for status and events. */
  public record Plan(Map<String, String> drain, List<Pod> delete, List<String> waitingForJobs, List<String> leftAlone) {
    public boolean idle() {
      return drain.isEmpty() && delete.isEmpty() && waitingForJobs.isEmpty();
    }

    public String summary() {
      List<String> parts = new ArrayList<>();
      if (!drain.isEmpty()) {
        parts.add("draining " + String.join(", ", drain.keySet()));
      }
      if (!delete.isEmpty()) {
        parts.add("replacing " + delete.stream().map(p -> p.getMetadata().getName()).collect(Collectors.joining(", "))
            + " (drained, no job)");
      }
      if (!waitingForJobs.isEmpty()) {
        parts.add("waiting for the jobs on " + String.join(", ", waitingForJobs));
      }
      if (!leftAlone.isEmpty()) {
        parts.add("left alone (drained by someone else): " + String.join(", ", leftAlone));
      }
      return String.join("; ", parts);
    }
  }

  private PodReplacement() {}

  public static String outdatedReason(String nodeSetName) {
    return DrainingScaleDown.REASON_PREFIX + " rolling update of NodeSet " + nodeSetName;
  }

  public static String cordonedReason(String kubernetesNode) {
    return DrainingScaleDown.REASON_PREFIX + " Kubernetes node " + kubernetesNode + " is cordoned";
  }

  /**
   * @param unavailable nodes of the set not serving now for other reasons (pods missing or not ready)
   * @param maxUnavailable how many may be draining or replaced at once, for outdated pods
   */
  public static Plan plan(List<Retiring> retiring, Map<String, SlurmNode> nodes, int unavailable, int maxUnavailable) {
    Map<String, String> drain = new LinkedHashMap<>();
    List<Pod> delete = new ArrayList<>();
    List<String> waiting = new ArrayList<>();
    List<String> leftAlone = new ArrayList<>();
    List<Retiring> candidates = new ArrayList<>();
    for (Retiring r : retiring) {
      String name = r.pod().getMetadata().getName();
      SlurmNode node = nodes.get(name);
      if (node == null) {
        // Not a Slurm node (yet): no job can be on it unless its slurmd is up and about to register.
        if (!"Running".equals(r.pod().getStatus() == null ? null : r.pod().getStatus().getPhase())) {
          delete.add(r.pod());
        }
      } else if (node.isDrainFlagged() && DrainingScaleDown.drainedByOperator(node)) {
        if (node.isBusy()) {
          waiting.add(name);
        } else {
          delete.add(r.pod());
        }
      } else if (node.isDrainFlagged()) {
        leftAlone.add(name);
      } else {
        candidates.add(r);
      }
    }
    int budget = maxUnavailable - unavailable - waiting.size() - delete.size();
    candidates.sort(Comparator
        .comparing((Retiring r) -> !r.urgent())
        .thenComparing(r -> nodes.get(r.pod().getMetadata().getName()).isBusy())
        .thenComparing(Comparator.comparingInt((Retiring r) -> NodePodBuilder.ordinal(r.pod())).reversed()));
    for (Retiring r : candidates) {
      if (r.urgent() || budget > 0) {
        drain.put(r.pod().getMetadata().getName(), r.reason());
        budget--;
      }
    }
    return new Plan(drain, delete, waiting, leftAlone);
  }
}
