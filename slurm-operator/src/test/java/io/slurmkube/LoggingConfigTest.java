package io.slurmkube;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The operator's logging configuration (simplelogger.properties, as shipped) at the chart's most
 * verbose level, trace: the Kubernetes client's requests and answers must not put the bearer
 * token or a Secret's data into the log. Runs in a fresh JVM because slf4j-simple reads its
 * levels once per process.
 */
class LoggingConfigTest {
  static final String TOKEN = "probe-bearer-token-7d1f0c";
  static final String DB_PASSWORD = "probe-db-password-51e9";
  static final String AUTH_KEY = "probe-slurm-key-bytes-a4c2";

  @Test
  void atTraceNeitherTheTokenNorASecretsDataIsLogged() throws Exception {
    String log = runAtTrace();
    // Trace really was on, and the client really fetched the Secret (else the test proves nothing).
    assertThat(log).contains("probe trace line").contains("probe read the secret");
    assertThat(log).doesNotContain(TOKEN, DB_PASSWORD, AUTH_KEY, base64(DB_PASSWORD), base64(AUTH_KEY))
        .doesNotContainIgnoringCase("authorization:");
  }

  @Test
  void theProbeSeesTheLeakWhenTheHttpLoggerIsLetThrough() throws Exception {
    // A system property beats the file: with the pin lifted, fabric8 logs the header and the body.
    String log = runAtTrace("-Dorg.slf4j.simpleLogger.log.io.fabric8.kubernetes.client.http=trace");
    assertThat(log).contains("Bearer " + TOKEN).contains(base64(DB_PASSWORD));
  }

  static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String runAtTrace(String... extra) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        // What the chart's `logLevel: trace` sets.
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=trace"));
    command.addAll(List.of(extra));
    command.add(Probe.class.getName());
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(out).isZero();
    return out;
  }

  /**
   * Reads a Secret with a bearer token from a stand-in API server, logging as the operator does.
   * fabric8 logs an answer's body on its own thread once the body is consumed, which may be after
   * {@code get()} returns; the probe waits for the logger's end marker (or gives it a few seconds
   * when the logger is pinned and prints nothing) so neither test reads a log cut short.
   */
  public static final class Probe {
    static final String HTTP_END = "-HTTP END-";
    static final long WAIT_FOR_HTTP_LOG_MS = 3000;

    public static void main(String[] args) throws Exception {
      ByteArrayOutputStream copy = new ByteArrayOutputStream();
      PrintStream err = System.err;
      System.setErr(new PrintStream(new TeeStream(err, copy), true, StandardCharsets.UTF_8));
      Secret secret = new SecretBuilder().withNewMetadata().withName("keys").withNamespace("ns").endMetadata()
          .withData(Map.of("slurm.key", base64(AUTH_KEY), "db-password", base64(DB_PASSWORD))).build();
      byte[] answer = Serialization.asJson(secret).getBytes(StandardCharsets.UTF_8);
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", exchange -> {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, answer.length);
        exchange.getResponseBody().write(answer);
        exchange.close();
      });
      server.start();
      LoggerFactory.getLogger(Probe.class).trace("probe trace line");
      Config config = new ConfigBuilder(Config.empty())
          .withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort())
          .withOauthToken(TOKEN).withRequestRetryBackoffLimit(0).build();
      try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
        Secret read = client.secrets().inNamespace("ns").withName("keys").get();
        if (read.getData().containsKey("db-password")) {
          LoggerFactory.getLogger(Probe.class).info("probe read the secret");
        }
        long deadline = System.currentTimeMillis() + WAIT_FOR_HTTP_LOG_MS;
        while (System.currentTimeMillis() < deadline && !copied(copy).contains(HTTP_END)) {
          Thread.sleep(20);
        }
      } finally {
        server.stop(0);
      }
    }
  }

  private static String copied(ByteArrayOutputStream copy) {
    synchronized (copy) {
      return copy.toString(StandardCharsets.UTF_8);
    }
  }

  /** Writes to stderr and keeps a copy the probe can look at. */
  private static final class TeeStream extends OutputStream {
    private final OutputStream out;
    private final ByteArrayOutputStream copy;

    TeeStream(OutputStream out, ByteArrayOutputStream copy) {
      this.out = out;
      this.copy = copy;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      synchronized (copy) {
        copy.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      synchronized (copy) {
        copy.write(b, off, len);
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }
}
