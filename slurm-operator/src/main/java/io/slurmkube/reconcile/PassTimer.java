package io.slurmkube.reconcile;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * The time each step of one reconcile pass took, logged only when the pass was slow: an
 * autoscaling node set passes twice a second, and a pass stuck in one slow call delays every
 * scale decision behind it, which the step names then point at.
 */
final class PassTimer {
  /** A pass longer than this is logged with its steps. */
  static final long SLOW_NANOS = 2_000_000_000L;

  private final long start = System.nanoTime();
  private long last = start;
  private final List<String> laps = new ArrayList<>();

  void lap(String step) {
    long now = System.nanoTime();
    laps.add(String.format("%s %.2f s", step, (now - last) / 1e9));
    last = now;
  }

  void warnIfSlow(Logger log, String what) {
    long took = System.nanoTime() - start;
    if (took > SLOW_NANOS) {
      log.warn("slow pass of NodeSet {}: {} s ({})", what, String.format("%.2f", took / 1e9), String.join(", ", laps));
    }
  }
}
