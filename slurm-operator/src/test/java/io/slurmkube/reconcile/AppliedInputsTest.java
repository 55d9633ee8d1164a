package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class AppliedInputsTest {
  private final Clock clock = Clock.fixed(Instant.parse("2026-12-06T20:00:00Z"), ZoneOffset.UTC);
  private final AppliedInputs applied = new AppliedInputs(clock);
  private final SlurmCluster cluster = cluster();

  private static SlurmCluster cluster() {
    var c = new SlurmCluster();
    c.getMetadata().setName("c");
    c.getMetadata().setNamespace("ns");
    c.getMetadata().setGeneration(3L);
    return c;
  }

  private static NodeSet nodeSet(long generation, String resourceVersion) {
    var n = new NodeSet();
    n.getMetadata().setName("c-cpu");
    n.getMetadata().setGeneration(generation);
    n.getMetadata().setResourceVersion(resourceVersion);
    return n;
  }

  private static ConfigMap config(String resourceVersion) {
    return new ConfigMapBuilder().withNewMetadata().withName("c-config").withResourceVersion(resourceVersion).endMetadata().build();
  }

  private boolean unchangedAfter(List<HasMetadata> before, List<HasMetadata> now) {
    applied.record(cluster, AppliedInputs.inputs(cluster, "k1", before), true);
    return applied.unchanged(cluster, AppliedInputs.inputs(cluster, "k1", now));
  }

  @Test
  void aNodeSetStatusWriteDoesNotMakeThePassApplyEverythingAgain() {
    assertThat(unchangedAfter(List.of(nodeSet(2, "100"), config("7")), List.of(nodeSet(2, "181"), config("7")))).isTrue();
  }

  @Test
  void aNodeSetSpecEditDoes() {
    assertThat(unchangedAfter(List.of(nodeSet(2, "100")), List.of(nodeSet(3, "102")))).isFalse();
  }

  @Test
  void aConfigMapEditDoesAndSoDoesADeletedObject() {
    assertThat(unchangedAfter(List.of(nodeSet(2, "100"), config("7")), List.of(nodeSet(2, "100"), config("9")))).isFalse();
    assertThat(unchangedAfter(List.of(nodeSet(2, "100"), config("7")), List.of(nodeSet(2, "100")))).isFalse();
  }

  @Test
  void aDeploymentsRolloutDoesForTheUpgradeWaitsOnIt() {
    // slurmctld follows slurmdbd once slurmdbd's Deployment has rolled out: a status change, same generation.
    var before = new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder().withNewMetadata().withName("c-accounting")
        .withGeneration(4L).withResourceVersion("50").endMetadata().build();
    var rolledOut = new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder(before).editMetadata()
        .withResourceVersion("57").endMetadata().build();
    assertThat(unchangedAfter(List.of(before), List.of(rolledOut))).isFalse();
  }
}
