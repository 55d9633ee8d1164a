package io.slurmkube.queuereader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueueReaderTest {
  static final String LINE = SqueueTest.line("1", "N/A", "PENDING", "JobHeldUser", "batch", "1", "1", "1", "N/A", "N/A",
      "N/A", "N/A", "(null)", "0", "", "root", "(null)") + "\n";

  static final Path NO_KEY_SET = Path.of("/nonexistent/applied-slurm.jwks");

  @Test
  void tellsTheDigestOfTheKeySetSlurmctldTookInAndNeverItsKeys(@TempDir Path dir) throws Exception {
    Path applied = dir.resolve("applied-slurm.jwks");
    var poller = new Poller(() -> LINE, Duration.ofSeconds(1), Clock.systemUTC(), m -> {});
    try (var reader = new QueueReader(poller, 0, Duration.ofSeconds(30), Clock.systemUTC(), applied)) {
      reader.start();
      var http = HttpClient.newHttpClient();
      var uri = URI.create("http://127.0.0.1:" + reader.port() + "/v1/auth-key-set");
      var none = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, none.statusCode());
      assertEquals("{\"sha256\":null}", none.body());
      String set = "{\"keys\":[{\"kty\":\"oct\",\"alg\":\"HS256\",\"kid\":\"A\",\"k\":\"c2VjcmV0LWtleS1ieXRlcy0xMjM0\"}]}\n";
      Files.writeString(applied, set);
      var some = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, some.statusCode());
      String expected = java.util.HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-256").digest(set.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      assertEquals("{\"sha256\":\"" + expected + "\"}", some.body());
      assertTrue(!some.body().contains("c2VjcmV0"), "no key bytes");
    }
  }

  @Test
  void pollsNeverOverlapAndASlowPollDelaysTheNext() throws Exception {
    var running = new AtomicInteger();
    var most = new AtomicInteger();
    var runs = new AtomicInteger();
    Poller.Source slow = () -> {
      most.accumulateAndGet(running.incrementAndGet(), Math::max);
      Thread.sleep(150);
      running.decrementAndGet();
      runs.incrementAndGet();
      return LINE;
    };
    var poller = new Poller(slow, Duration.ofMillis(10), Clock.systemUTC(), m -> {});
    Thread thread = new Thread(poller);
    thread.start();
    Thread.sleep(700);
    thread.interrupt();
    thread.join(2000);
    assertEquals(1, most.get(), "at most one squeue at a time");
    // A 150 ms squeue is followed by 150 ms of rest (the interval, 10 ms, is shorter): one per 300 ms.
    assertTrue(runs.get() >= 2 && runs.get() <= 3, "about one poll per 300 ms: " + runs.get());
    assertTrue(poller.snapshot().readSeconds() >= 0.15, "the duration of the squeue run is reported");
  }

  @Test
  void aFailedPollKeepsTheLastJobsAndSaysWhy() throws Exception {
    var fail = new boolean[] {false};
    Poller.Source source = () -> {
      if (fail[0]) {
        throw new IOException("squeue exited 1: slurm_load_jobs error: Unable to contact slurm controller");
      }
      return LINE;
    };
    var poller = new Poller(source, Duration.ofSeconds(1), Clock.systemUTC(), m -> {});
    poller.pollOnce();
    Instant good = poller.snapshot().readAt();
    fail[0] = true;
    poller.pollOnce();
    assertEquals(1, poller.snapshot().jobs().size());
    assertEquals(good, poller.snapshot().readAt(), "readAt stays the time of the jobs");
    assertTrue(poller.snapshot().error().contains("Unable to contact"));
  }

  @Test
  void servesTheSnapshotAndHealth() throws Exception {
    var poller = new Poller(() -> LINE, Duration.ofMillis(50), Clock.systemUTC(), m -> {});
    try (var reader = new QueueReader(poller, 0, Duration.ofSeconds(30), Clock.systemUTC(), NO_KEY_SET)) {
      var http = HttpClient.newHttpClient();
      URI base = URI.create("http://127.0.0.1:" + reader.port());
      // Before any poll: 503 on both.
      reader.start();
      long deadline = System.nanoTime() + 5_000_000_000L;
      HttpResponse<String> jobs;
      do {
        jobs = http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs")).build(), HttpResponse.BodyHandlers.ofString());
      } while (jobs.statusCode() != 200 && System.nanoTime() < deadline);
      assertEquals(200, jobs.statusCode());
      assertTrue(jobs.body().contains("\"ids\":[1]") && jobs.body().contains("\"held\":true"), jobs.body());
      var health = http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode(), health.body());
    }
  }

  @Test
  void healthFailsWhenSqueueKeepsFailing() throws Exception {
    var poller = new Poller(() -> { throw new IOException("squeue exited 1"); }, Duration.ofMillis(50),
        Clock.systemUTC(), m -> {});
    poller.pollOnce();
    try (var reader = new QueueReader(poller, 0, Duration.ofSeconds(30), Clock.systemUTC(), NO_KEY_SET)) {
      reader.start();
      var http = HttpClient.newHttpClient();
      var health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + reader.port() + "/healthz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(503, health.statusCode());
      assertTrue(health.body().contains("squeue exited 1"), health.body());
    }
  }

  @Test
  void pausesAtLeastTheIntervalAndAsLongAsASlowSqueueTook() {
    var poller = new Poller(() -> LINE, Duration.ofMillis(200), Clock.systemUTC(), m -> {});
    assertEquals(Duration.ofMillis(200), poller.pauseAfter(Duration.ofMillis(30)), "a short queue: five looks a second");
    assertEquals(Duration.ofSeconds(3), poller.pauseAfter(Duration.ofSeconds(3)),
        "a squeue of 3 s is followed by 3 s of rest for slurmctld");
  }
}
