package io.slurmkube.slurm;

/**
 * slurmctld's answer to a ping through slurmrestd.
 *
 * @param controller slurmctld's host name
 * @param responding whether slurmctld answered
 * @param mode primary or backup
 * @param slurmVersion the Slurm release slurmrestd reports, e.g. 24.11.5
 * @param latencyMicros how long slurmctld took to answer, in microseconds
 */
public record Ping(String controller, boolean responding, String mode, String slurmVersion, long latencyMicros) {}
