package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.PartitionSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterSpec;
import java.util.List;

/** A small cluster spec for tests of the pure builders. */
final class Fixtures {
  private Fixtures() {}

  static SlurmCluster cluster() {
    var spec = new SlurmClusterSpec();
    spec.image = "slurmkube.local/slurmctld:26.05";
    spec.nodeImage = "slurmkube.local/slurmd:26.05";
    var cpu = new NodeSetSpec();
    cpu.name = "cpu";
    cpu.maxReplicas = 3;
    cpu.cpus = 2;
    cpu.memoryMiB = 2048;
    cpu.cpuRequest = "250m";
    spec.nodeSets.add(cpu);
    var batch = new PartitionSpec();
    batch.name = "batch";
    batch.nodeSets = List.of("cpu");
    batch.isDefault = true;
    spec.partitions.add(batch);
    var cluster = new SlurmCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("hpc").withUid("uid-1").withGeneration(1L).build());
    cluster.setSpec(spec);
    return cluster;
  }
}
