package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterStatus;
import io.slurmkube.api.SlurmClusterStatus.ComponentStatus;
import io.slurmkube.api.SlurmClusterStatus.NodeSetSummary;
import io.slurmkube.model.Labels.Component;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Aggregates a SlurmCluster's status from what its objects report: a pure function. */
final class ClusterStatus {

  /** The objects as the API server last reported them; null where a component is absent. */
  record Observed(StatefulSet controller, StatefulSet database, Deployment accounting, Deployment restApi,
      Deployment login, List<NodeSet> nodeSets) {}

  private ClusterStatus() {}

  static SlurmClusterStatus compute(SlurmCluster cluster, Observed observed, List<String> problems) {
    var previous = cluster.getStatus() == null ? new SlurmClusterStatus() : cluster.getStatus();
    var status = new SlurmClusterStatus();
    long generation = cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();
    status.observedGeneration = generation;
    status.pendingJobs = previous.pendingJobs;

    status.components.add(statefulSet(Component.CONTROLLER, observed.controller()));
    if (observed.database() != null) {
      status.components.add(statefulSet(Component.DATABASE, observed.database()));
    }
    if (observed.accounting() != null) {
      status.components.add(deployment(Component.ACCOUNTING, observed.accounting()));
    }
    if (observed.restApi() != null) {
      status.components.add(deployment(Component.REST_API, observed.restApi()));
    }
    status.components.add(deployment(Component.LOGIN, observed.login()));

    int ready = 0;
    int desired = 0;
    for (NodeSet nodeSet : observed.nodeSets()) {
      var summary = new NodeSetSummary();
      summary.name = nodeSet.getSpec().nodeSetName;
      summary.desired = orZero(nodeSet.getSpec().replicas);
      if (nodeSet.getStatus() != null) {
        summary.ready = orZero(nodeSet.getStatus().readyReplicas);
        summary.idle = orZero(nodeSet.getStatus().idle);
        summary.allocated = orZero(nodeSet.getStatus().allocated);
        summary.draining = orZero(nodeSet.getStatus().draining);
      }
      ready += summary.ready;
      desired += summary.desired;
      status.nodeSets.add(summary);
    }
    status.readyNodes = ready;
    status.desiredNodes = desired;

    List<String> waiting = status.components.stream().filter(c -> !c.ready)
        .map(c -> c.name + " (" + c.message + ")").collect(Collectors.toCollection(ArrayList::new));
    boolean componentsReady = waiting.isEmpty();
    var conditions = previous.conditions;
    if (!problems.isEmpty()) {
      conditions = Conditions.set(conditions, generation, Conditions.DEGRADED, true, "ConfigurationProblem", String.join("; ", problems));
    } else {
      conditions = Conditions.set(conditions, generation, Conditions.DEGRADED, false, "NoProblems", "Every step applied");
    }
    if (componentsReady) {
      conditions = Conditions.set(conditions, generation, Conditions.READY, true, "AllComponentsReady",
          "controller, accounting, REST API and login are ready; " + ready + "/" + desired + " nodes ready");
      conditions = Conditions.set(conditions, generation, Conditions.PROGRESSING, ready != desired,
          ready != desired ? "NodesStarting" : "Stable",
          ready != desired ? ready + " of " + desired + " nodes ready" : "Nothing to do");
    } else {
      String message = "Waiting for " + String.join(", ", waiting);
      conditions = Conditions.set(conditions, generation, Conditions.READY, false, "ComponentsNotReady", message);
      conditions = Conditions.set(conditions, generation, Conditions.PROGRESSING, true, "ComponentsStarting", message);
    }
    status.conditions = conditions;
    return status;
  }

  private static ComponentStatus statefulSet(String name, StatefulSet set) {
    if (set == null) {
      return new ComponentStatus(name, false, "not created yet");
    }
    int want = orZero(set.getSpec().getReplicas());
    int ready = set.getStatus() == null ? 0 : orZero(set.getStatus().getReadyReplicas());
    return new ComponentStatus(name, ready >= want, ready + "/" + want + " ready");
  }

  private static ComponentStatus deployment(String name, Deployment deployment) {
    if (deployment == null) {
      return new ComponentStatus(name, false, "not created yet");
    }
    int want = orZero(deployment.getSpec().getReplicas());
    int ready = deployment.getStatus() == null ? 0 : orZero(deployment.getStatus().getReadyReplicas());
    return new ComponentStatus(name, ready >= want, ready + "/" + want + " ready");
  }

  private static int orZero(Integer value) {
    return value == null ? 0 : value;
  }
}
