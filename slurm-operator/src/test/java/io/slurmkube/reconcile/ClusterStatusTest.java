package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetResourceSpec;
import io.slurmkube.api.NodeSetStatus;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterStatusTest {

  static StatefulSet sts(int want, int ready) {
    return new StatefulSetBuilder().withNewSpec().withReplicas(want).endSpec()
        .withNewStatus().withReadyReplicas(ready).endStatus().build();
  }

  static Deployment deployment(int want, int ready) {
    return new DeploymentBuilder().withNewSpec().withReplicas(want).endSpec()
        .withNewStatus().withReadyReplicas(ready).endStatus().build();
  }

  static SlurmCluster cluster() {
    var cluster = new SlurmCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withGeneration(3L).build());
    cluster.setSpec(new SlurmClusterSpec());
    return cluster;
  }

  static NodeSet nodeSet(int desired, int ready) {
    var nodeSet = new NodeSet();
    nodeSet.setSpec(new NodeSetResourceSpec());
    nodeSet.getSpec().nodeSetName = "cpu";
    nodeSet.getSpec().replicas = desired;
    nodeSet.setStatus(new NodeSetStatus());
    nodeSet.getStatus().readyReplicas = ready;
    return nodeSet;
  }

  @Test
  void notReadyNamesWhatItIsWaitingFor() {
    var observed = new ClusterStatus.Observed(sts(1, 0), sts(1, 1), deployment(1, 1), deployment(1, 0), deployment(1, 1),
        List.of(nodeSet(2, 1)));
    var status = ClusterStatus.compute(cluster(), observed, List.of());
    assertThat(status.observedGeneration).isEqualTo(3L);
    assertThat(status.conditions).filteredOn(c -> c.getType().equals("Ready")).singleElement().satisfies(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("ComponentsNotReady");
      assertThat(c.getMessage()).isEqualTo("Waiting for controller (0/1 ready), restapi (0/1 ready)");
    });
    assertThat(status.readyNodes).isEqualTo(1);
    assertThat(status.desiredNodes).isEqualTo(2);
  }

  @Test
  void readyWhenEveryComponentIsAndDegradedCarriesProblems() {
    var observed = new ClusterStatus.Observed(sts(1, 1), null, deployment(1, 1), deployment(1, 1), deployment(1, 1),
        List.of(nodeSet(1, 1)));
    var status = ClusterStatus.compute(cluster(), observed,
        List.of("Secret site-key named by spec.authKeySecretName does not exist: create it with the key 'slurm.key'"));
    assertThat(Conditions.isTrue(status.conditions, "Ready")).isTrue();
    assertThat(Conditions.isTrue(status.conditions, "Progressing")).isFalse();
    assertThat(status.conditions).filteredOn(c -> c.getType().equals("Degraded")).singleElement()
        .satisfies(c -> assertThat(c.getMessage()).contains("spec.authKeySecretName"));
  }

  @Test
  void transitionTimeIsKeptWhileTheStatusStays() {
    var first = Conditions.set(List.of(), 1, "Ready", false, "A", "a");
    first.get(0).setLastTransitionTime("2020-01-01T00:00:00Z");
    var same = Conditions.set(first, 2, "Ready", false, "B", "b");
    assertThat(same.get(0).getLastTransitionTime()).isEqualTo("2020-01-01T00:00:00Z");
    var flipped = Conditions.set(first, 2, "Ready", true, "C", "c");
    assertThat(flipped.get(0).getLastTransitionTime()).isNotEqualTo("2020-01-01T00:00:00Z");
  }
}
