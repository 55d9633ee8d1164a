package io.slurmkube.autoscale;

import io.slurmkube.slurm.SlurmNode;
import java.util.List;
import java.util.Set;

/**
 * What the autoscaler knows of one node set at one moment.
 *
 * @param name the node set's name inside its cluster (its Slurm feature)
 * @param partitions the partitions that hold this node set's nodes
 * @param features the features its nodes carry (the name first)
 * @param cpus CPUs per node
 * @param gpus GPUs per node
 * @param minReplicas lower bound
 * @param maxReplicas upper bound
 * @param replicas the replica count wanted now
 * @param pods pods that exist and are not terminating
 * @param nodes this node set's nodes as Slurm reports them
 */
public record NodeSetView(String name, Set<String> partitions, Set<String> features, int cpus, int gpus,
    int minReplicas, int maxReplicas, int replicas, int pods, List<SlurmNode> nodes) {

  /**
   * Pods that exist but whose slurmd has not registered yet: capacity on its way. A DOWN record
   * is not a registered node: it may be the record a removed pod of the same name left behind
   * (deleted a moment later), and counting it made a second pod for a job that had one coming.
   */
  public int starting() {
    return Math.max(0, pods - (int) nodes.stream().filter(n -> !n.isDown()).count());
  }
}
