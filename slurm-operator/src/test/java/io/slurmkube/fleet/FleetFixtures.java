package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.slurmkube.api.FleetSpec;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterSpec;
import io.slurmkube.api.SlurmNodePool;
import io.slurmkube.api.SlurmNodePoolSpec;
import java.util.List;

/** Fleet policies, node pools and clusters for the fleet tests. */
final class FleetFixtures {
  static final String POOL_NAME = "hpc-nodes";

  private FleetFixtures() {}

  /** A pool of the nodes labelled key=value (within SlurmNodePool hpc-nodes); all of them when count is null. */
  static FleetSpec selecting(String key, String value, Integer count) {
    var fleet = new FleetSpec();
    fleet.pool = POOL_NAME;
    fleet.nodeSelector = new FleetSpec.NodeSelector();
    fleet.nodeSelector.matchLabels.put(key, value);
    fleet.nodes = count;
    return fleet;
  }

  /** SlurmNodePool hpc-nodes: every node that has the label key, for these namespaces. */
  static SlurmNodePool grant(String key, boolean allowLending, String... namespaces) {
    var spec = new SlurmNodePoolSpec();
    spec.nodeSelector = new SlurmNodePoolSpec.NodeSelector();
    var exists = new SlurmNodePoolSpec.Requirement();
    exists.key = key;
    exists.operator = "Exists";
    spec.nodeSelector.matchExpressions.add(exists);
    spec.namespaces.addAll(List.of(namespaces));
    spec.allowLending = allowLending;
    var pool = new SlurmNodePool();
    pool.setMetadata(new ObjectMetaBuilder().withName(POOL_NAME).build());
    pool.setSpec(spec);
    return pool;
  }

  /** A cluster with one node set, cpu (3 CPUs a pod, none to start with), and this fleet policy. */
  static SlurmCluster cluster(String namespace, String name, FleetSpec fleet) {
    var spec = new SlurmClusterSpec();
    spec.image = "slurmkube.local/slurmctld:26.05";
    spec.nodeImage = "slurmkube.local/slurmd:26.05";
    // No Slurm runs in these tests: a deleted cluster need not wait for jobs.
    spec.deletionGracePeriodSeconds = 0;
    var cpu = new NodeSetSpec();
    cpu.name = "cpu";
    cpu.cpus = 3;
    cpu.replicas = 0;
    spec.nodeSets.add(cpu);
    spec.fleet = fleet;
    var cluster = new SlurmCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    cluster.setSpec(spec);
    return cluster;
  }
}
