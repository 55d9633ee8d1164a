package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.slurmkube.api.NodeSet;
import io.slurmkube.autoscale.ScalerArbitration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The NodeSet controller's side of {@link ScalerArbitration}: HorizontalPodAutoscalers from an
 * informer (one that starts or stops targeting a NodeSet wakes it), and the QueueAutoscaling
 * condition with one event each time the driver changes.
 */
final class ScalerArbiter {
  private final EventRecorder events;
  private final Clock clock;
  /** Per node set, when a manual write without a time in managedFields was first seen; lost on restart. */
  private final Map<ResourceID, ScalerArbitration.Seen> seen = new ConcurrentHashMap<>();

  ScalerArbiter(EventRecorder events, Clock clock) {
    this.events = events;
    this.clock = clock;
  }

  static InformerEventSource<HorizontalPodAutoscaler, NodeSet> hpaSource(EventSourceContext<NodeSet> context) {
    return new InformerEventSource<>(InformerEventSourceConfiguration.from(HorizontalPodAutoscaler.class, NodeSet.class)
        .withName("nodeset-hpas")
        .withSecondaryToPrimaryMapper(hpa -> {
          var ref = hpa.getSpec() == null ? null : hpa.getSpec().getScaleTargetRef();
          return ref == null || !"NodeSet".equals(ref.getKind()) ? Set.of()
              : Set.of(new ResourceID(ref.getName(), hpa.getMetadata().getNamespace()));
        })
        // The HPA controller rewrites its status every sync: only a changed target matters here.
        .withOnUpdateFilter((next, previous) -> !Objects.equals(next.getSpec(), previous.getSpec()))
        .build(), context);
  }

  /** Drops what is remembered of a node set that is gone. */
  void forget(ResourceID id) {
    seen.remove(id);
  }

  /** Who drives the replicas now; reported in status, with an event when that changes. */
  ScalerArbitration.Verdict judge(NodeSet nodeSet, Context<NodeSet> context) {
    var spec = nodeSet.getSpec();
    List<HorizontalPodAutoscaler> hpas = List.copyOf(context.getSecondaryResources(HorizontalPodAutoscaler.class));
    Instant now = clock.instant();
    ResourceID id = ResourceID.fromResource(nodeSet);
    var writer = ScalerArbitration.replicasWriter(nodeSet).orElse(null);
    Instant manual = ScalerArbitration.manualWriteTime(nodeSet, writer, seen.get(id), !seen.containsKey(id), now);
    seen.put(id, new ScalerArbitration.Seen(writer == null ? "" : writer.key(), manual));
    var verdict = ScalerArbitration.decide(nodeSet, spec.nodeSetName, hpas, writer, manual,
        Duration.ofSeconds(spec.scaleDownDelaySeconds == null ? 60 : spec.scaleDownDelaySeconds), now);
    var status = nodeSet.getStatus();
    String recorded = status.conditions == null ? null : status.conditions.stream()
        .filter(c -> Conditions.QUEUE_AUTOSCALING.equals(c.getType())).map(Condition::getReason).findFirst().orElse(null);
    if (recorded == null && verdict.queueScales()) {
      recorded = verdict.reason(); // a new node set driven by the queue, as expected: nothing to tell
    }
    status.conditions = Conditions.set(status.conditions, nodeSet.getMetadata().getGeneration() == null ? 0
        : nodeSet.getMetadata().getGeneration(), Conditions.QUEUE_AUTOSCALING, verdict.queueScales(), verdict.reason(),
        verdict.message());
    if (!verdict.queueScales()) {
      status.lastScaleDecision = "not scaling: " + verdict.message();
    }
    // Keyed by the condition's reason: the message names times that move on every pass.
    if (verdict.driver() == ScalerArbitration.Driver.HORIZONTAL_POD_AUTOSCALER) {
      events.warningOnChange(nodeSet, Conditions.QUEUE_AUTOSCALING, verdict.reason(), recorded, "TwoScalers",
          verdict.message());
    } else {
      events.normalOnChange(nodeSet, Conditions.QUEUE_AUTOSCALING, verdict.reason(), recorded,
          verdict.queueScales() ? "QueueAutoscaling" : "ManualScaleKept", verdict.message());
    }
    return verdict;
  }
}
