package io.slurmkube.e2e;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The local cluster started by {@code e2e/substrate/cluster.sh up}, and its image tooling. */
public final class LocalCluster {

  private LocalCluster() {}

  /** The repository root: the e2e module runs with its own folder as working directory. */
  public static Path projectRoot() {
    Path here = Path.of("").toAbsolutePath();
    return Files.exists(here.resolve("e2e/substrate")) ? here : here.getParent();
  }

  public static KubernetesClient client() throws IOException {
    Path kubeconfig = Path.of(System.getProperty("e2e.kubeconfig", "/var/lib/slurmkube-cluster/kubeconfig"));
    if (!Files.exists(kubeconfig)) {
      throw new IllegalStateException("no kubeconfig at " + kubeconfig + ": start the cluster with e2e/substrate/cluster.sh up");
    }
    return new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
        .build();
  }

  /**
   * Builds the Dockerfile in {@code dir} (relative to the project root) as {@code ref} and loads
   * it into the cluster's containerd; cached by the content of the directory.
   */
  public static void buildAndLoadImage(String dir, String ref) throws IOException, InterruptedException {
    String images = projectRoot().resolve("e2e/substrate/images.sh").toString();
    String archive = run(List.of(images, "build", projectRoot().resolve(dir).toString(), ref)).strip();
    run(List.of(images, "load", archive));
  }

  /** As {@link #buildAndLoadImage(String, String)}, a Slurm image of another release (versions.env). */
  public static void buildAndLoadImage(String dir, String ref, String slurmRelease) throws IOException, InterruptedException {
    String images = projectRoot().resolve("e2e/substrate/images.sh").toString();
    String archive = run(List.of("env", "SLURM_RELEASE=" + slurmRelease, images, "build",
        projectRoot().resolve(dir).toString(), ref)).strip();
    run(List.of(images, "load", archive));
  }

  /** Makes every Kubernetes node schedulable again, as `kubectl uncordon` does. */
  public static void uncordonAll(KubernetesClient client) {
    client.nodes().list().getItems().stream().filter(n -> Boolean.TRUE.equals(n.getSpec().getUnschedulable()))
        .forEach(n -> client.nodes().withName(n.getMetadata().getName()).edit(x -> {
          x.getSpec().setUnschedulable(null);
          return x;
        }));
  }

  /**
   * A pinned tool built by {@code e2e/substrate/build-tools.sh} into {@code $SLURMKUBE_CACHE/bin/<name>-<version>/},
   * its version read from {@code versions.env} as {@code versionVariable}; built on first use.
   */
  static Path cachedTool(String versionVariable, String name) throws IOException, InterruptedException {
    Path root = projectRoot();
    String prefix = versionVariable + "=";
    String version = Files.readAllLines(root.resolve("e2e/substrate/versions.env")).stream()
        .filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()).strip())
        .findFirst().orElseThrow(() -> new IllegalStateException("no " + versionVariable + " in e2e/substrate/versions.env"));
    Path binary = Path.of(System.getenv().getOrDefault("SLURMKUBE_CACHE", "/var/cache/slurmkube"), "bin", name + "-" + version, name);
    if (!Files.isExecutable(binary)) {
      run(List.of(root.resolve("e2e/substrate/build-tools.sh").toString()));
    }
    return binary;
  }

  static String run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(new ArrayList<>(command))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(15, TimeUnit.MINUTES) || process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + ")");
    }
    return out;
  }
}
