package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmNodePool;
import io.slurmkube.model.Labels;
import io.slurmkube.model.PoolMarks;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The informers the fleet controller reads (nodes, pods and disruption budgets cluster-wide, and
 * the administrators' SlurmNodePools), and which SlurmClusters a change to each should wake.
 */
final class FleetSources {
  private static final String BY_NODE = "byNode";

  private InformerEventSource<Node, SlurmCluster> nodes;
  private InformerEventSource<Pod, SlurmCluster> pods;
  /** Read when choosing which lent node to reclaim; a change triggers nothing (passes recheck). */
  private InformerEventSource<PodDisruptionBudget, SlurmCluster> budgets;
  private InformerEventSource<SlurmNodePool, SlurmCluster> pools;

  List<EventSource<?, SlurmCluster>> prepare(EventSourceContext<SlurmCluster> context) {
    nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, SlurmCluster.class)
        .withName("fleet-nodes")
        .withWatchAllNamespaces()
        .withFollowControllerNamespacesChanges(false)
        .withSecondaryToPrimaryMapper(node -> clustersFor(node, context))
        .withOnUpdateFilter(FleetSources::relevantNodeChange)
        .build(), context);
    pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, SlurmCluster.class)
        .withName("fleet-pods")
        .withWatchAllNamespaces()
        .withFollowControllerNamespacesChanges(false)
        .withSecondaryToPrimaryMapper(this::clustersForPod)
        .withOnUpdateFilter(FleetSources::relevantPodChange)
        .build(), context);
    pods.addIndexers(Map.of(BY_NODE, p -> p.getSpec().getNodeName() == null ? List.of() : List.of(p.getSpec().getNodeName())));
    budgets = new InformerEventSource<>(InformerEventSourceConfiguration.from(PodDisruptionBudget.class, SlurmCluster.class)
        .withName("fleet-budgets")
        .withWatchAllNamespaces()
        .withFollowControllerNamespacesChanges(false)
        .withSecondaryToPrimaryMapper(budget -> Set.of())
        .build(), context);
    // A grant that changes wakes every cluster that names the pool.
    pools = new InformerEventSource<>(InformerEventSourceConfiguration.from(SlurmNodePool.class, SlurmCluster.class)
        .withName("fleet-node-pools")
        .withWatchAllNamespaces()
        .withFollowControllerNamespacesChanges(false)
        .withSecondaryToPrimaryMapper(pool -> clustersNaming(pool.getMetadata().getName(), context))
        .build(), context);
    return List.of(nodes, pods, budgets, pools);
  }

  Stream<Node> nodes() {
    return nodes.list(n -> true);
  }

  boolean nodeExists(String name) {
    return nodes.get(new ResourceID(name)).isPresent();
  }

  List<Pod> podsOn(String node) {
    return pods.byIndex(BY_NODE, node);
  }

  /** The cluster's node-set pods that no node holds yet. */
  List<Pod> unbound(SlurmCluster cluster) {
    return pods.list(cluster.getMetadata().getNamespace(),
        p -> NodeViews.isNodeSetPod(p, cluster) && p.getSpec().getNodeName() == null
            && p.getMetadata().getDeletionTimestamp() == null).toList();
  }

  List<PodDisruptionBudget> budgets(String namespace) {
    return budgets.list(namespace).toList();
  }

  /** The SlurmNodePool of that name, or null. */
  SlurmNodePool pool(String name) {
    return name == null ? null : pools.get(new ResourceID(name)).orElse(null);
  }

  private static Set<ResourceID> clustersNaming(String pool, EventSourceContext<SlurmCluster> context) {
    Set<ResourceID> ids = new HashSet<>();
    context.getPrimaryCache().list(c -> c.getSpec() != null && c.getSpec().fleet != null && pool.equals(c.getSpec().fleet.pool))
        .forEach(c -> ids.add(ResourceID.fromResource(c)));
    return ids;
  }

  /** A node matters to the cluster whose pool it is in, and to every cluster with a fleet policy (it may join). */
  private static Set<ResourceID> clustersFor(Node node, EventSourceContext<SlurmCluster> context) {
    Set<ResourceID> ids = new HashSet<>();
    ResourceID owner = owner(node);
    if (owner != null) {
      ids.add(owner);
    }
    context.getPrimaryCache().list(c -> c.getSpec() != null && c.getSpec().fleet != null)
        .forEach(c -> ids.add(ResourceID.fromResource(c)));
    return ids;
  }

  private Set<ResourceID> clustersForPod(Pod pod) {
    Set<ResourceID> ids = new HashSet<>();
    Map<String, String> labels = pod.getMetadata().getLabels();
    if (labels != null && Labels.Component.NODE.equals(labels.get(Labels.COMPONENT)) && labels.get(Labels.INSTANCE) != null) {
      ids.add(new ResourceID(labels.get(Labels.INSTANCE), pod.getMetadata().getNamespace()));
    }
    String nodeName = pod.getSpec().getNodeName();
    if (nodeName != null && nodes != null) {
      nodes.get(new ResourceID(nodeName)).map(FleetSources::owner).ifPresent(ids::add);
    }
    return ids;
  }

  private static ResourceID owner(Node node) {
    var meta = node.getMetadata();
    if (meta.getLabels() == null || meta.getLabels().get(PoolMarks.POOL) == null || meta.getAnnotations() == null) {
      return null;
    }
    String owner = meta.getAnnotations().get(PoolMarks.OWNER);
    int slash = owner == null ? -1 : owner.indexOf('/');
    return slash < 0 ? null : new ResourceID(owner.substring(slash + 1), owner.substring(0, slash));
  }

  /** Heartbeats and image lists change nodes all the time; only these change a plan. */
  static boolean relevantNodeChange(Node now, Node before) {
    return !Objects.equals(now.getMetadata().getLabels(), before.getMetadata().getLabels())
        || !Objects.equals(now.getMetadata().getAnnotations() == null ? null : now.getMetadata().getAnnotations().get(PoolMarks.OWNER),
            before.getMetadata().getAnnotations() == null ? null : before.getMetadata().getAnnotations().get(PoolMarks.OWNER))
        || !Objects.equals(now.getSpec().getTaints(), before.getSpec().getTaints())
        || !Objects.equals(now.getSpec().getUnschedulable(), before.getSpec().getUnschedulable())
        || NodeViews.ready(now) != NodeViews.ready(before)
        || !Objects.equals(now.getStatus() == null ? null : now.getStatus().getAllocatable(),
            before.getStatus() == null ? null : before.getStatus().getAllocatable());
  }

  static boolean relevantPodChange(Pod now, Pod before) {
    return !Objects.equals(now.getSpec().getNodeName(), before.getSpec().getNodeName())
        || (now.getMetadata().getDeletionTimestamp() == null) != (before.getMetadata().getDeletionTimestamp() == null)
        || NodeViews.terminal(now) != NodeViews.terminal(before)
        || NodeViews.waiting(now).unschedulable() != NodeViews.waiting(before).unschedulable();
  }
}
