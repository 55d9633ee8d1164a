package io.slurmkube.e2e;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Simulated nodes on the local cluster: a KWOK process (built by {@code e2e/substrate/build-tools.sh})
 * that keeps fake Node objects Ready and makes the pods bound to them look Running. It manages only
 * the nodes carrying its own label, and every fake node carries KWOK's NoSchedule taint, so no pod of
 * another test lands on one unless it tolerates that taint (DaemonSets that tolerate everything do).
 */
final class Kwok implements AutoCloseable {
  /** The label KWOK manages nodes by; also how the test finds its nodes to delete them. */
  static final String LABEL = "e2e.slurmkube.io/kwok";
  static final String TAINT_KEY = "kwok.x-k8s.io/node";

  private final KubernetesClient client;
  private final String group;
  private final Process process;

  private Kwok(KubernetesClient client, String group, Process process) {
    this.client = client;
    this.group = group;
    this.process = process;
  }

  /** Starts KWOK for the nodes labelled {@code e2e.slurmkube.io/kwok=<group>}; logs go to target/. */
  static Kwok start(KubernetesClient client, String group) throws IOException, InterruptedException {
    Path binary = binary();
    Path kubeconfig = Path.of(System.getProperty("e2e.kubeconfig", "/var/lib/slurmkube-cluster/kubeconfig"));
    Path log = Path.of("target", "kwok-" + group + ".log").toAbsolutePath();
    Files.createDirectories(log.getParent());
    Process process = new ProcessBuilder(List.of(binary.toString(),
        "--kubeconfig", kubeconfig.toString(),
        "--manage-all-nodes=false",
        "--manage-nodes-with-label-selector=" + LABEL + "=" + group,
        "--cidr=10.250.0.0/16",
        "--node-ip=10.250.255.254"))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    var kwok = new Kwok(client, group, process);
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
    return kwok;
  }

  /** The pinned KWOK, built from the Go module proxy on first use (cached by version). */
  static Path binary() throws IOException, InterruptedException {
    return LocalCluster.cachedTool("KWOK_VERSION", "kwok");
  }

  /** Creates fake nodes named {@code <prefix>-NN} with these extra labels and 4 CPUs, 8 GiB each. */
  List<String> createNodes(String prefix, int count, Map<String, String> labels) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = String.format("%s-%02d", prefix, i);
      Node node = new NodeBuilder()
          .withNewMetadata().withName(name)
            .addToLabels(LABEL, group).addToLabels("type", "kwok").addToLabels("kubernetes.io/hostname", name)
            .addToLabels(labels)
            .addToAnnotations("kwok.x-k8s.io/node", "fake")
          .endMetadata()
          .withNewSpec().addNewTaint().withKey(TAINT_KEY).withValue("fake").withEffect("NoSchedule").endTaint().endSpec()
          .withNewStatus()
            .addToAllocatable("cpu", new Quantity("4")).addToAllocatable("memory", new Quantity("8Gi"))
            .addToAllocatable("pods", new Quantity("110"))
            .addToCapacity("cpu", new Quantity("4")).addToCapacity("memory", new Quantity("8Gi"))
            .addToCapacity("pods", new Quantity("110"))
          .endStatus()
          .build();
      client.nodes().resource(node).create();
      names.add(name);
    }
    return names;
  }

  /** Whether a node reports Ready (KWOK keeps its fake nodes so once they are up). */
  static boolean ready(Node n) {
    return n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  List<Node> nodes() {
    return client.nodes().withLabel(LABEL, group).list().getItems();
  }

  /**
   * Deletes the fake nodes, and any pod still bound to one (with no kubelet, nothing else would
   * finish them), then stops KWOK. Run it after the test's namespaces are gone.
   */
  @Override
  public void close() throws InterruptedException {
    List<String> names = nodes().stream().map(n -> n.getMetadata().getName()).toList();
    client.nodes().withLabel(LABEL, group).delete();
    Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
    while (Instant.now().isBefore(deadline)) {
      var left = client.pods().inAnyNamespace().list().getItems().stream()
          .filter(p -> p.getSpec().getNodeName() != null && names.contains(p.getSpec().getNodeName())).toList();
      if (left.isEmpty() && nodes().isEmpty()) {
        break;
      }
      left.forEach(p -> client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName())
          .withGracePeriod(0).delete());
      Thread.sleep(1000);
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
