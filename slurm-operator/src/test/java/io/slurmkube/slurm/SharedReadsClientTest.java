package io.slurmkube.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SharedReadsClientTest {

  /** Counts listings; a listing may be held open to let other callers arrive while it runs. */
  static final class CountingSlurm implements SlurmClient {
    final AtomicInteger jobListings = new AtomicInteger();
    final AtomicInteger nodeListings = new AtomicInteger();
    final List<String> drained = new ArrayList<>();
    volatile CountDownLatch hold = new CountDownLatch(0);
    volatile CountDownLatch listingStarted = new CountDownLatch(1);
    volatile RuntimeException failure;

    public String apiVersion() { return "test"; }
    public Ping ping() { throw new UnsupportedOperationException(); }
    public List<SlurmJob> jobs() {
      jobListings.incrementAndGet();
      listingStarted.countDown();
      try {
        hold.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      if (failure != null) {
        throw failure;
      }
      return List.of(new SlurmJob(jobListings.get(), "j", "u", "batch", Set.of("PENDING"), "Resources",
          Instant.EPOCH, 1, 1, 0, "", ""));
    }
    public List<SlurmNode> nodes() {
      nodeListings.incrementAndGet();
      return List.of();
    }
    public void drainNode(String name, String reason) { drained.add(name); }
    public void resumeNode(String name, String reason) { }
    public void deleteNode(String name) { }
    public long submitJob(JobSubmission job) { return 1; }
  }

  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-11-22T00:00:00Z");
    public ZoneOffset getZone() { return ZoneOffset.UTC; }
    public Clock withZone(java.time.ZoneId zone) { return this; }
    public Instant instant() { return now; }
  }

  final CountingSlurm slurm = new CountingSlurm();
  final ManualClock clock = new ManualClock();
  final SharedReadsClient shared = new SharedReadsClient(slurm, Duration.ofMillis(500), clock);

  @Test
  void aFreshQueueIsReadAnewAndSharedWithTheCallersAfterIt() {
    shared.activeJobs();
    clock.now = clock.now.plusMillis(100);
    var fresh = shared.freshQueue();
    assertThat(slurm.jobListings).as("a young read is not reused for a fresh one").hasValue(2);
    clock.now = clock.now.plusMillis(100);
    assertThat(shared.activeQueue()).isSameAs(fresh);
    assertThat(slurm.jobListings).hasValue(2);
  }

  @Test
  void readsWithinTheAgeAreShared() {
    var first = shared.activeJobs();
    clock.now = clock.now.plusMillis(400);
    assertThat(shared.activeJobs()).isEqualTo(first);
    assertThat(slurm.jobListings).hasValue(1);

    clock.now = clock.now.plusMillis(100);
    shared.activeJobs();
    assertThat(slurm.jobListings).as("a read as old as the limit is not reused").hasValue(2);
  }

  @Test
  void callersArrivingDuringAListingWaitForItInsteadOfStartingAnother() throws Exception {
    slurm.hold = new CountDownLatch(1);
    var pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<List<SlurmJob>>> answers = new ArrayList<>();
      answers.add(pool.submit(shared::jobs));
      assertThat(slurm.listingStarted.await(5, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 7; i++) {
        answers.add(pool.submit(shared::jobs));
      }
      Thread.sleep(100);
      slurm.hold.countDown();
      for (var answer : answers) {
        assertThat(answer.get(5, TimeUnit.SECONDS)).singleElement().extracting(SlurmJob::id).isEqualTo(1L);
      }
      assertThat(slurm.jobListings).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailedReadIsNotKept() {
    slurm.failure = new SlurmTimeoutException("slurmrestd took too long", null);
    assertThatThrownBy(shared::jobs).isInstanceOf(SlurmTimeoutException.class);
    slurm.failure = null;
    assertThat(shared.jobs()).hasSize(1);
    assertThat(slurm.jobListings).hasValue(2);
  }

  @Test
  void aWriteMakesTheNextNodeReadFresh() {
    shared.nodes();
    shared.nodes();
    assertThat(slurm.nodeListings).hasValue(1);
    shared.drainNode("demo-cpu-0", "slurmkube: scale-down");
    shared.nodes();
    assertThat(slurm.nodeListings).hasValue(2);
    assertThat(slurm.drained).containsExactly("demo-cpu-0");
  }
}
