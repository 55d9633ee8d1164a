package io.slurmkube.queuereader;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The queue reader: polls squeue in the background and serves the latest snapshot.
 *
 * <pre>
 *   GET /v1/jobs   the snapshot as JSON (see {@link Snapshot}); 503 before the first squeue ended
 *   GET /healthz   200 while a squeue succeeded within the stale limit, 503 otherwise
 *   GET /v1/auth-key-set   {"sha256": hex} of the auth key set slurmctld last took in (the file
 *                  its entrypoint copies after each reconfigure), {"sha256": null} when none;
 *                  what a key rotation waits for. The file's keys are never sent.
 * </pre>
 *
 * Settings (environment): QUEUE_READER_PORT (6821), QUEUE_READER_INTERVAL_MS (least pause after
 * each squeue, 200; a run that took longer is followed by a pause as long), QUEUE_READER_TIMEOUT_S
 * (squeue is stopped after this, 60), QUEUE_READER_STALE_S (/healthz fails when no squeue
 * succeeded for this long, 120), QUEUE_READER_SQUEUE (squeue),
 * QUEUE_READER_KEY_SET (/run/slurmctld/applied-slurm.jwks).
 */
public final class QueueReader implements AutoCloseable {
  private final Poller poller;
  private final HttpServer server;
  private final Thread pollThread;
  private final Duration stale;
  private final Clock clock;
  private final Path keySet;

  public QueueReader(Poller poller, int port, Duration stale, Clock clock, Path keySet) throws IOException {
    this.poller = poller;
    this.keySet = keySet;
    this.stale = stale;
    this.clock = clock;
    server = HttpServer.create(new InetSocketAddress(port), 16);
    // Two threads: answers are copies of prepared bytes, and a slow client must not hold up /healthz.
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "http");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/v1/jobs", this::jobs);
    server.createContext("/healthz", this::health);
    server.createContext("/v1/auth-key-set", this::authKeySet);
    pollThread = new Thread(poller, "squeue-poller");
    pollThread.setDaemon(true);
  }

  public void start() {
    pollThread.start();
    server.start();
  }

  public int port() { return server.getAddress().getPort(); }

  private void jobs(HttpExchange exchange) throws IOException {
    if (!"GET".equals(exchange.getRequestMethod())) {
      send(exchange, 405, "text/plain", "GET only\n".getBytes(StandardCharsets.UTF_8));
      return;
    }
    byte[] json = poller.json();
    if (json == null) {
      send(exchange, 503, "application/json",
          "{\"error\":\"no squeue run has finished yet\"}".getBytes(StandardCharsets.UTF_8));
      return;
    }
    send(exchange, 200, "application/json", json);
  }

  private void authKeySet(HttpExchange exchange) throws IOException {
    String body;
    try {
      byte[] file = Files.readAllBytes(keySet);
      body = "{\"sha256\":\"" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file)) + "\"}";
    } catch (NoSuchFileException e) {
      body = "{\"sha256\":null}";
    } catch (IOException | NoSuchAlgorithmException e) {
      send(exchange, 503, "application/json", ("{\"error\":" + Json.string("cannot read " + keySet + ": " + e)
          + "}").getBytes(StandardCharsets.UTF_8));
      return;
    }
    send(exchange, 200, "application/json", body.getBytes(StandardCharsets.UTF_8));
  }

  private void health(HttpExchange exchange) throws IOException {
    Instant last = poller.lastSuccess();
    boolean fresh = last != null && Duration.between(last, clock.instant()).compareTo(stale) < 0;
    Snapshot snapshot = poller.snapshot();
    String text = fresh ? "ok: last squeue at " + last + "\n"
        : "no squeue succeeded in the last " + stale.toSeconds() + " s"
            + (snapshot != null && snapshot.error() != null ? ": " + snapshot.error() : "") + "\n";
    send(exchange, fresh ? 200 : 503, "text/plain", text.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pollThread.interrupt();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    int port = Integer.parseInt(env.getOrDefault("QUEUE_READER_PORT", "6821"));
    var interval = Duration.ofMillis(Long.parseLong(env.getOrDefault("QUEUE_READER_INTERVAL_MS", "200")));
    var timeout = Duration.ofSeconds(Long.parseLong(env.getOrDefault("QUEUE_READER_TIMEOUT_S", "60")));
    var stale = Duration.ofSeconds(Long.parseLong(env.getOrDefault("QUEUE_READER_STALE_S", "120")));
    String squeue = env.getOrDefault("QUEUE_READER_SQUEUE", "squeue");
    Clock clock = Clock.systemUTC();
    var poller = new Poller(Poller.squeue(squeue, timeout), interval, clock,
        message -> System.err.println(Instant.now() + " queue-reader: " + message));
    var keySet = Path.of(env.getOrDefault("QUEUE_READER_KEY_SET", "/run/slurmctld/applied-slurm.jwks"));
    var reader = new QueueReader(poller, port, stale, clock, keySet);
    reader.start();
    System.err.println(Instant.now() + " queue-reader: serving on :" + reader.port() + ", squeue every "
        + interval.toMillis() + " ms after the last one ended");
    Thread.currentThread().join();
  }
}
