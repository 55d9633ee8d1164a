package io.slurmkube.fleet;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.fleet.NodeMarker.Outcome;
import io.slurmkube.fleet.PoolPlan.Move;
import io.slurmkube.model.PoolMarks;
import io.slurmkube.reconcile.EventRecorder;
import java.util.List;

/**
 * The fleet's own finalizer, held while a pool may have nodes, so that deleting the cluster (or
 * removing spec.fleet) first takes the pool's marks off every node.
 */
final class FleetFinalizer {
  /** Held while a pool exists, so that deleting the cluster first takes the marks off its nodes. */
  static final String FINALIZER = "slurmkube.io/fleet";

  private final FleetSources sources;
  private final NodeMarker marker;
  private final EventRecorder events;

  FleetFinalizer(FleetSources sources, NodeMarker marker, EventRecorder events) {
    this.sources = sources;
    this.marker = marker;
    this.events = events;
  }

  void hold(SlurmCluster cluster, Context<SlurmCluster> context) {
    if (!cluster.hasFinalizer(FINALIZER)) {
      PrimaryUpdateAndCacheUtils.addFinalizer(context, FINALIZER);
    }
  }

  void letGo(SlurmCluster cluster, Context<SlurmCluster> context) {
    if (cluster.hasFinalizer(FINALIZER)) {
      PrimaryUpdateAndCacheUtils.removeFinalizer(context, FINALIZER);
    }
  }

  /** Takes the pool's marks off every node that carries them; true when none is left. */
  boolean release(SlurmCluster cluster, String reason, boolean withEvents) {
    String poolId = PoolMarks.poolId(cluster);
    List<FleetNode> marked = sources.nodes().map(marker::latest).filter(n -> n.getMetadata().getLabels() != null
            && poolId.equals(n.getMetadata().getLabels().get(PoolMarks.POOL))
            || n.getSpec().getTaints() != null && n.getSpec().getTaints().stream()
                .anyMatch(t -> PoolMarks.POOL.equals(t.getKey()) && poolId.equals(t.getValue())))
        .map(n -> NodeViews.node(n, List.of(), cluster, p -> false)).toList();
    boolean done = true;
    for (Move move : PoolPlan.release(poolId, marked, "left the pool: " + reason)) {
      Outcome outcome = marker.write(move, poolId, PoolMarks.owner(cluster));
      if (outcome == Outcome.CONFLICT) {
        done = false;
      } else if (outcome == Outcome.WRITTEN && withEvents) {
        events.normal(cluster, NodeMarker.eventReason(move), "Node " + move.node() + " " + move.reason());
      }
    }
    return done;
  }
}
