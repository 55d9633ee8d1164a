package io.slurmkube.slurm;

import java.util.List;

/**
 * A QOS in slurmdbd. For a QOS, {@code limits.maxJobs}/{@code maxSubmitJobs} mean Slurm's
 * MaxJobsPerUser/MaxSubmitJobsPerUser; maxTresPerUser applies only to QOS. preemptMode is Slurm's
 * text ("requeue", "cancel", "suspend,gang"); null = the cluster's PreemptMode.
 */
public record SlurmQos(String name, String description, Integer priority, List<String> preempt, String preemptMode,
    SlurmLimits limits) {}
