package io.slurmkube.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus (built by {@code e2e/substrate/build-tools.sh}) run on the host, scraping the
 * operator's metrics Service every 2 s through its ClusterIP (the host reaches ClusterIPs through
 * kube-proxy), so the tests can ask it PromQL as a user's dashboard would.
 */
final class Prometheus implements AutoCloseable {
  static final String OPERATOR_NAMESPACE = "slurmkube-system";
  static final String OPERATOR_METRICS_SERVICE = "slurmkube-operator-metrics";
  static final int OPERATOR_METRICS_PORT = 8080;

  /** One sample of an instant vector: its labels (with __name__ when kept) and its value. */
  record Sample(Map<String, String> labels, double value) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final Path dir;
  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Prometheus(Process process, Path dir, URI base) {
    this.process = process;
    this.dir = dir;
    this.base = base;
  }

  /** Starts Prometheus scraping the installed operator, and returns once its target is up. */
  static Prometheus scrapingTheOperator(KubernetesClient client) throws IOException, InterruptedException {
    var service = client.services().inNamespace(OPERATOR_NAMESPACE).withName(OPERATOR_METRICS_SERVICE).require();
    String target = service.getSpec().getClusterIP() + ":" + OPERATOR_METRICS_PORT;
    Path binary = LocalCluster.cachedTool("PROMETHEUS_VERSION", "prometheus");
    Path dir = Files.createTempDirectory("slurmkube-prometheus-");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 2s
          scrape_timeout: 2s
          evaluation_interval: 2s
        scrape_configs:
          - job_name: slurmkube-operator
            static_configs:
              - targets: ['%s']
        """.formatted(target));
    int port = freePort();
    Path log = Path.of("target", "prometheus.log").toAbsolutePath();
    Files.createDirectories(log.getParent());
    Process process = new ProcessBuilder(List.of(binary.toString(),
        "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    var prometheus = new Prometheus(process, dir, URI.create("http://127.0.0.1:" + port));
    try {
      prometheus.awaitTargetUp(target, Duration.ofSeconds(90));
    } catch (IOException | InterruptedException | RuntimeException e) {
      prometheus.close();
      throw e;
    }
    return prometheus;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private void awaitTargetUp(String target, Duration timeout) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    String last = "Prometheus not answering";
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Prometheus exited (" + process.exitValue() + "); see target/prometheus.log");
      }
      try {
        for (JsonNode t : api("/api/v1/targets?state=active").path("activeTargets")) {
          if (target.equals(t.path("labels").path("instance").asText())) {
            last = "target " + target + " " + t.path("health").asText() + " " + t.path("lastError").asText();
            if ("up".equals(t.path("health").asText())) {
              return;
            }
          }
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("Prometheus did not scrape the operator within " + timeout + ": " + last);
  }

  /** The instant vector a PromQL expression evaluates to now. */
  List<Sample> query(String promql) throws IOException, InterruptedException {
    JsonNode data = api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    if (!"vector".equals(data.path("resultType").asText())) {
      throw new IllegalArgumentException(promql + " gives a " + data.path("resultType").asText() + ", not a vector");
    }
    List<Sample> samples = new ArrayList<>();
    for (JsonNode r : data.path("result")) {
      Map<String, String> labels = new HashMap<>();
      r.path("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      // The value is [time, "number"]: a string, as NaN and ±Inf have no JSON number.
      samples.add(new Sample(labels, Double.parseDouble(r.path("value").get(1).asText())));
    }
    return samples;
  }

  /** The value of a PromQL expression that gives at most one sample; null when it gives none. */
  Double value(String promql) throws IOException, InterruptedException {
    List<Sample> samples = query(promql);
    if (samples.size() > 1) {
      throw new IllegalStateException(promql + " gives " + samples.size() + " samples: " + samples);
    }
    return samples.isEmpty() ? null : samples.get(0).value();
  }

  private JsonNode api(String pathAndQuery) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(response.body());
    if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new IOException(pathAndQuery + ": HTTP " + response.statusCode() + " " + body.path("error").asText());
    }
    return body.path("data");
  }

  /** Kills Prometheus and deletes its configuration and TSDB. */
  @Override
  public void close() throws IOException, InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
