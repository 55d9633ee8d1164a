package io.slurmkube.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real kube-controller-manager next to the test API server, running only the controllers a
 * test needs (the garbage collector deletes what an owner owned). Same binaries as the cluster.
 */
public final class ControllerManager implements AutoCloseable {
  private final Process process;
  private final Path workDir;

  private ControllerManager(Process process, Path workDir) {
    this.process = process;
    this.workDir = workDir;
  }

  public static ControllerManager start(String kubeConfigYaml, String controllers) throws IOException {
    Path binary = Path.of(System.getProperty("slurmkube.cache", "/var/cache/slurmkube"), "bin",
        "kubernetes-v" + RealApiServer.kubernetesVersion(), "kube-controller-manager");
    Path workDir = Files.createTempDirectory("kcm");
    Path kubeconfig = workDir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
    Process process = new ProcessBuilder(List.of(binary.toString(),
        "--kubeconfig", kubeconfig.toString(),
        "--controllers", controllers,
        "--leader-elect=false",
        "--secure-port=0",
        "--use-service-account-credentials=false"))
        .redirectErrorStream(true)
        .redirectOutput(workDir.resolve("log").toFile())
        .start();
    return new ControllerManager(process, workDir);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  public Path log() {
    return workDir.resolve("log");
  }
}
