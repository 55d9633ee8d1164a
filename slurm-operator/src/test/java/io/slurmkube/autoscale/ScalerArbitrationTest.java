package io.slurmkube.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetResourceSpec;
import io.slurmkube.autoscale.ScalerArbitration.Driver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScalerArbitrationTest {
  static final Instant CREATED = Instant.parse("2026-11-22T12:00:00Z");
  static final Duration HOLD = Duration.ofSeconds(60);

  static ManagedFieldsEntry entry(String manager, String subresource, Instant time, boolean replicas) {
    var fields = new FieldsV1();
    fields.setAdditionalProperty("f:spec", replicas ? Map.of("f:replicas", Map.of()) : Map.of("f:image", Map.of()));
    return new ManagedFieldsEntryBuilder().withManager(manager).withOperation("Update").withSubresource(subresource)
        .withTime(time == null ? null : time.toString()).withFieldsV1(fields).build();
  }

  static NodeSet nodeSet(ManagedFieldsEntry... entries) {
    var nodeSet = new NodeSet();
    nodeSet.setMetadata(new ObjectMetaBuilder().withName("demo-cpu").withNamespace("ns")
        .withCreationTimestamp(CREATED.toString()).withManagedFields(List.of(entries)).build());
    nodeSet.setSpec(new NodeSetResourceSpec());
    nodeSet.getSpec().replicas = 5;
    return nodeSet;
  }

  static HorizontalPodAutoscaler hpa(String name, String namespace, String apiVersion, String kind, String target) {
    return new HorizontalPodAutoscalerBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec().withNewScaleTargetRef(apiVersion, kind, target).withMaxReplicas(4).endSpec().build();
  }

  /** As the reconciler calls it when the write carries its time, or on a first look. */
  static ScalerArbitration.Verdict decide(NodeSet nodeSet, List<HorizontalPodAutoscaler> hpas, Instant now) {
    var writer = ScalerArbitration.replicasWriter(nodeSet).orElse(null);
    return ScalerArbitration.decide(nodeSet, "cpu", hpas, writer,
        ScalerArbitration.manualWriteTime(nodeSet, writer, null, false, now), HOLD, now);
  }

  @Test
  void anHpaOnTheNodeSetTakesOverAndTheMessageNamesItAndTheFix() {
    var verdict = decide(nodeSet(), List.of(hpa("keda-hpa-cpu", "ns", "slurmkube.io/v1alpha1", "NodeSet", "demo-cpu")),
        CREATED.plusSeconds(600));
    assertThat(verdict.driver()).isEqualTo(Driver.HORIZONTAL_POD_AUTOSCALER);
    assertThat(verdict.queueScales()).isFalse();
    assertThat(verdict.message()).contains("keda-hpa-cpu").contains("remove maxReplicas from spec.nodeSets[cpu]")
        .contains("delete keda-hpa-cpu");
  }

  @Test
  void hpasOnOtherTargetsAreNotOurs() {
    var others = List.of(
        hpa("a", "ns", "slurmkube.io/v1alpha1", "NodeSet", "demo-gpu"),       // another node set
        hpa("b", "other", "slurmkube.io/v1alpha1", "NodeSet", "demo-cpu"),    // another namespace
        hpa("c", "ns", "apps/v1", "Deployment", "demo-cpu"),                  // another kind
        hpa("d", "ns", "example.com/v1", "NodeSet", "demo-cpu"));             // another group
    assertThat(decide(nodeSet(), others, CREATED.plusSeconds(600)).driver()).isEqualTo(Driver.QUEUE);
  }

  @Test
  void aManualScaleIsKeptForTheDelayAfterItsWrite() {
    Instant scaled = CREATED.plusSeconds(300);
    var nodeSet = nodeSet(entry("fabric8-kubernetes-client", null, CREATED, false),
        entry(ScalerArbitration.AUTOSCALER_MANAGER, null, CREATED.plusSeconds(100), false),
        entry("kubectl", "scale", scaled, true));
    var held = decide(nodeSet, List.of(), scaled.plusSeconds(59));
    assertThat(held.driver()).isEqualTo(Driver.MANUAL);
    assertThat(held.message()).contains("set to 5 by kubectl through the scale subresource at " + scaled)
        .contains("until " + scaled.plus(HOLD));
    assertThat(decide(nodeSet, List.of(), scaled.plus(HOLD)).driver()).as("once the delay has passed").isEqualTo(Driver.QUEUE);
  }

  @Test
  void aScaleWithoutATimeIsTimedFromThePassThatFirstSawIt() {
    // kubectl scale on a NodeSet leaves an entry with no time (Kubernetes 1.34).
    var nodeSet = nodeSet(entry("fabric8-kubernetes-client", null, CREATED, false), entry("kubectl", "scale", null, true));
    var writer = ScalerArbitration.replicasWriter(nodeSet).orElseThrow();
    assertThat(writer.manager()).isEqualTo("kubectl");
    Instant seen = CREATED.plusSeconds(500);
    assertThat(ScalerArbitration.manualWriteTime(nodeSet, writer, null, false, seen)).isEqualTo(seen);
    var remembered = new ScalerArbitration.Seen(writer.key(), seen);
    assertThat(ScalerArbitration.manualWriteTime(nodeSet, writer, remembered, false, seen.plusSeconds(30))).isEqualTo(seen);
    assertThat(ScalerArbitration.decide(nodeSet, "cpu", List.of(), writer, seen, HOLD, seen.plusSeconds(30)).driver())
        .isEqualTo(Driver.MANUAL);
    assertThat(ScalerArbitration.decide(nodeSet, "cpu", List.of(), writer, seen, HOLD, seen.plus(HOLD)).driver())
        .isEqualTo(Driver.QUEUE);
    // Already there when this process first looks (an operator restart): old, no new hold.
    assertThat(ScalerArbitration.manualWriteTime(nodeSet, writer, null, true, seen)).isNull();
    assertThat(ScalerArbitration.manualWriteTime(nodeSet, writer, new ScalerArbitration.Seen(writer.key(), null), false,
        seen.plusSeconds(1))).isNull();
  }

  @Test
  void theAutoscalersOwnWritesAndTheCreationAreNotManual() {
    var ownWrite = nodeSet(entry("kubectl", "scale", CREATED.plusSeconds(10), false),
        entry(ScalerArbitration.AUTOSCALER_MANAGER, null, CREATED.plusSeconds(20), true));
    assertThat(decide(ownWrite, List.of(), CREATED.plusSeconds(21)).driver()).isEqualTo(Driver.QUEUE);
    var justCreated = nodeSet(entry("fabric8-kubernetes-client", null, CREATED, true));
    assertThat(decide(justCreated, List.of(), CREATED.plusSeconds(1)).driver()).isEqualTo(Driver.QUEUE);
    assertThat(decide(nodeSet(), List.of(), CREATED.plusSeconds(1)).driver()).as("no managedFields").isEqualTo(Driver.QUEUE);
  }
}
