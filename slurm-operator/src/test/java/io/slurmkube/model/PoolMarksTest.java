package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.slurmkube.api.FleetSpec;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetResourceSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.ClusterModel;
import io.slurmkube.model.NodePodBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a slurmd pod of a cluster with a fleet policy asks of the scheduler, and the pool's names. */
class PoolMarksTest {

  static SlurmCluster cluster(FleetSpec fleet) {
    var cluster = Fixtures.cluster();
    cluster.getSpec().fleet = fleet;
    return cluster;
  }

  static Pod slurmdPod(SlurmCluster cluster) {
    var nodeSet = new NodeSet();
    nodeSet.setMetadata(new ObjectMetaBuilder().withName("demo-cpu").withNamespace("hpc").withUid("uid-2").build());
    var spec = new NodeSetResourceSpec();
    spec.clusterName = "demo";
    spec.nodeSetName = "cpu";
    nodeSet.setSpec(spec);
    return NodePodBuilder.build(new ClusterModel(cluster), nodeSet, 0);
  }

  @Test
  void withAFleetPolicyASlurmdPodGoesOnlyToReservedNodesOfItsOwnPool() {
    var fleet = new FleetSpec();
    fleet.nodes = 3;
    fleet.pool = "hpc-nodes";
    var gpu = new TolerationBuilder().withKey("nvidia.com/gpu").withOperator("Exists").withEffect("NoSchedule").build();
    fleet.podTolerations.add(gpu);
    SlurmCluster cluster = cluster(fleet);
    // Not granted (yet): the pod tolerates its own pool's taint only.
    assertThat(slurmdPod(cluster).getSpec().getTolerations()).extracting(t -> t.getKey() + "=" + t.getValue() + ":" + t.getEffect())
        .containsExactly("slurmkube.io/pool=hpc.demo:NoSchedule");
    cluster.setStatus(new io.slurmkube.api.SlurmClusterStatus());
    cluster.getStatus().fleet = new io.slurmkube.api.FleetStatus();
    cluster.getStatus().fleet.grantedTolerations.add(new TolerationBuilder(gpu).build());
    Pod pod = slurmdPod(cluster);
    assertThat(pod.getSpec().getNodeSelector())
        .containsEntry("slurmkube.io/pool", "hpc.demo")
        .containsEntry("slurmkube.io/pool-state", "slurm")
        .hasSize(2);
    assertThat(pod.getSpec().getTolerations()).extracting(t -> t.getKey() + "=" + t.getValue() + ":" + t.getEffect())
        .containsExactly("slurmkube.io/pool=hpc.demo:NoSchedule", "nvidia.com/gpu=null:NoSchedule");
    // Taken out of the spec, it leaves the pod at once, granted or not.
    cluster.getSpec().fleet.podTolerations.clear();
    assertThat(slurmdPod(cluster).getSpec().getTolerations()).hasSize(1);
    assertThat(PoolMarks.tolerates(pod.getSpec().getTolerations(), "hpc.demo")).isTrue();
    assertThat(PoolMarks.tolerates(pod.getSpec().getTolerations(), "hpc.other")).isFalse();
  }

  @Test
  void withoutAFleetPolicyASlurmdPodHasNoSelectorAndNoToleration() {
    Pod pod = slurmdPod(cluster(null));
    assertThat(pod.getSpec().getNodeSelector()).isNullOrEmpty();
    assertThat(pod.getSpec().getTolerations()).isNullOrEmpty();
  }

  @Test
  void aBlanketTolerationToleratesEveryPoolAndAnUnrelatedOneNone() {
    var all = new TolerationBuilder().withOperator("Exists").build();
    var otherKey = new TolerationBuilder().withKey("dedicated").withOperator("Exists").build();
    var noExecuteOnly = new TolerationBuilder().withKey("slurmkube.io/pool").withOperator("Exists").withEffect("NoExecute").build();
    assertThat(PoolMarks.tolerates(List.of(all), "hpc.demo")).isTrue();
    assertThat(PoolMarks.tolerates(List.of(otherKey, noExecuteOnly), "hpc.demo")).isFalse();
    assertThat(PoolMarks.tolerates(null, "hpc.demo")).isFalse();
  }

  @Test
  void poolIdsAreValidLabelValuesEvenForLongNames() {
    assertThat(PoolMarks.poolId("hpc", "demo")).isEqualTo("hpc.demo");
    String ns = "a-namespace-with-a-rather-long-name-for-a-team-of-physicists";
    String id = PoolMarks.poolId(ns, "cluster-of-the-month");
    assertThat(id).hasSizeLessThanOrEqualTo(63).matches("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$");
    assertThat(id).isNotEqualTo(PoolMarks.poolId(ns, "cluster-of-the-year"));
  }
}
