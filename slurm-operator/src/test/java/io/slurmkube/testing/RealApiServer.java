package io.slurmkube.testing;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd + kube-apiserver for a test class, started offline by fabric8 kube-api-test from the
 * binaries that {@code e2e/substrate/build-tools.sh} built (nothing is downloaded). Register it
 * with {@code @RegisterExtension static RealApiServer api = new RealApiServer();}.
 */
public final class RealApiServer implements BeforeAllCallback, AfterAllCallback {

  private KubeAPIServer server;
  private KubernetesClient client;

  /** The version of the binaries, as the build passes it in (see the parent pom). */
  public static String kubernetesVersion() {
    return System.getProperty("kubernetes.version", "1.34.4");
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Path testDir = Path.of(System.getProperty("slurmkube.cache", "/var/cache/slurmkube"), "kube-api-test");
    Path binaries = testDir.resolve("k8s").resolve(kubernetesVersion() + "-linux-amd64");
    if (!Files.isExecutable(binaries.resolve("kube-apiserver"))) {
      throw new IllegalStateException(
          "no kube-apiserver in " + binaries + ": run e2e/substrate/build-tools.sh first");
    }
    server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withTestDir(testDir.toString())
        .withApiServerVersion(kubernetesVersion())
        .withOfflineMode(true)
        .withUpdateKubeConfig(false)
        .withStartupTimeout(120_000)
        .build());
    server.start();
    client = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(server.getKubeConfigYaml()))
        .build();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.stop();
    }
  }

  public KubernetesClient client() {
    return client;
  }

  /** Runs the kubectl of the same binaries against this server, as a person would; its output, or a failure. */
  public String kubectl(String... args) throws Exception {
    Path kubeconfig = Files.createTempFile("kube-api-test", ".kubeconfig");
    try {
      Files.writeString(kubeconfig, kubeConfigYaml());
      var command = new java.util.ArrayList<String>();
      command.add(Path.of(System.getProperty("slurmkube.cache", "/var/cache/slurmkube"), "kube-api-test", "k8s",
          kubernetesVersion() + "-linux-amd64", "kubectl").toString());
      command.add("--kubeconfig=" + kubeconfig);
      command.addAll(java.util.List.of(args));
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", args) + " failed: " + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(kubeconfig);
    }
  }

  /** The kubeconfig of the running server, for code under test that builds its own client. */
  public String kubeConfigYaml() {
    return server.getKubeConfigYaml();
  }
}
