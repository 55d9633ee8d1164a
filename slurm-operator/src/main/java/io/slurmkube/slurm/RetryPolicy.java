package io.slurmkube.slurm;

import java.time.Duration;

/**
 * How reads are retried: {@code attempts} tries in all, waiting {@code firstDelay} and doubling up
 * to {@code maxDelay} between them. Writes (drain, resume, delete, submit) are never retried.
 */
public record RetryPolicy(int attempts, Duration firstDelay, Duration maxDelay) {
  public RetryPolicy {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1");
    }
  }

  public static RetryPolicy defaults() {
    return new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(2));
  }

  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO);
  }

  /** The wait before try number {@code attempt} (2, 3, ...). */
  Duration delayBefore(int attempt) {
    Duration delay = firstDelay;
    for (int i = 2; i < attempt && delay.compareTo(maxDelay) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(maxDelay) > 0 ? maxDelay : delay;
  }
}
