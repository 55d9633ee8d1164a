package io.slurmkube.slurm;

import java.time.Instant;
import java.util.Set;

/**
 * A job as the autoscaler sees it.
 *
 * @param id job id
 * @param name job name
 * @param user user name the job runs as
 * @param partition partition (a comma-separated list while pending in several)
 * @param states Slurm's job state and flags, e.g. PENDING, RUNNING, COMPLETED, REQUEUED
 * @param reason why it waits (e.g. Resources, Priority, ReqNodeNotAvail) or None
 * @param submitTime when it was submitted
 * @param nodes nodes requested (or allocated, once running)
 * @param cpus CPUs requested in total
 * @param gpus GPUs requested in total (per node, per task and per job requests added up)
 * @param features the --constraint expression, empty when none
 * @param nodeList the nodes it runs on, empty while pending
 */
public record SlurmJob(long id, String name, String user, String partition, Set<String> states, String reason,
    Instant submitTime, int nodes, int cpus, int gpus, String features, String nodeList) {

  public boolean isPending() { return states.contains("PENDING"); }

  public boolean isRunning() { return states.contains("RUNNING"); }

  public boolean isCompleted() { return states.contains("COMPLETED"); }
}
