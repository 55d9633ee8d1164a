package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** What a user checks first on the local cluster: a Ready node, DRA served, pods, Services, DNS. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SubstrateIT {

  static final String NS = "substrate-it";
  static final String IMAGE = "slurmkube.local/e2e-echo:1";
  static final Map<String, String> LABELS = Map.of("app", "echo");
  static KubernetesClient client;

  @BeforeAll
  static void setUp() throws Exception {
    client = LocalCluster.client();
    LocalCluster.buildAndLoadImage("e2e/images/echo", IMAGE);
    client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
        .withNewMetadata().withName(NS).endMetadata().build()).serverSideApply();
  }

  @AfterAll
  static void tearDown() {
    if (client != null) {
      client.namespaces().withName(NS).delete();
      client.close();
    }
  }

  @Test
  @Order(1)
  void oneReadyNodeAtThePinnedVersion() {
    List<Node> nodes = client.nodes().list().getItems();
    assertThat(nodes).hasSize(1);
    Node node = nodes.get(0);
    assertThat(node.getStatus().getNodeInfo().getKubeletVersion()).startsWith("v1.34.");
    assertThat(node.getStatus().getConditions())
        .filteredOn(c -> c.getType().equals("Ready"))
        .extracting(NodeCondition::getStatus)
        .containsExactly("True");
  }

  @Test
  @Order(1)
  void draResourcesAreServed() {
    var names = client.getApiResources("resource.k8s.io/v1").getResources().stream()
        .map(r -> r.getName())
        .toList();
    assertThat(names).contains("deviceclasses", "resourceclaims", "resourceclaimtemplates", "resourceslices");
  }

  @Test
  @Order(2)
  void podReachesAnotherPodThroughTheServiceName() throws Exception {
    Deployment deployment = new DeploymentBuilder()
        .withNewMetadata().withName("echo").withNamespace(NS).endMetadata()
        .withNewSpec()
          .withReplicas(2)
          .withNewSelector().withMatchLabels(LABELS).endSelector()
          .withNewTemplate()
            .withNewMetadata().withLabels(LABELS).endMetadata()
            .withNewSpec()
              .addNewContainer()
                .withName("echo").withImage(IMAGE).withImagePullPolicy("Never")
                .addNewPort().withContainerPort(8080).endPort()
                .withNewReadinessProbe().withNewHttpGet().withPath("/").withNewPort(8080).endHttpGet()
                  .withPeriodSeconds(1).endReadinessProbe()
              .endContainer()
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
    client.resource(deployment).serverSideApply();
    client.resource(new ServiceBuilder()
        .withNewMetadata().withName("echo").withNamespace(NS).endMetadata()
        .withNewSpec().withSelector(LABELS).addNewPort().withPort(80).withNewTargetPort(8080).endPort().endSpec()
        .build()).serverSideApply();
    waitForReadyReplicas(2);

    List<Pod> pods = client.pods().inNamespace(NS).withLabels(LABELS).list().getItems();
    assertThat(pods).hasSize(2);
    String from = pods.get(0).getMetadata().getName();
    String other = pods.get(1).getMetadata().getName();

    // The Service balances over both pods; ask until the other one answers.
    String answer = "";
    for (int i = 0; i < 40 && !answer.equals(other); i++) {
      answer = exec(from, "busybox", "wget", "-q", "-T", "3", "-O", "-", "http://echo." + NS + ".svc.cluster.local/").strip();
    }
    assertThat(answer).isEqualTo(other);
  }

  @Test
  @Order(3)
  void aDeletedPodIsReplaced() {
    Pod victim = client.pods().inNamespace(NS).withLabels(LABELS).list().getItems().get(0);
    client.resource(victim).withGracePeriod(0).delete();
    client.pods().inNamespace(NS).withName(victim.getMetadata().getName())
        .waitUntilCondition(p -> p == null, 60, TimeUnit.SECONDS);
    waitForReadyReplicas(2);
    List<String> names = client.pods().inNamespace(NS).withLabels(LABELS).list().getItems().stream()
        .map(p -> p.getMetadata().getName())
        .toList();
    assertThat(names).hasSize(2).doesNotContain(victim.getMetadata().getName());
  }

  private void waitForReadyReplicas(int replicas) {
    client.apps().deployments().inNamespace(NS).withName("echo").waitUntilCondition(
        d -> d != null && d.getStatus() != null
            && Integer.valueOf(replicas).equals(d.getStatus().getReadyReplicas())
            && Integer.valueOf(replicas).equals(d.getStatus().getReplicas()),
        Duration.ofMinutes(3).toSeconds(), TimeUnit.SECONDS);
  }

  private String exec(String pod, String... command) throws Exception {
    var out = new ByteArrayOutputStream();
    try (ExecWatch watch = client.pods().inNamespace(NS).withName(pod)
        .writingOutput(out).writingError(out).exec(command)) {
      watch.exitCode().get(30, TimeUnit.SECONDS);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
