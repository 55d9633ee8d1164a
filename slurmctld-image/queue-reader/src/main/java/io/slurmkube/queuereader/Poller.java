package io.slurmkube.queuereader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs squeue over and over on one thread: never two at once, and a slow run only delays the
 * next. Each run's result replaces the snapshot; a failed run keeps the last good jobs and notes
 * the failure. The pause after a run is the interval or, when longer, as long as the run took: a
 * short queue is seen a few times a second (a new job reaches the autoscaler quickly), while a
 * long one, whose squeue takes seconds, keeps slurmctld answering squeue at most half the time.
 */
public final class Poller implements Runnable {
  /** What one run of squeue produced: its stdout, or why it failed. */
  public interface Source {
    String read() throws IOException, InterruptedException;
  }

  private final Source source;
  private final Duration interval;
  private final Clock clock;
  private final Consumer<String> log;
  private final AtomicReference<Snapshot> latest = new AtomicReference<>();
  private final AtomicReference<byte[]> latestJson = new AtomicReference<>();
  private volatile Instant lastSuccess;

  public Poller(Source source, Duration interval, Clock clock, Consumer<String> log) {
    this.source = source;
    this.interval = interval;
    this.clock = clock;
    this.log = log;
  }

  /** The latest snapshot, null before the first run ended. */
  public Snapshot snapshot() { return latest.get(); }

  /** The latest snapshot as the JSON served, null before the first run ended. */
  public byte[] json() { return latestJson.get(); }

  /** When a run last succeeded, null if none has. */
  public Instant lastSuccess() { return lastSuccess; }

  /** One run of squeue, whose result replaces the snapshot; returns how long it took. */
  public Duration pollOnce() throws InterruptedException {
    Instant started = clock.instant();
    long t0 = System.nanoTime();
    Snapshot next;
    try {
      String output = source.read();
      var parsed = Squeue.parse(output, started.getEpochSecond());
      next = new Snapshot(started, (System.nanoTime() - t0) / 1e9, parsed.jobs(), parsed.skipped(), null, null);
      if (parsed.skipped() > 0) {
        log.accept("squeue printed " + parsed.skipped() + " line(s) the reader cannot read; they are left out");
      }
      lastSuccess = started;
    } catch (IOException e) {
      Snapshot previous = latest.get();
      String why = e.getMessage();
      log.accept("squeue failed: " + why);
      next = previous != null ? previous.failed(why, started)
          : new Snapshot(null, (System.nanoTime() - t0) / 1e9, List.of(), 0, why, started);
    }
    latestJson.set(next.toJson());
    latest.set(next);
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  @Override
  public void run() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        Thread.sleep(pauseAfter(pollOnce()).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        log.accept("poll failed: " + e);
        try {
          Thread.sleep(interval.toMillis());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** The pause after a run that took {@code took}. */
  Duration pauseAfter(Duration took) {
    return took.compareTo(interval) > 0 ? took : interval;
  }

  /** squeue as a child process, killed when it runs past {@code timeout}. */
  public static Source squeue(String executable, Duration timeout) {
    return () -> {
      ProcessBuilder builder = new ProcessBuilder(Squeue.command(executable));
      Squeue.environment(builder.environment());
      builder.redirectErrorStream(false);
      Process process = builder.start();
      // stderr is read on the side, so a chatty squeue cannot block on a full pipe.
      var stderr = new StringBuilder();
      Thread errors = new Thread(() -> {
        try {
          stderr.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException ignored) {
          // the process is gone; what was read is kept
        }
      }, "squeue-stderr");
      errors.setDaemon(true);
      errors.start();
      var timedOut = new java.util.concurrent.atomic.AtomicBoolean();
      Thread killer = new Thread(() -> {
        try {
          if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            timedOut.set(true);
            process.destroyForcibly();
          }
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
      }, "squeue-timeout");
      killer.setDaemon(true);
      killer.start();
      byte[] out;
      try {
        out = process.getInputStream().readAllBytes();
      } finally {
        killer.interrupt();
      }
      int code = process.waitFor();
      errors.join(1000);
      if (timedOut.get()) {
        throw new IOException("squeue did not finish within " + timeout.toSeconds() + " s and was stopped");
      }
      if (code != 0) {
        String err = stderr.toString().strip();
        throw new IOException("squeue exited " + code + (err.isEmpty() ? "" : ": " + last(err, 500)));
      }
      return new String(out, StandardCharsets.UTF_8);
    };
  }

  private static String last(String text, int max) {
    return text.length() <= max ? text : "..." + text.substring(text.length() - max);
  }
}
