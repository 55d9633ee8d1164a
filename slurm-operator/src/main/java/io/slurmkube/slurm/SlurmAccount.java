package io.slurmkube.slurm;

import java.util.List;

/**
 * An account and its association in this cluster. qos = the QOS its jobs may use (empty = Slurm's
 * default, inherited), defaultQos may be null. limits.maxTresPerUser does not apply to accounts.
 */
public record SlurmAccount(String name, String description, String parent, Integer fairshare,
    List<String> qos, String defaultQos, SlurmLimits limits) {}
