package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.slurmkube.api.NodeSet;

/**
 * The PodDisruptionBudget of a node set: no eviction of a slurmd pod unless the NodeSet controller
 * has labelled it {@code slurmkube.io/evictable=true}, which it does only once the pod's Slurm node
 * is drained and holds no job. Labelling busy pods instead would leave a window: a job Slurm
 * starts on an idle pod a moment before the label follows would be killed by an eviction. A
 * cordon (`kubectl drain`) drains the node set's nodes on that Kubernetes node, so the drain
 * evicts idle pods at once and busy ones as their jobs end.
 */
public final class DisruptionBudgetBuilder {
  private DisruptionBudgetBuilder() {}

  public static String name(NodeSet nodeSet) {
    return nodeSet.getMetadata().getName() + "-jobs";
  }

  public static PodDisruptionBudget protectJobs(NodeSet nodeSet) {
    var selector = Labels.nodeSetSelector(nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName);
    var labels = Labels.nodeSetSelector(nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName);
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    return new PodDisruptionBudgetBuilder()
        .withMetadata(Owned.meta(nodeSet, name(nodeSet), labels))
        .withNewSpec()
          .withMaxUnavailable(new IntOrString(0))
          .withNewSelector().withMatchLabels(selector)
            .addNewMatchExpression().withKey(Labels.EVICTABLE).withOperator("NotIn").withValues("true").endMatchExpression()
          .endSelector()
        .endSpec()
        .build();
  }
}
