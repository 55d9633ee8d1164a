package io.slurmkube.slurm;

import java.util.List;
import java.util.Set;

/**
 * A Slurm node as the operator sees it.
 *
 * @param name node name (a slurmd pod's name)
 * @param states base state and flags, e.g. IDLE, ALLOCATED, MIXED, DOWN plus DRAIN, DYNAMIC_NORM
 * @param features available features (the node set's name first)
 * @param gres configured GRES, e.g. gpu:2, empty when none
 * @param gpus GPUs the node has
 * @param gpusUsed GPUs allocated to jobs
 * @param cpus CPUs the node has
 * @param cpusAllocated CPUs allocated to jobs
 * @param memoryMiB RealMemory
 * @param memoryAllocatedMiB memory allocated to jobs
 * @param reason why it is drained or down, empty when none
 * @param reasonSetBy the user who set the reason
 * @param address the address slurmctld reaches slurmd at
 */
public record SlurmNode(String name, Set<String> states, List<String> features, String gres, int gpus, int gpusUsed,
    int cpus, int cpusAllocated, long memoryMiB, long memoryAllocatedMiB, String reason, String reasonSetBy,
    String address) {

  /** Registered through slurmd -Z rather than listed in slurm.conf; only these can be deleted. */
  public boolean isDynamic() { return states.contains("DYNAMIC_NORM"); }

  public boolean isDrainFlagged() { return states.contains("DRAIN"); }

  /** Drain requested and no job left: safe to delete the pod. */
  public boolean isDrained() { return isDrainFlagged() && !isBusy(); }

  public boolean isDown() { return states.contains("DOWN"); }

  /** Runs at least one job. */
  public boolean isBusy() {
    return states.contains("ALLOCATED") || states.contains("MIXED") || states.contains("COMPLETING") || cpusAllocated > 0;
  }

  /** Up, not drained, running nothing. */
  public boolean isIdle() { return states.contains("IDLE") && !isDrainFlagged() && !isDown() && !isBusy(); }
}
