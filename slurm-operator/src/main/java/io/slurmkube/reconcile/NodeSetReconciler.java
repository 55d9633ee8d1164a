package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetStatus;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.ClusterModel;
import io.slurmkube.model.Labels;
import io.slurmkube.model.NodePodBuilder;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a NodeSet's slurmd pods at spec.replicas. It creates the pods itself (not through a
 * StatefulSet) so that a scale-down can pick which node goes: only one Slurm has drained.
 */
@ControllerConfiguration(name = "nodeset")
public class NodeSetReconciler implements Reconciler<NodeSet> {
  private static final Logger LOG = LoggerFactory.getLogger(NodeSetReconciler.class);

  private final KubernetesClient client;
  private final EventRecorder events;
  private final ScaleDown scaleDown;

  public NodeSetReconciler(KubernetesClient client, EventRecorder events, ScaleDown scaleDown) {
    this.client = client;
    this.events = events;
    this.scaleDown = scaleDown;
  }

  @Override
  public UpdateControl<NodeSet> reconcile(NodeSet nodeSet, Context<NodeSet> context) {
    var status = nodeSet.getStatus() == null ? new NodeSetStatus() : nodeSet.getStatus();
    nodeSet.setStatus(status);
    status.observedGeneration = nodeSet.getMetadata().getGeneration();
    status.selector = Labels.nodeSetSelector(nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName)
        .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));

    SlurmCluster cluster = client.resources(SlurmCluster.class).inNamespace(nodeSet.getMetadata().getNamespace())
        .withName(nodeSet.getSpec().clusterName).get();
    List<Pod> pods = context.getSecondaryResources(Pod.class).stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .sorted(Comparator.comparingInt(NodePodBuilder::ordinal))
        .toList();
    int desired = nodeSet.getSpec().replicas == null ? 0 : nodeSet.getSpec().replicas;

    if (cluster == null) {
      status.conditions = Conditions.set(status.conditions, generation(nodeSet), Conditions.READY, false, "ClusterNotFound",
          "SlurmCluster " + nodeSet.getSpec().clusterName + " (spec.clusterName) does not exist in this namespace");
    } else if (pods.size() < desired) {
      createPods(new ClusterModel(cluster), nodeSet, pods, desired - pods.size());
    } else if (pods.size() > desired) {
      var decision = scaleDown.removeNodes(nodeSet, pods, pods.size() - desired);
      for (Pod pod : decision.podsToDelete()) {
        client.resource(pod).delete();
        events.normal(nodeSet, "NodeRemoved", "Deleted pod " + pod.getMetadata().getName() + ": " + decision.reason());
      }
      status.lastScaleDecision = decision.reason();
    }

    List<Pod> current = client.pods().inNamespace(nodeSet.getMetadata().getNamespace())
        .withLabels(Labels.nodeSetSelector(nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName)).list().getItems()
        .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    status.replicas = current.size();
    status.readyReplicas = (int) current.stream().filter(Readiness::isPodReady).count();
    if (cluster != null) {
      boolean ready = status.readyReplicas == desired && status.replicas == desired;
      status.conditions = Conditions.set(status.conditions, generation(nodeSet), Conditions.READY, ready,
          ready ? "AllNodesReady" : "NodesNotReady", status.readyReplicas + " of " + desired + " nodes ready"
              + pendingReason(current));
    }
    return UpdateControl.patchStatus(nodeSet).rescheduleAfter(Duration.ofSeconds(15));
  }

  /** New pods take the lowest free ordinals, so node names stay short and predictable. */
  private void createPods(ClusterModel model, NodeSet nodeSet, List<Pod> pods, int count) {
    Set<Integer> used = pods.stream().map(NodePodBuilder::ordinal).collect(Collectors.toCollection(TreeSet::new));
    int ordinal = 0;
    for (int created = 0; created < count; ordinal++) {
      if (used.contains(ordinal)) {
        continue;
      }
      Pod pod = NodePodBuilder.build(model, nodeSet, ordinal);
      if (client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get() != null) {
        continue; // still terminating from an earlier scale-down
      }
      client.resource(pod).create();
      created++;
      LOG.info("created pod nodeset={} namespace={} pod={}", nodeSet.getMetadata().getName(),
          nodeSet.getMetadata().getNamespace(), pod.getMetadata().getName());
      events.normal(nodeSet, "NodeCreated", "Created pod " + pod.getMetadata().getName());
    }
  }

  /** Why pods are not running, in the words of the scheduler (e.g. Insufficient cpu). */
  private static String pendingReason(List<Pod> pods) {
    return pods.stream()
        .filter(p -> p.getStatus() != null && "Pending".equals(p.getStatus().getPhase()))
        .flatMap(p -> p.getStatus().getConditions().stream())
        .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()) && c.getMessage() != null)
        .map(c -> "; pending: " + c.getMessage())
        .findFirst().orElse("");
  }

  private static long generation(NodeSet nodeSet) {
    return nodeSet.getMetadata().getGeneration() == null ? 0 : nodeSet.getMetadata().getGeneration();
  }

  @Override
  public List<EventSource<?, NodeSet>> prepareEventSources(EventSourceContext<NodeSet> context) {
    return List.of(new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, NodeSet.class)
        .withLabelSelector(Labels.COMPONENT + "=" + Labels.Component.NODE)
        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(NodeSet.class))
        .build(), context));
  }
}
