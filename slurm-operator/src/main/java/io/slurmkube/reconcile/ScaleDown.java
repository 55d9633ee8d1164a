package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Pod;
import io.slurmkube.api.NodeSet;
import java.util.List;

/**
 * Chooses which slurmd pods may be deleted when a NodeSet has more pods than it wants. The rule:
 * a pod goes only after Slurm has drained its node and the node holds no job; when Slurm cannot
 * be asked, nothing goes.
 */
public interface ScaleDown {

  /** Pods that may be deleted now, and why (the reason is shown in status and events). */
  record Decision(List<Pod> podsToDelete, String reason) {}

  Decision removeNodes(NodeSet nodeSet, List<Pod> pods, int excess);

  /** Used until a Slurm client is configured: scale-down waits rather than risk a running job. */
  ScaleDown WITHOUT_SLURM = (nodeSet, pods, excess) -> new Decision(List.of(),
      "waiting to remove " + excess + " node(s): no Slurm connection to drain them first");
}
