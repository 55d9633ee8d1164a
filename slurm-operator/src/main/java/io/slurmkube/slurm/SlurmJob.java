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
 * @param pendingTasks how many jobs this record stands for while pending: the unstarted tasks of a
 *     job array (Slurm keeps them in one record, with a task range), at most its %N limit; 1 otherwise
 * @param start what the job's own fields say about when it may start, whatever its reason says
 */
public record SlurmJob(long id, String name, String user, String partition, Set<String> states, String reason,
    Instant submitTime, int nodes, int cpus, int gpus, String features, String nodeList, int pendingTasks,
    StartConditions start) {

  /**
   * What holds a job back besides resources. Slurm often reports reason "None" for a moment after a
   * submit or requeue while these fields already tell the truth.
   *
   * @param eligibleTime the earliest time Slurm may start it (slurmrestd's {@code eligible_time}:
   *     --begin, or the delay Slurm puts on a requeued job); null when Slurm has not set one
   * @param dependency the dependency expression, e.g. {@code afterok:12(unfulfilled)}; empty when none
   * @param held held by a user or an administrator (the hold flag, or priority 0)
   */
  public record StartConditions(Instant eligibleTime, String dependency, boolean held) {
    public static final StartConditions NONE = new StartConditions(null, "", false);

    public StartConditions {
      dependency = dependency == null ? "" : dependency;
    }
  }

  public SlurmJob {
    start = start == null ? StartConditions.NONE : start;
  }

  /** A job that is not a pending array and has nothing but resources to wait for. */
  public SlurmJob(long id, String name, String user, String partition, Set<String> states, String reason,
      Instant submitTime, int nodes, int cpus, int gpus, String features, String nodeList) {
    this(id, name, user, partition, states, reason, submitTime, nodes, cpus, gpus, features, nodeList, 1,
        StartConditions.NONE);
  }

  public SlurmJob withPendingTasks(int tasks) {
    return new SlurmJob(id, name, user, partition, states, reason, submitTime, nodes, cpus, gpus, features, nodeList,
        tasks, start);
  }

  public SlurmJob withStart(StartConditions conditions) {
    return new SlurmJob(id, name, user, partition, states, reason, submitTime, nodes, cpus, gpus, features, nodeList,
        pendingTasks, conditions);
  }

  /**
   * The number of tasks in an array task expression as Slurm prints it: {@code 0-7},
   * {@code 1,3,5-9}, {@code 1-15:2}, optionally with {@code %N} (at most N at once, so at most N
   * wanted now). 1 for an empty or unreadable expression: the record is at least one job.
   */
  public static int arrayTasks(String expression, long maxAtOnce) {
    if (expression == null || expression.isBlank()) {
      return 1;
    }
    String body = expression.strip();
    long limit = maxAtOnce > 0 ? maxAtOnce : Long.MAX_VALUE;
    int percent = body.indexOf('%');
    if (percent >= 0) {
      try {
        limit = Math.min(limit, Long.parseLong(body.substring(percent + 1).strip()));
      } catch (NumberFormatException e) {
        return 1;
      }
      body = body.substring(0, percent);
    }
    body = body.replace("[", "").replace("]", "");
    long count = 0;
    try {
      for (String part : body.split(",")) {
        String range = part.strip();
        if (range.isEmpty()) {
          continue;
        }
        long step = 1;
        int colon = range.indexOf(':');
        if (colon >= 0) {
          step = Math.max(1, Long.parseLong(range.substring(colon + 1)));
          range = range.substring(0, colon);
        }
        int dash = range.indexOf('-');
        if (dash < 0) {
          Long.parseLong(range);
          count++;
        } else {
          long from = Long.parseLong(range.substring(0, dash));
          long to = Long.parseLong(range.substring(dash + 1));
          count += to < from ? 0 : (to - from) / step + 1;
        }
      }
    } catch (NumberFormatException e) {
      return 1;
    }
    return (int) Math.max(1, Math.min(count, Math.min(limit, Integer.MAX_VALUE)));
  }

  public boolean isPending() { return states.contains("PENDING"); }

  public boolean isRunning() { return states.contains("RUNNING"); }

  public boolean isCompleted() { return states.contains("COMPLETED"); }

  /** Still cleaning up on its nodes: a requeued job is PENDING and COMPLETING until then. */
  public boolean isCompleting() { return states.contains("COMPLETING"); }
}
