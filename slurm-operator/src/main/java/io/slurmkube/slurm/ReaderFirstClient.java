package io.slurmkube.slurm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client whose queue read ({@link #activeJobs}) comes from the cluster's queue reader, and
 * everything else from slurmrestd. slurmrestd's job listing costs seconds and gigabytes at
 * 10,000 jobs; the reader's answer is a snapshot squeue took moments ago, a few kilobytes.
 *
 * <p>When the reader does not answer, the queue is read from slurmrestd, said once in the log and
 * in {@link #queueNote()}, and the reader is asked again only after {@code retryAfter}: no storm
 * of failing reads in front of every listing.
 */
public final class ReaderFirstClient implements SlurmClient {
  private static final Logger LOG = LoggerFactory.getLogger(ReaderFirstClient.class);
  /** A squeue slower than this means slurmctld itself answers slowly. */
  static final double SLOW_SECONDS = 2.0;

  private final SlurmClient rest;
  private final QueueReaderClient reader;
  private final Duration retryAfter;
  private final Clock clock;
  private volatile Instant readerFailedAt;
  private volatile String note;

  public ReaderFirstClient(SlurmClient rest, QueueReaderClient reader, Duration retryAfter, Clock clock) {
    this.rest = rest;
    this.reader = reader;
    this.retryAfter = retryAfter;
    this.clock = clock;
  }

  @Override
  public List<SlurmJob> activeJobs() {
    return activeQueue().jobs();
  }

  @Override
  public QueueRead activeQueue() {
    Instant failed = readerFailedAt;
    if (failed == null || !clock.instant().isBefore(failed.plus(retryAfter))) {
      try {
        var snapshot = reader.read();
        if (failed != null) {
          LOG.info("the queue reader at {} answers again; the queue is read from it", reader.uri());
        }
        readerFailedAt = null;
        note = snapshot.readSeconds() > SLOW_SECONDS
            ? String.format(Locale.ROOT, "Slurm answers slowly: squeue took %.1f s", snapshot.readSeconds()) : null;
        return new QueueRead(snapshot.jobs().stream().filter(j -> j.isPending() || j.isRunning()).toList(),
            snapshot.readAt());
      } catch (SlurmUnavailableException e) {
        if (failed == null) {
          LOG.warn("queue read from slurmrestd instead: {}", e.getMessage());
        }
        readerFailedAt = clock.instant();
        note = "queue read from slurmrestd: " + e.getMessage();
      }
    }
    return rest.activeQueue();
  }

  @Override
  public String queueNote() { return note; }

  /** While the reader answers; after it failed, reads go to slurmrestd until it is asked again. */
  @Override
  public boolean queueReadIsCheap() {
    Instant failed = readerFailedAt;
    return failed == null || !clock.instant().isBefore(failed.plus(retryAfter));
  }

  @Override
  public String apiVersion() { return rest.apiVersion(); }

  @Override
  public Ping ping() { return rest.ping(); }

  @Override
  public List<SlurmJob> jobs() { return rest.jobs(); }

  @Override
  public List<SlurmNode> nodes() { return rest.nodes(); }

  @Override
  public String authKeySet() { return reader.authKeySet(); }

  @Override
  public void drainNode(String name, String reason) { rest.drainNode(name, reason); }

  @Override
  public void resumeNode(String name, String reason) { rest.resumeNode(name, reason); }

  @Override
  public void deleteNode(String name) { rest.deleteNode(name); }

  @Override
  public long submitJob(JobSubmission job) { return rest.submitJob(job); }
}
