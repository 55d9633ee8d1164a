package io.slurmkube.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The retry and error policy, against a local HTTP server answering what slurmrestd was seen to
 * answer (401 without a token, 511 for a refused one, 500 with Slurm's errors for a bad request).
 * Real slurmrestd is in SlurmClusterIT; failures it cannot be made to produce on demand are here.
 */
class RestTransportTest {
  private HttpServer server;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private RestTransport rest;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    answer("/unavailable", 503, "{\"errors\":[]}");
    answer("/unauthenticated", 401, "Authentication failure");
    answer("/refused", 511, "{\"errors\":[{\"error_number\":1007,\"error\":\"Protocol authentication error\"}]}");
    answer("/bad-node", 500, "{\"errors\":[{\"error_number\":2018,\"error\":\"Invalid node name specified\","
        + "\"description\":\"Failure to update node x\"}]}");
    answer("/controller-down", 500, "{\"errors\":[{\"error_number\":1001,\"error\":\"Unable to contact slurm controller\"}]}");
    answer("/ok", 200, "{\"errors\":[],\"value\":42}");
    server.createContext("/slow", exchange -> {
      calls.computeIfAbsent("/slow", k -> new AtomicInteger()).incrementAndGet();
      sleep(1500);
      reply(exchange, 200, "{}");
    });
    server.createContext("/flaky", exchange -> {
      int call = calls.computeIfAbsent("/flaky", k -> new AtomicInteger()).incrementAndGet();
      reply(exchange, call < 3 ? 502 : 200, call < 3 ? "bad gateway" : "{\"value\":3}");
    });
    // One thread per exchange, so a slow answer does not hold back the retries that follow it.
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    var signer = new JwtSigner("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII), "slurm");
    rest = new RestTransport(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), signer,
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), Duration.ofMillis(500),
        new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40)));
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void answer(String path, int status, String body) {
    server.createContext(path, exchange -> {
      calls.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      reply(exchange, status, body);
    });
  }

  private static void reply(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private int calls(String path) {
    return calls.getOrDefault(path, new AtomicInteger()).get();
  }

  @Test
  void readsAreRetriedWithBackoffUntilTheyWork() {
    assertThat(rest.get("/flaky").path("value").asInt()).isEqualTo(3);
    assertThat(calls("/flaky")).isEqualTo(3);
  }

  @Test
  void serverErrorsBecomeTypedAfterTheLastTry() {
    assertThatThrownBy(() -> rest.get("/unavailable"))
        .isInstanceOfSatisfying(SlurmServerException.class, e -> assertThat(e.status()).isEqualTo(503));
    assertThat(calls("/unavailable")).isEqualTo(3);
    assertThatThrownBy(() -> rest.get("/controller-down")).isInstanceOf(SlurmServerException.class)
        .hasMessageContaining("Unable to contact slurm controller");
  }

  @Test
  void writesAreNeverRetried() {
    assertThatThrownBy(() -> rest.post("/unavailable", Map.of("state", "DRAIN"))).isInstanceOf(SlurmServerException.class);
    assertThat(calls("/unavailable")).isEqualTo(1);
    assertThatThrownBy(() -> rest.delete("/slow")).isInstanceOf(SlurmTimeoutException.class);
    assertThat(calls("/slow")).isEqualTo(1);
  }

  @Test
  void timeOutsAreTypedAndRetriedForReads() {
    assertThatThrownBy(() -> rest.get("/slow")).isInstanceOf(SlurmTimeoutException.class).hasMessageContaining("500 ms");
    assertThat(calls("/slow")).isEqualTo(3);
  }

  @Test
  void refusedTokensAreAuthErrorsAndNotRetried() {
    assertThatThrownBy(() -> rest.get("/unauthenticated"))
        .isInstanceOfSatisfying(SlurmAuthException.class, e -> assertThat(e.status()).isEqualTo(401));
    assertThatThrownBy(() -> rest.get("/refused"))
        .isInstanceOfSatisfying(SlurmAuthException.class, e -> assertThat(e.status()).isEqualTo(511));
    assertThat(calls("/unauthenticated") + calls("/refused")).isEqualTo(2);
  }

  @Test
  void slurmsRefusalsAreRequestErrorsWithItsMessages() {
    assertThatThrownBy(() -> rest.post("/bad-node", Map.of()))
        .isInstanceOfSatisfying(SlurmRequestException.class, e -> {
          assertThat(e.status()).isEqualTo(500);
          assertThat(e.errors()).containsExactly("Failure to update node x: Invalid node name specified");
        });
    assertThat(rest.get("/ok").path("value").asInt()).isEqualTo(42);
  }

  @Test
  void anUnreachableServerIsUnavailable() {
    server.stop(0);
    assertThatThrownBy(() -> rest.get("/ok")).isInstanceOf(SlurmUnavailableException.class);
  }
}
