package io.slurmkube.slurm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A client whose queue and node reads are shared by every caller within {@code maxAge}: each
 * autoscaling node set of a cluster reconciles twice a second, and with a long queue one listing
 * costs slurmrestd seconds, so N node sets must cost one listing, not N. A caller that arrives
 * while a read is under way waits for that read instead of starting another.
 *
 * <p>A write (drain, resume, delete, submit) forgets what was read, so the next read sees it.
 * A failed read is not kept: the next caller asks again.
 */
public final class SharedReadsClient implements SlurmClient {
  private final SlurmClient delegate;
  private final Duration maxAge;
  private final Clock clock;
  private final SharedRead<List<SlurmJob>> jobs = new SharedRead<>();
  private final SharedRead<QueueRead> activeJobs = new SharedRead<>();
  private final SharedRead<List<SlurmNode>> nodes = new SharedRead<>();

  public SharedReadsClient(SlurmClient delegate, Duration maxAge, Clock clock) {
    this.delegate = delegate;
    this.maxAge = maxAge;
    this.clock = clock;
  }

  @Override
  public String apiVersion() {
    return delegate.apiVersion();
  }

  @Override
  public Ping ping() {
    return delegate.ping();
  }

  @Override
  public List<SlurmJob> jobs() {
    return jobs.get(delegate::jobs);
  }

  @Override
  public List<SlurmJob> activeJobs() {
    return activeQueue().jobs();
  }

  @Override
  public QueueRead activeQueue() {
    return activeJobs.get(delegate::activeQueue);
  }

  @Override
  public QueueRead freshQueue() {
    return activeJobs.fresh(delegate::activeQueue);
  }

  @Override
  public boolean queueReadIsCheap() {
    return delegate.queueReadIsCheap();
  }

  @Override
  public String queueNote() {
    return delegate.queueNote();
  }

  @Override
  public String authKeySet() {
    return delegate.authKeySet();
  }

  @Override
  public List<SlurmNode> nodes() {
    return nodes.get(delegate::nodes);
  }

  @Override
  public List<SlurmNode> freshNodes() {
    return delegate.freshNodes();
  }

  @Override
  public void drainNode(String name, String reason) {
    nodes.after(() -> delegate.drainNode(name, reason));
  }

  @Override
  public void resumeNode(String name, String reason) {
    nodes.after(() -> delegate.resumeNode(name, reason));
  }

  @Override
  public void deleteNode(String name) {
    nodes.after(() -> delegate.deleteNode(name));
  }

  @Override
  public long submitJob(JobSubmission job) {
    try {
      return delegate.submitJob(job);
    } finally {
      jobs.forget();
      activeJobs.forget();
    }
  }

  /** One value read at {@code startedAt}; its age counts from the start, the conservative end. */
  private record Read<T>(Instant startedAt, CompletableFuture<T> result) {}

  private final class SharedRead<T> {
    private final AtomicReference<Read<T>> latest = new AtomicReference<>();

    T get(Supplier<T> read) {
      Read<T> mine = new Read<>(clock.instant(), new CompletableFuture<>());
      Read<T> shared = latest.updateAndGet(current -> usable(current) ? current : mine);
      if (shared == mine) {
        try {
          mine.result().complete(read.get());
        } catch (RuntimeException e) {
          latest.compareAndSet(mine, null);
          mine.result().completeExceptionally(e);
        }
      }
      try {
        return shared.result().join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }

    /** A read begun now, or the one under way; a finished read is not reused, however young. */
    T fresh(Supplier<T> read) {
      Read<T> current = latest.get();
      if (current != null && current.result().isDone()) {
        latest.compareAndSet(current, null);
      }
      return get(read);
    }

    private boolean usable(Read<T> read) {
      if (read == null || read.result().isCompletedExceptionally()) {
        return false;
      }
      return !read.result().isDone() || Duration.between(read.startedAt(), clock.instant()).compareTo(maxAge) < 0;
    }

    void forget() {
      latest.set(null);
    }

    /** Runs a write; whatever was read before it ends (even if it failed half-way) is not reused. */
    void after(Runnable write) {
      try {
        write.run();
      } finally {
        forget();
      }
    }
  }
}
