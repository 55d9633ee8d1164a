package io.slurmkube.autoscale;

import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The autoscaling decision for one node set: a pure function of the queue, the nodes and the clock.
 * Up: enough nodes for the eligible pending jobs, counting idle nodes, pods still starting and
 * replicas whose pods are still to be made.
 * Down: only with nothing eligible pending, by the nodes idle for longer than the delay.
 * Always within [minReplicas, maxReplicas].
 */
public final class ScalePolicy {

  public record Decision(int replicas, String reason) {
    public boolean changes(int current) {
      return replicas != current;
    }
  }

  private ScalePolicy() {}

  /**
   * @param idleSince when each idle node of the set was first seen idle (kept by the caller)
   */
  public static Decision decide(NodeSetView nodeSet, List<SlurmJob> jobs, Map<String, Instant> idleSince,
      Duration scaleDownDelay, Instant now) {
    return decide(nodeSet, jobs, 0, idleSince, scaleDownDelay, now);
  }

  /**
   * @param onTheirWay registered nodes that count as capacity on its way although not idle: those
   *     that became busy after the queue was listed (each may run a job the listing still shows
   *     pending; otherwise a listing a moment old would ask for a second node for a job that has
   *     just started), and drained ones the caller is about to resume
   * @param idleSince when each idle node of the set was first seen idle (kept by the caller)
   */
  public static Decision decide(NodeSetView nodeSet, List<SlurmJob> jobs, int onTheirWay,
      Map<String, Instant> idleSince, Duration scaleDownDelay, Instant now) {
    int current = nodeSet.replicas();
    int wanted = QueueDemand.nodesWanted(nodeSet, jobs, now);
    int idle = (int) nodeSet.nodes().stream().filter(SlurmNode::isIdle).count();
    // Replicas without a pod yet (one deleted from outside, or not created yet) get one this pass.
    int unmade = Math.max(0, current - nodeSet.pods());
    int coming = idle + nodeSet.starting() + onTheirWay + unmade;

    if (current < nodeSet.minReplicas()) {
      return new Decision(nodeSet.minReplicas(), "raised to minReplicas " + nodeSet.minReplicas());
    }
    if (current > nodeSet.maxReplicas()) {
      return new Decision(nodeSet.maxReplicas(), "lowered to maxReplicas " + nodeSet.maxReplicas());
    }
    if (wanted > coming) {
      int target = Math.min(nodeSet.maxReplicas(), current + (wanted - coming));
      if (target > current) {
        return new Decision(target, wanted + " node(s) wanted by pending jobs, " + coming
            + " idle, starting or just started: scaling up to " + target + (target == nodeSet.maxReplicas() ? " (maxReplicas)" : ""));
      }
      return new Decision(current, wanted + " node(s) wanted by pending jobs but already at maxReplicas " + current);
    }
    if (wanted > 0) {
      return new Decision(current, wanted + " node(s) wanted by pending jobs; " + coming + " idle or starting will take them");
    }
    long idleLongEnough = nodeSet.nodes().stream()
        .filter(SlurmNode::isIdle)
        .filter(n -> !idleSince.getOrDefault(n.name(), now).plus(scaleDownDelay).isAfter(now))
        .count();
    if (idleLongEnough > 0 && current > nodeSet.minReplicas()) {
      int target = (int) Math.max(nodeSet.minReplicas(), current - idleLongEnough);
      return new Decision(target, idleLongEnough + " node(s) idle for " + scaleDownDelay.toSeconds()
          + "s or more and no pending job for them: scaling down to " + target);
    }
    return new Decision(current, "no pending job for this node set; " + idle + " idle node(s)");
  }
}
