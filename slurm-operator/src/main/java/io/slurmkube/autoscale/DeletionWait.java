package io.slurmkube.autoscale;

import io.slurmkube.slurm.SlurmJob;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * When a deleted SlurmCluster may let Kubernetes remove everything: once no job runs, once its
 * grace period (spec.deletionGracePeriodSeconds) is over, or once Slurm cannot be asked.
 */
public final class DeletionWait {
  /**
   * How long a deletion waits for a Slurm that does not answer although its slurmctld and slurmrestd
   * objects exist (a restart, a network problem) before it stops protecting jobs it cannot see.
   */
  public static final Duration UNREACHABLE_LIMIT = Duration.ofMinutes(2);

  private DeletionWait() {}

  /** Whether to remove the finalizer now, the condition's reason and its message. */
  public record Decision(boolean release, String reason, String message) {}

  /**
   * What Slurm said: the running jobs and busy nodes, or why it could not be asked.
   *
   * @param unavailable null when Slurm answered
   * @param hopeless Slurm cannot answer again (REST API off, slurmctld or slurmrestd deleted)
   */
  public record SlurmAnswer(List<SlurmJob> running, int busyNodes, String unavailable, boolean hopeless) {
    public static SlurmAnswer of(List<SlurmJob> running, int busyNodes) {
      return new SlurmAnswer(running, busyNodes, null, false);
    }

    public static SlurmAnswer unavailable(String why, boolean hopeless) {
      return new SlurmAnswer(List.of(), 0, why, hopeless);
    }
  }

  public static Instant deadline(Instant deletionStarted, long graceSeconds) {
    return deletionStarted.plusSeconds(Math.max(0, graceSeconds));
  }

  public static Decision decide(Instant deletionStarted, long graceSeconds, Instant now, SlurmAnswer slurm) {
    Instant deadline = deadline(deletionStarted, graceSeconds);
    if (graceSeconds <= 0) {
      return new Decision(true, "NoGracePeriod", "spec.deletionGracePeriodSeconds is 0: removing the cluster without waiting for jobs");
    }
    if (slurm.unavailable() != null) {
      if (slurm.hopeless() || giveUpOnSlurm(deletionStarted, now)) {
        return new Decision(true, "SlurmUnreachable", "cannot ask Slurm whether jobs run (" + slurm.unavailable()
            + "): removing the cluster now, running jobs (if any) are killed");
      }
      if (!now.isBefore(deadline)) {
        return graceOver(graceSeconds, "jobs unknown: Slurm does not answer");
      }
      return new Decision(false, "WaitingForSlurm", "deleting: cannot ask Slurm whether jobs run (" + slurm.unavailable()
          + "); waiting until " + earliest(deadline, deletionStarted.plus(UNREACHABLE_LIMIT)) + " at most");
    }
    if (slurm.running().isEmpty() && slurm.busyNodes() == 0) {
      return new Decision(true, "NoJobs", "no job is running: removing the cluster");
    }
    int jobs = Math.max(slurm.running().size(), slurm.running().isEmpty() ? 1 : 0);
    String which = slurm.running().isEmpty() ? "on " + slurm.busyNodes() + " node(s)" : "(" + DeletionDrain.ids(slurm.running()) + ")";
    if (!now.isBefore(deadline)) {
      return graceOver(graceSeconds, jobs + " job(s) " + which + " still running are killed");
    }
    return new Decision(false, "WaitingForJobs", "deleting: waiting for " + jobs + " running job(s) " + which
        + " to end, until " + deadline + " (spec.deletionGracePeriodSeconds " + graceSeconds
        + "); every node is drained, no pending job starts");
  }

  /** Whether a deletion that cannot reach Slurm (for a reason that may pass) has waited long enough. */
  public static boolean giveUpOnSlurm(Instant deletionStarted, Instant now) {
    return !now.isBefore(deletionStarted.plus(UNREACHABLE_LIMIT));
  }

  private static Decision graceOver(long graceSeconds, String what) {
    return new Decision(true, "GracePeriodOver", "the grace period of " + graceSeconds
        + "s (spec.deletionGracePeriodSeconds) is over: removing the cluster; " + what);
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
