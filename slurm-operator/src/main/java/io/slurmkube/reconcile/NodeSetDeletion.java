package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetStatus;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.autoscale.DeletionDrain;
import io.slurmkube.autoscale.DeletionWait;
import io.slurmkube.autoscale.DrainingScaleDown;
import io.slurmkube.model.NodePodBuilder;
import io.slurmkube.slurm.SlurmClient;
import io.slurmkube.slurm.SlurmConnections;
import io.slurmkube.slurm.SlurmException;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NodeSet controller's deletion path, apart from its scaling path: while a NodeSet (or its
 * SlurmCluster) is being deleted, every node is drained, a pod is deleted only once its node holds
 * no job, then the node records; last the finalizer goes, and with it the NodeSet. When Slurm cannot
 * be asked for good (see {@link SlurmReach}) or for longer than {@link DeletionWait#UNREACHABLE_LIMIT},
 * the finalizer goes at once with a warning event: there is nothing left to protect, or no way to.
 */
final class NodeSetDeletion {
  private static final Logger LOG = LoggerFactory.getLogger(NodeSetDeletion.class);
  static final Duration PERIOD = Duration.ofSeconds(2);
  static final String REASON = "Deleting";

  private final KubernetesClient client;
  private final EventRecorder events;
  private final SlurmConnections slurm;
  private final Clock clock;

  NodeSetDeletion(KubernetesClient client, EventRecorder events, SlurmConnections slurm, Clock clock) {
    this.client = client;
    this.events = events;
    this.slurm = slurm;
    this.clock = clock;
  }

  /** Whether the node set is on its way out: its NodeSet or its SlurmCluster is being deleted. */
  static boolean applies(NodeSet nodeSet, SlurmCluster cluster) {
    return nodeSet.isMarkedForDeletion() || (cluster != null && cluster.isMarkedForDeletion());
  }

  /** Puts the finalizer on a live NodeSet; false when it could not yet (the next pass tries again). */
  boolean ensureFinalizer(NodeSet nodeSet) {
    return Finalizers.add(client, nodeSet, Finalizers.DRAIN_NODES);
  }

  /**
   * One pass of the deletion path.
   *
   * @param allPods the pods the informer holds for this NodeSet, terminating ones included
   */
  UpdateControl<NodeSet> reconcile(NodeSet nodeSet, SlurmCluster cluster, List<Pod> allPods) {
    boolean own = nodeSet.isMarkedForDeletion();
    if (own && !Finalizers.has(nodeSet, Finalizers.DRAIN_NODES)) {
      return UpdateControl.noUpdate(); // not ours to hold: Kubernetes removes it and its pods
    }
    String name = nodeSet.getMetadata().getName();
    String why = own ? "NodeSet " + name + " is being deleted"
        : "SlurmCluster " + cluster.getMetadata().getName() + " is being deleted";
    List<Pod> pods = allPods.stream().filter(p -> isOwnedBy(p, nodeSet)).toList();
    List<Pod> active = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .sorted(Comparator.comparingInt(NodePodBuilder::ordinal)).toList();

    SlurmClient c;
    List<SlurmNode> nodes;
    List<SlurmJob> jobs;
    try {
      if (cluster == null) {
        throw new io.slurmkube.slurm.SlurmUnavailableException("SlurmCluster " + nodeSet.getSpec().clusterName + " not found", null);
      }
      c = slurm.forCluster(cluster);
      nodes = c.nodes().stream().filter(n -> NodePodBuilder.isNodeOf(nodeSet, n.name())).toList();
      jobs = c.activeJobs();
    } catch (SlurmException e) {
      return slurmUnavailable(nodeSet, cluster, own, why, e.getMessage(), pods);
    }

    var step = DeletionDrain.plan(c, nodeSet, active, nodes, jobs, DrainingScaleDown.REASON_PREFIX + " " + why);
    for (Pod pod : step.podsToDelete()) {
      client.resource(pod).delete();
      events.normal(nodeSet, "NodeRemoved", "Deleted pod " + pod.getMetadata().getName() + " (drained, no job): " + why);
    }
    Set<String> podNames = pods.stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    for (SlurmNode node : nodes) {
      if (podNames.contains(node.name()) || node.isBusy()) {
        continue;
      }
      try {
        c.deleteNode(node.name());
        events.normal(nodeSet, "NodeRecordDeleted", "Deleted Slurm node record " + node.name() + ": " + why);
      } catch (SlurmException e) {
        LOG.warn("could not delete node record node={}: {}", node.name(), e.getMessage());
      }
    }
    if (own && pods.isEmpty() && !step.waitingForJobs()) {
      return release(nodeSet, "Deleted", "No pod and no job left: removing finalizer " + Finalizers.DRAIN_NODES, false);
    }
    String message = "deleting (" + why + "): " + step.message();
    return waiting(nodeSet, pods, nodes, message);
  }

  private UpdateControl<NodeSet> slurmUnavailable(NodeSet nodeSet, SlurmCluster cluster, boolean own, String why,
      String problem, List<Pod> pods) {
    Instant started = own ? Instant.parse(nodeSet.getMetadata().getDeletionTimestamp())
        : Instant.parse(cluster.getMetadata().getDeletionTimestamp());
    if (own) {
      String hopeless = SlurmReach.hopeless(client, cluster);
      if (hopeless != null || DeletionWait.giveUpOnSlurm(started, clock.instant())) {
        return release(nodeSet, "SlurmUnreachable", "Cannot ask Slurm whether jobs run on this node set ("
            + (hopeless != null ? hopeless + "; " : "") + problem + "): removing finalizer " + Finalizers.DRAIN_NODES
            + ", its " + pods.size() + " pod(s) go with it", true);
      }
    }
    return waiting(nodeSet, pods, List.of(), "deleting (" + why + "): cannot ask Slurm which nodes hold jobs (" + problem
        + ")" + (own ? "; waiting until " + started.plus(DeletionWait.UNREACHABLE_LIMIT) + " at most" : ""));
  }

  private UpdateControl<NodeSet> release(NodeSet nodeSet, String reason, String message, boolean warning) {
    if (!Finalizers.remove(client, nodeSet, Finalizers.DRAIN_NODES)) {
      return UpdateControl.<NodeSet>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
    }
    if (warning) {
      events.warning(nodeSet, reason, message);
    } else {
      events.normal(nodeSet, reason, message);
    }
    return UpdateControl.noUpdate();
  }

  private UpdateControl<NodeSet> waiting(NodeSet nodeSet, List<Pod> pods, List<SlurmNode> nodes, String message) {
    var status = nodeSet.getStatus() == null ? new NodeSetStatus() : nodeSet.getStatus();
    String recorded = status.conditions == null ? null : status.conditions.stream()
        .filter(c -> Conditions.READY.equals(c.getType()) && REASON.equals(c.getReason()))
        .map(io.fabric8.kubernetes.api.model.Condition::getMessage).findFirst().orElse(null);
    events.normalOnChange(nodeSet, REASON, message, recorded, REASON, message);
    List<Pod> current = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    status.replicas = current.size();
    status.readyReplicas = (int) current.stream().filter(Readiness::isPodReady).count();
    if (!nodes.isEmpty()) {
      status.idle = (int) nodes.stream().filter(SlurmNode::isIdle).count();
      status.allocated = (int) nodes.stream().filter(SlurmNode::isBusy).count();
      status.draining = (int) nodes.stream().filter(SlurmNode::isDrainFlagged).count();
    }
    long generation = nodeSet.getMetadata().getGeneration() == null ? 0 : nodeSet.getMetadata().getGeneration();
    status.conditions = Conditions.set(status.conditions, generation, Conditions.READY, false, REASON, message);
    return UpdateControl.patchStatus(StatusPatch.of(nodeSet, new NodeSet(), status)).rescheduleAfter(PERIOD);
  }

  private static boolean isOwnedBy(Pod pod, NodeSet nodeSet) {
    return pod.getMetadata().getOwnerReferences() != null && pod.getMetadata().getOwnerReferences().stream()
        .anyMatch(o -> "NodeSet".equals(o.getKind()) && nodeSet.getMetadata().getUid().equals(o.getUid()));
  }
}
