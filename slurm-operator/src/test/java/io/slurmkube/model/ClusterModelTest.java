package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.api.AccountingSpec;
import io.slurmkube.api.NodeSetSpec;
import org.junit.jupiter.api.Test;

class ClusterModelTest {

  @Test
  void partitionChangesDoNotRestartTheControllerButAccountingChangesDo() {
    var cluster = Fixtures.cluster();
    String before = new ClusterModel(cluster).controllerConfigHash();
    String fullBefore = new ClusterModel(cluster).fullConfigHash();

    cluster.getSpec().partitions.get(0).maxTime = "120";
    var afterPartition = new ClusterModel(cluster);
    assertThat(afterPartition.controllerConfigHash()).isEqualTo(before);
    assertThat(afterPartition.fullConfigHash()).isNotEqualTo(fullBefore);

    cluster.getSpec().accounting.mode = AccountingSpec.Mode.None;
    assertThat(new ClusterModel(cluster).controllerConfigHash()).isNotEqualTo(before);
  }

  @Test
  void nodeSetBoundsShapesAndNewNodeSetsDoNotRestartTheController() {
    var cluster = Fixtures.cluster();
    String before = new ClusterModel(cluster).controllerConfigHash();
    String placeholdersBefore = new ClusterModel(cluster).configFiles().get(SlurmConfig.FUTURE_NODES);
    assertThat(placeholdersBefore).contains("NodeName=demo-cpu-future-[0-2] State=FUTURE");

    var cpu = cluster.getSpec().nodeSets.get(0);
    cpu.maxReplicas = 8;
    cpu.cpus = 4;
    cpu.memoryMiB = 4096;
    cpu.features.add("avx512");
    var big = new NodeSetSpec();
    big.name = "big";
    big.maxReplicas = 2;
    big.cpus = 8;
    cluster.getSpec().nodeSets.add(big);
    var after = new ClusterModel(cluster);
    assertThat(after.configFiles().get(SlurmConfig.FUTURE_NODES))
        .contains("NodeName=demo-cpu-future-[0-7] State=FUTURE Features=cpu,avx512 CPUs=4 RealMemory=4096\n")
        .contains("NodeName=demo-big-future-[0-1] State=FUTURE Features=big CPUs=8 RealMemory=1024\n");
    assertThat(after.controllerConfigHash()).isEqualTo(before);

    // The first GPU node set brings the Prolog and Epilog, which slurmctld installs at start.
    var gpu = new NodeSetSpec();
    gpu.name = "gpu";
    gpu.maxReplicas = 2;
    gpu.gpus = 2;
    cluster.getSpec().nodeSets.add(gpu);
    var withGpus = new ClusterModel(cluster);
    assertThat(withGpus.configFiles().get(SlurmConfig.FUTURE_NODES))
        .contains("NodeName=demo-gpu-future-[0-1] State=FUTURE Features=gpu CPUs=1 RealMemory=1024 Gres=gpu:2\n");
    assertThat(withGpus.controllerConfigHash()).isNotEqualTo(before);
    var secondGpu = new NodeSetSpec();
    secondGpu.name = "gpu2";
    secondGpu.gpus = 1;
    cluster.getSpec().nodeSets.add(secondGpu);
    assertThat(new ClusterModel(cluster).controllerConfigHash()).isEqualTo(withGpus.controllerConfigHash());
    cluster.getSpec().nodeSets.removeIf(n -> n.gpus != null && n.gpus > 0);

    // MaxNodeCount is read only at start: crossing its step does restart slurmctld.
    cpu.maxReplicas = 400;
    assertThat(new ClusterModel(cluster).controllerConfigHash()).isNotEqualTo(before);
  }

  @Test
  void userNamedSecretsAreUsedInsteadOfGeneratedOnes() {
    var cluster = Fixtures.cluster();
    assertThat(new ClusterModel(cluster).authKeySecretName()).isEqualTo("demo-auth-key");
    assertThat(new ClusterModel(cluster).generatesAuthKey()).isTrue();
    cluster.getSpec().authKeySecretName = "site-slurm-key";
    assertThat(new ClusterModel(cluster).authKeySecretName()).isEqualTo("site-slurm-key");
    assertThat(new ClusterModel(cluster).generatesAuthKey()).isFalse();
  }

  @Test
  void componentsFollowTheAccountingMode() {
    var cluster = Fixtures.cluster();
    var embedded = new ClusterModel(cluster);
    assertThat(embedded.runsDatabase()).isTrue();
    assertThat(embedded.runsSlurmdbd()).isTrue();
    cluster.getSpec().accounting.mode = AccountingSpec.Mode.External;
    var external = new io.slurmkube.api.ExternalDatabaseSpec();
    external.host = "db.site";
    external.user = "slurm";
    external.passwordSecretRef = new io.slurmkube.api.SecretKeyRef();
    external.passwordSecretRef.name = "db";
    external.passwordSecretRef.key = "password";
    cluster.getSpec().accounting.external = external;
    assertThat(new ClusterModel(cluster).runsDatabase()).isFalse();
    assertThat(new ClusterModel(cluster).runsSlurmdbd()).isTrue();
    cluster.getSpec().accounting.mode = AccountingSpec.Mode.None;
    assertThat(new ClusterModel(cluster).runsSlurmdbd()).isFalse();
  }

  @Test
  void initialReplicasFallBackToTheLowerBound() {
    var nodeSet = new NodeSetSpec();
    nodeSet.minReplicas = 2;
    assertThat(nodeSet.initialReplicas()).isEqualTo(2);
    nodeSet.replicas = 5;
    assertThat(nodeSet.initialReplicas()).isEqualTo(5);
  }
}
