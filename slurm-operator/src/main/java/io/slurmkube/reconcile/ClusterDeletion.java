package io.slurmkube.reconcile;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterSpec;
import io.slurmkube.api.SlurmClusterStatus;
import io.slurmkube.autoscale.DeletionWait;
import io.slurmkube.autoscale.DrainingScaleDown;
import io.slurmkube.slurm.SlurmClient;
import io.slurmkube.slurm.SlurmConnections;
import io.slurmkube.slurm.SlurmException;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deleted SlurmCluster: while its finalizer holds it (and so, with the default background
 * cascade, everything it owns), every Slurm node is drained so that no pending job starts, and the
 * cluster waits for running jobs to end, up to spec.deletionGracePeriodSeconds; then the finalizer
 * goes and Kubernetes removes the rest. Its NodeSets take their idle pods away meanwhile
 * ({@link NodeSetDeletion}).
 */
final class ClusterDeletion {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterDeletion.class);
  /** The condition a deleting cluster carries, True while it waits. */
  static final String DELETING = "Deleting";
  static final Duration PERIOD = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final EventRecorder events;
  private final SlurmConnections slurm;
  private final Clock clock;

  ClusterDeletion(KubernetesClient client, EventRecorder events, SlurmConnections slurm, Clock clock) {
    this.client = client;
    this.events = events;
    this.slurm = slurm;
    this.clock = clock;
  }

  /** Puts the finalizer on a live cluster; false when it could not yet (the next pass tries again). */
  boolean ensureFinalizer(SlurmCluster cluster) {
    return Finalizers.add(client, cluster, Finalizers.WAIT_FOR_JOBS);
  }

  static long gracePeriod(SlurmCluster cluster) {
    Integer seconds = cluster.getSpec().deletionGracePeriodSeconds;
    return seconds == null ? SlurmClusterSpec.DEFAULT_DELETION_GRACE_PERIOD_SECONDS : seconds;
  }

  UpdateControl<SlurmCluster> reconcile(SlurmCluster cluster) {
    if (!Finalizers.has(cluster, Finalizers.WAIT_FOR_JOBS)) {
      return UpdateControl.noUpdate();
    }
    Instant started = Instant.parse(cluster.getMetadata().getDeletionTimestamp());
    long grace = gracePeriod(cluster);
    var answer = grace <= 0 ? DeletionWait.SlurmAnswer.of(List.of(), 0) : ask(cluster);
    var decision = DeletionWait.decide(started, grace, clock.instant(), answer);
    if (decision.release()) {
      if (!Finalizers.remove(client, cluster, Finalizers.WAIT_FOR_JOBS)) {
        return UpdateControl.<SlurmCluster>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
      }
      if ("NoJobs".equals(decision.reason()) || "NoGracePeriod".equals(decision.reason())) {
        events.normal(cluster, DELETING, decision.message());
      } else {
        events.warning(cluster, decision.reason(), decision.message());
      }
      return UpdateControl.noUpdate();
    }
    var status = cluster.getStatus() == null ? new SlurmClusterStatus() : cluster.getStatus();
    String recorded = status.conditions == null ? null : status.conditions.stream()
        .filter(c -> DELETING.equals(c.getType())).map(io.fabric8.kubernetes.api.model.Condition::getMessage)
        .findFirst().orElse(null);
    events.normalOnChange(cluster, DELETING, decision.message(), recorded, DELETING, decision.message());
    long generation = cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();
    status.conditions = Conditions.set(status.conditions, generation, Conditions.READY, false, DELETING,
        "the cluster is being deleted: " + decision.message());
    status.conditions = Conditions.set(status.conditions, generation, DELETING, true, decision.reason(), decision.message());
    return UpdateControl.patchStatus(StatusPatch.of(cluster, new SlurmCluster(), status)).rescheduleAfter(PERIOD);
  }

  /** Running jobs and busy nodes, after draining every node that is not drained yet. */
  private DeletionWait.SlurmAnswer ask(SlurmCluster cluster) {
    String reason = DrainingScaleDown.REASON_PREFIX + " SlurmCluster " + cluster.getMetadata().getName() + " is being deleted";
    try {
      SlurmClient c = slurm.forCluster(cluster);
      List<SlurmNode> nodes = c.nodes();
      List<String> drained = new java.util.ArrayList<>();
      for (SlurmNode node : nodes) {
        if (!node.isDrainFlagged() && !node.isDown()) {
          c.drainNode(node.name(), reason);
          drained.add(node.name());
        }
      }
      if (!drained.isEmpty()) {
        events.normal(cluster, "NodeDraining", "Draining " + drained.size() + " node(s) so that no pending job starts: "
            + String.join(", ", drained.subList(0, Math.min(10, drained.size()))) + (drained.size() > 10 ? ", ..." : ""));
      }
      List<SlurmJob> running = c.activeJobs().stream().filter(SlurmJob::isRunning).toList();
      int busy = (int) nodes.stream().filter(SlurmNode::isBusy).count();
      return DeletionWait.SlurmAnswer.of(running, busy);
    } catch (SlurmException e) {
      String hopeless = SlurmReach.hopeless(client, cluster);
      LOG.info("deleting cluster={} namespace={}: cannot ask Slurm: {}", cluster.getMetadata().getName(),
          cluster.getMetadata().getNamespace(), e.getMessage());
      return DeletionWait.SlurmAnswer.unavailable(hopeless != null ? hopeless + "; " + e.getMessage() : e.getMessage(),
          hopeless != null);
    }
  }
}
