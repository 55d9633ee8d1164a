package io.slurmkube.slurm;

import java.util.List;

/**
 * A batch job to submit (tests and the demo use it; the operator itself submits nothing).
 *
 * @param name job name
 * @param script the batch script, starting with #!
 * @param partition partition, or null for the default one
 * @param nodes nodes wanted
 * @param cpusPerTask CPUs for the job's one task per node
 * @param gpusPerNode GPUs wanted on each node (0 for none)
 * @param constraint --constraint feature expression, or null
 * @param workingDirectory where the script runs and its output goes
 * @param environment NAME=value pairs; slurmrestd requires at least one
 */
public record JobSubmission(String name, String script, String partition, int nodes, int cpusPerTask,
    int gpusPerNode, String constraint, String workingDirectory, List<String> environment) {

  /** A one-node, one-CPU job running {@code script} in /tmp. */
  public static JobSubmission of(String name, String script) {
    return new JobSubmission(name, script, null, 1, 1, 0, null, "/tmp", List.of("PATH=/usr/local/bin:/usr/bin:/bin"));
  }

  public JobSubmission withPartition(String value) {
    return new JobSubmission(name, script, value, nodes, cpusPerTask, gpusPerNode, constraint, workingDirectory, environment);
  }

  public JobSubmission withNodes(int value) {
    return new JobSubmission(name, script, partition, value, cpusPerTask, gpusPerNode, constraint, workingDirectory, environment);
  }

  public JobSubmission withCpusPerTask(int value) {
    return new JobSubmission(name, script, partition, nodes, value, gpusPerNode, constraint, workingDirectory, environment);
  }

  public JobSubmission withGpusPerNode(int value) {
    return new JobSubmission(name, script, partition, nodes, cpusPerTask, value, constraint, workingDirectory, environment);
  }

  public JobSubmission withConstraint(String value) {
    return new JobSubmission(name, script, partition, nodes, cpusPerTask, gpusPerNode, value, workingDirectory, environment);
  }
}
