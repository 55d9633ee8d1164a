package io.slurmkube.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The operator's side of the queue reader: its JSON to SlurmJob records, and the fallback to slurmrestd. */
class QueueReaderClientTest {
  static final Instant NOW = Instant.parse("2026-11-30T00:00:10Z");
  static final String ANSWER = """
      {"readAt":"2026-11-30T00:00:09Z","readSeconds":0.251,"jobCount":4,"skipped":0,"error":null,"errorAt":null,
       "jobs":[
        {"ids":[11,12],"states":["PENDING"],"reason":"JobHeldUser","partition":"batch","nodes":1,"cpus":1,"tasks":1,
         "tresPerNode":"","tresPerJob":"","tresPerTask":"","eligibleTime":0,"dependency":"","held":true,"nodeList":"",
         "arrayTasks":"","user":"root","features":""},
        {"ids":[13],"states":["PENDING"],"reason":"Resources","partition":"batch,other","nodes":2,"cpus":2,"tasks":2,
         "tresPerNode":"gres/gpu:1","tresPerJob":"gres/gpu:3","tresPerTask":"gres/gpu=1","eligibleTime":1800000000,
         "dependency":"afterok:1(unfulfilled)","held":false,"nodeList":"","arrayTasks":"0-7%3","user":"alice","features":"f1&f2"},
        {"ids":[14],"states":["RUNNING"],"reason":"None","partition":"batch","nodes":1,"cpus":2,"tasks":1,
         "tresPerNode":"","tresPerJob":"","tresPerTask":"","eligibleTime":0,"dependency":"","held":false,
         "nodeList":"demo-cpu-0","arrayTasks":"","user":"bob","features":""}]}""";

  @Test
  void eachIdIsAJobWithItsFieldsDerivedAsFromSlurmrestd() throws Exception {
    var snapshot = QueueReaderClient.snapshot(new ObjectMapper().readTree(ANSWER), NOW, Duration.ofSeconds(30));
    assertThat(snapshot.readSeconds()).isEqualTo(0.251);
    assertThat(snapshot.jobs()).extracting(SlurmJob::id).containsExactly(11L, 12L, 13L, 14L);
    SlurmJob held = snapshot.jobs().get(0);
    assertThat(held.start().held()).isTrue();
    assertThat(held.isPending()).isTrue();
    SlurmJob big = snapshot.jobs().get(2);
    // 1 per node x 2 nodes + 3 per job + 1 per task x 2 tasks
    assertThat(big.gpus()).isEqualTo(7);
    assertThat(big.pendingTasks()).isEqualTo(3);
    assertThat(big.start().eligibleTime()).isEqualTo(Instant.ofEpochSecond(1_800_000_000L));
    assertThat(big.start().dependency()).isEqualTo("afterok:1(unfulfilled)");
    assertThat(big.partition()).isEqualTo("batch,other");
    assertThat(big.features()).isEqualTo("f1&f2");
    SlurmJob running = snapshot.jobs().get(3);
    assertThat(running.isRunning()).isTrue();
    assertThat(running.nodeList()).isEqualTo("demo-cpu-0");
    assertThat(running.states()).isEqualTo(Set.of("RUNNING"));
  }

  @Test
  void aStaleSnapshotOrNoneIsRefused() throws Exception {
    var json = new ObjectMapper();
    assertThatThrownBy(() -> QueueReaderClient.snapshot(json.readTree(ANSWER), NOW.plusSeconds(60), Duration.ofSeconds(30)))
        .isInstanceOf(SlurmUnavailableException.class).hasMessageContaining("last good squeue");
    assertThatThrownBy(() -> QueueReaderClient.snapshot(json.readTree("{\"readAt\":null,\"error\":\"squeue exited 1\"}"),
        NOW, Duration.ofSeconds(30)))
        .isInstanceOf(SlurmUnavailableException.class).hasMessageContaining("squeue exited 1");
  }

  @Test
  void theReaderServesTheQueueAndSlurmrestdTakesOverOnceWhenItFails() throws Exception {
    var body = new AtomicReference<>(ANSWER.replace("\"readSeconds\":0.251", "\"readSeconds\":3.5"));
    var status = new AtomicInteger(200);
    var server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    var readerCalls = new AtomicInteger();
    server.createContext("/v1/jobs", exchange -> {
      readerCalls.incrementAndGet();
      byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status.get(), bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
    try {
      var clock = new MutableClock(NOW);
      var reader = new QueueReaderClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
          Duration.ofSeconds(2), Duration.ofSeconds(30), clock);
      var restCalls = new AtomicInteger();
      SlurmClient rest = new StandInRest(restCalls);
      var client = new ReaderFirstClient(rest, reader, Duration.ofSeconds(30), clock);

      assertThat(client.activeJobs()).hasSize(4);
      assertThat(restCalls).hasValue(0);
      assertThat(client.queueNote()).isEqualTo("Slurm answers slowly: squeue took 3.5 s");
      assertThat(client.queueReadIsCheap()).isTrue();

      status.set(503);
      body.set("{\"error\":\"no squeue run has finished yet\"}");
      assertThat(client.activeJobs()).extracting(SlurmJob::id).containsExactly(99L);
      assertThat(client.queueNote()).startsWith("queue read from slurmrestd: the queue reader at").contains("503");
      assertThat(client.queueReadIsCheap()).as("a read now is a slurmrestd listing").isFalse();
      // No reader call again until the retry time has passed.
      int calls = readerCalls.get();
      client.activeJobs();
      assertThat(readerCalls).hasValue(calls);
      assertThat(restCalls).hasValue(2);

      // After it, the reader is asked again, and serves the queue once more.
      status.set(200);
      body.set(ANSWER.replace("2026-11-30T00:00:09Z", "2026-11-30T00:00:40Z"));
      clock.now = NOW.plusSeconds(31);
      assertThat(client.queueReadIsCheap()).as("the reader is asked again").isTrue();
      assertThat(client.activeJobs()).hasSize(4);
      assertThat(restCalls).hasValue(2);
      assertThat(client.queueNote()).isNull();
    } finally {
      server.stop(0);
    }
  }

  /** slurmrestd's answer: one running job 99. */
  private record StandInRest(AtomicInteger calls) implements SlurmClient {
    @Override public String apiVersion() { return "v0.0.42"; }
    @Override public Ping ping() { throw new UnsupportedOperationException(); }
    @Override public List<SlurmJob> jobs() {
      calls.incrementAndGet();
      return List.of(new SlurmJob(99, "x", "u", "batch", Set.of("RUNNING"), "None", NOW, 1, 1, 0, "", "demo-cpu-0"));
    }
    @Override public List<SlurmNode> nodes() { return List.of(); }
    @Override public void drainNode(String name, String reason) {}
    @Override public void resumeNode(String name, String reason) {}
    @Override public void deleteNode(String name) {}
    @Override public long submitJob(JobSubmission job) { return 0; }
  }

  private static final class MutableClock extends Clock {
    volatile Instant now;
    MutableClock(Instant now) { this.now = now; }
    @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(java.time.ZoneId zone) { return this; }
    @Override public Instant instant() { return now; }
  }
}
