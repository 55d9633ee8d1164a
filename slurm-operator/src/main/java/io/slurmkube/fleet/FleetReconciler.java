package io.slurmkube.fleet;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.slurmkube.api.FleetStatus;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.fleet.PoolPlan.Move;
import io.slurmkube.model.PoolMarks;
import io.slurmkube.reconcile.EventRecorder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps each SlurmCluster's Slurm pool as {@code spec.fleet} asks, within what its SlurmNodePool
 * grants ({@link PoolGrant}). {@link PoolPlan} decides; this class reads top to bottom and hands
 * each job to its own class: {@link FleetSources} (informers), {@link NodeMarker} (node marks),
 * {@link LendingClocks} (timers), {@link Evictions}, {@link DisruptionBudgets},
 * {@link FleetStatusWriter} (status.fleet and its events) and {@link FleetFinalizer}. It runs next
 * to the SlurmCluster controller, on the same resources, and owns nothing of theirs.
 */
@ControllerConfiguration(name = FleetReconciler.NAME, triggerReconcilerOnAllEvents = true)
public class FleetReconciler implements Reconciler<SlurmCluster> {
  public static final String NAME = "fleet";
  public static final String FINALIZER = FleetFinalizer.FINALIZER;
  private static final Duration RETRY = Duration.ofSeconds(2);

  private final FleetSources sources = new FleetSources();
  private final NodeMarker marker;
  private final LendingClocks clocks = new LendingClocks();
  private final Evictions evictions;
  private final FleetStatusWriter status;
  private final FleetFinalizer finalizer;
  private final EventRecorder events;
  private final Clock clock;

  public FleetReconciler(KubernetesClient client, EventRecorder events, Clock clock) {
    this.marker = new NodeMarker(client);
    this.evictions = new Evictions(client, events, clock);
    this.status = new FleetStatusWriter(client, events);
    this.finalizer = new FleetFinalizer(sources, marker, events);
    this.events = events;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, SlurmCluster>> prepareEventSources(EventSourceContext<SlurmCluster> context) {
    return sources.prepare(context);
  }

  @Override
  public UpdateControl<SlurmCluster> reconcile(SlurmCluster cluster, Context<SlurmCluster> context) {
    String poolId = PoolMarks.poolId(cluster);
    if (context.isPrimaryResourceDeleted()) {
      // Deleted without our finalizer: it never had a pool, or lost it; take off whatever is left.
      finalizer.release(cluster, "its SlurmCluster was deleted", false);
      forget(poolId);
      return UpdateControl.noUpdate();
    }
    boolean deleting = cluster.isMarkedForDeletion();
    if (deleting || cluster.getSpec().fleet == null) {
      boolean released = finalizer.release(cluster, deleting ? "its SlurmCluster is being deleted" : "spec.fleet was removed", !deleting);
      forget(poolId);
      if (!released) {
        return UpdateControl.<SlurmCluster>noUpdate().rescheduleAfter(RETRY);
      }
      if (!deleting) {
        status.remove(cluster);
      }
      finalizer.letGo(cluster, context);
      return UpdateControl.noUpdate();
    }
    finalizer.hold(cluster, context);

    // What the administrator's pool grants this cluster, and the nodes and pods as they are.
    PoolGrant grant = PoolGrant.of(cluster.getMetadata().getNamespace(), cluster.getSpec().fleet,
        sources.pool(cluster.getSpec().fleet.pool));
    marker.forgetGone(sources::nodeExists);
    var guarded = DisruptionBudgets.guard(sources::budgets);
    List<FleetNode> nodes = sources.nodes().map(marker::latest)
        .map(n -> NodeViews.node(n, sources.podsOn(n.getMetadata().getName()), cluster, guarded)).toList();
    List<FleetNode.WaitingPod> waiting = sources.unbound(cluster).stream().map(NodeViews::waiting).toList();

    PoolPlan plan = PoolPlan.decide(new PoolPlan.Input(poolId, grant, nodes, waiting,
        clocks.emptySince(poolId), clocks.blocked(poolId), clock.instant()));

    // Marks first, then evictions (none on a node whose marks could not be written).
    List<String> problems = new ArrayList<>(plan.problems());
    boolean retry = false;
    Set<String> failed = new HashSet<>();
    for (Move move : plan.moves()) {
      switch (marker.write(move, poolId, PoolMarks.owner(cluster))) {
        case WRITTEN -> events.normal(cluster, NodeMarker.eventReason(move), "Node " + move.node() + " " + move.reason());
        case OTHER_POOL -> {
          problems.add("node " + move.node() + " was taken by another pool before this one could mark it");
          failed.add(move.node());
        }
        case CONFLICT -> {
          retry = true;
          failed.add(move.node());
        }
        case UNCHANGED, GONE -> { }
      }
    }
    Map<String, String> refusals = evictions.evict(cluster, poolId, plan.evictions(), failed);
    clocks.keep(poolId, plan.emptySince(), refusals);

    FleetStatus fleet = plan.status(refusals);
    fleet.problems = problems;
    status.write(cluster, fleet, grant);
    return UpdateControl.<SlurmCluster>noUpdate().rescheduleAfter(retry ? RETRY : plan.recheck());
  }

  private void forget(String poolId) {
    clocks.forget(poolId);
    evictions.forget(poolId);
  }
}
