package io.slurmkube.autoscale;

import io.fabric8.kubernetes.api.model.Pod;
import io.slurmkube.api.NodeSet;
import io.slurmkube.slurm.SlurmClient;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Draining a node set that is going away (its NodeSet or its SlurmCluster is being deleted): a
 * scale-down to zero through {@link DrainingScaleDown}, so a pod is deleted only once its node holds
 * no job. Unlike a scale-down, a node an administrator drained goes too once idle: nothing of the
 * node set is meant to stay.
 */
public final class DeletionDrain {
  private DeletionDrain() {}

  /**
   * One pass.
   *
   * @param podsToDelete pods whose node holds no job (or that never became a node)
   * @param busyNodes nodes of the node set that still run a job
   * @param jobs running jobs on the node set's nodes
   * @param message what the pass waits for, for status and events
   */
  public record Step(List<Pod> podsToDelete, List<String> busyNodes, List<SlurmJob> jobs, String message) {
    public boolean waitingForJobs() {
      return !busyNodes.isEmpty();
    }
  }

  public static Step plan(SlurmClient slurm, NodeSet nodeSet, List<Pod> pods, List<SlurmNode> nodes,
      List<SlurmJob> activeJobs, String drainReason) {
    List<Pod> delete = new ArrayList<>(pods.isEmpty() ? List.of()
        : DrainingScaleDown.removeNodes(slurm, nodeSet, pods, nodes, pods.size(), drainReason).podsToDelete());
    Map<String, SlurmNode> byName = nodes.stream().collect(Collectors.toMap(SlurmNode::name, Function.identity(), (a, b) -> a));
    Set<String> deleting = delete.stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    for (Pod pod : pods) {
      SlurmNode node = byName.get(pod.getMetadata().getName());
      // Drained by someone else and idle: a scale-down leaves it for its administrator; a deletion does not.
      if (node != null && node.isDrainFlagged() && !node.isBusy() && !deleting.contains(pod.getMetadata().getName())) {
        delete.add(pod);
      }
    }
    List<String> busy = nodes.stream().filter(SlurmNode::isBusy).map(SlurmNode::name).sorted().toList();
    String prefix = nodeSet.getMetadata().getName() + "-";
    List<SlurmJob> jobs = activeJobs.stream().filter(SlurmJob::isRunning).filter(j -> runsOn(j.nodeList(), prefix)).toList();
    String message;
    if (busy.isEmpty()) {
      message = pods.isEmpty() ? "no pod left" : "no job left: deleting " + pods.size() + " pod(s)";
    } else {
      message = (jobs.isEmpty() ? "waiting for the job(s)" : "waiting for " + jobs.size() + " job(s) (" + ids(jobs) + ")")
          + " on " + String.join(", ", busy) + "; every node is drained, no new job starts";
    }
    return new Step(delete, busy, jobs, message);
  }

  /**
   * Whether a Slurm host list ({@code demo-cpu-[0-2,5],demo-gpu-1}) names a node with this prefix
   * and an ordinal: {@code demo-cpu-} does not take {@code demo-cpu-big-0}.
   */
  public static boolean runsOn(String nodeList, String prefix) {
    if (nodeList == null || nodeList.isBlank()) {
      return false;
    }
    Pattern own = Pattern.compile(Pattern.quote(prefix) + "(\\d+|\\[[\\d,\\-]+\\])");
    for (String entry : splitOutsideBrackets(nodeList)) {
      if (own.matcher(entry.strip()).matches()) {
        return true;
      }
    }
    return false;
  }

  public static String ids(List<SlurmJob> jobs) {
    String shown = jobs.stream().limit(10).map(j -> Long.toString(j.id())).collect(Collectors.joining(", "));
    return jobs.size() > 10 ? shown + ", ..." : shown;
  }

  private static List<String> splitOutsideBrackets(String list) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    StringBuilder current = new StringBuilder();
    for (char c : list.toCharArray()) {
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        parts.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    parts.add(current.toString());
    return parts;
  }
}
