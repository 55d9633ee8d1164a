package io.slurmkube.queuereader;

import java.util.List;

/**
 * One job as squeue prints it, with only what the operator's autoscaler and deletion logic use.
 * Strings are empty where squeue prints {@code (null)} or {@code N/A}.
 *
 * @param id job id (for a pending job array, the id its unstarted tasks share)
 * @param states base state first, then the flag squeue showed, e.g. [PENDING, REQUEUED]
 * @param reason Slurm's reason code, without the description squeue may append
 * @param partition partition, or a comma-separated list while pending in several
 * @param nodes nodes requested, or allocated once running
 * @param cpus CPUs requested in total, or allocated
 * @param tasks tasks requested (a per-task GPU request counts once per task)
 * @param tresPerNode e.g. {@code gres/gpu:2}
 * @param tresPerJob e.g. {@code gres/gpu:3}
 * @param tresPerTask e.g. {@code gres/gpu=1} or {@code cpu=2}
 * @param eligibleTime epoch seconds before which Slurm will not start it; 0 when none is ahead
 * @param dependency e.g. {@code afterok:12(unfulfilled)}
 * @param held priority 0: held by its user or an administrator
 * @param nodeList the nodes it runs on
 * @param arrayTasks a pending array's unstarted tasks, e.g. {@code 0-7%3}; empty otherwise
 * @param user the user it runs as
 * @param features the --constraint expression
 */
public record QueueJob(long id, List<String> states, String reason, String partition, int nodes, int cpus, int tasks,
    String tresPerNode, String tresPerJob, String tresPerTask, long eligibleTime, String dependency, boolean held,
    String nodeList, String arrayTasks, String user, String features) {

  public QueueJob {
    states = List.copyOf(states);
  }

  /** The same job under another id: records that differ only in id are one group on the wire. */
  QueueJob withId(long other) {
    return new QueueJob(other, states, reason, partition, nodes, cpus, tasks, tresPerNode, tresPerJob, tresPerTask,
        eligibleTime, dependency, held, nodeList, arrayTasks, user, features);
  }
}
