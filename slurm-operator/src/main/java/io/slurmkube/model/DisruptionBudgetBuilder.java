package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.slurmkube.api.NodeSet;

/**
 * The PodDisruptionBudget of a node set: no eviction of a slurmd pod whose Slurm node runs a job
 * (the NodeSet controller labels those pods {@code slurmkube.io/busy=true}). Idle pods are not
 * selected, so `kubectl drain` evicts them at once and waits for the busy ones until their jobs end.
 */
public final class DisruptionBudgetBuilder {
  private DisruptionBudgetBuilder() {}

  public static String name(NodeSet nodeSet) {
    return nodeSet.getMetadata().getName() + "-busy";
  }

  public static PodDisruptionBudget busyPods(NodeSet nodeSet) {
    var selector = Labels.nodeSetSelector(nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName);
    selector.put(Labels.BUSY, "true");
    var labels = Labels.nodeSetSelector(nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName);
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    return new PodDisruptionBudgetBuilder()
        .withMetadata(Owned.meta(nodeSet, name(nodeSet), labels))
        .withNewSpec()
          .withMaxUnavailable(new IntOrString(0))
          .withNewSelector().withMatchLabels(selector).endSelector()
        .endSpec()
        .build();
  }
}
