package io.slurmkube.reconcile;

import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import java.time.Duration;

/**
 * How a failed reconcile pass is tried again: without end, one second after the first failure,
 * doubling to at most {@link #LONGEST_WAIT}.
 *
 * <p>JOSDK's default gives up after five retries and then waits for the next Kubernetes event, or
 * ten hours. A node set's work is driven by the Slurm queue, which is no Kubernetes event: after a
 * run of failures (slurmctld restarting, the API server unreachable) a quiet cluster would stop
 * scaling, resuming and deleting node records until some pod happened to change.
 */
public final class PassRetry {
  /** The longest wait between two tries of a pass that keeps failing. */
  public static final Duration LONGEST_WAIT = Duration.ofSeconds(30);

  private PassRetry() {}

  public static GenericRetry forever() {
    return new GenericRetry()
        .setInitialInterval(Duration.ofSeconds(1))
        .setIntervalMultiplier(2)
        .setMaxInterval(LONGEST_WAIT.toMillis())
        .withoutMaxAttempts();
  }
}
