package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.slurmkube.SlurmkubeOperator;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.testing.Crds;
import io.slurmkube.testing.RealApiServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The queue autoscaler and other scalers on one NodeSet, against a real kube-apiserver: an HPA read
 * from an informer, and a real `kubectl scale` seen in managedFields. There is no Slurm here (the
 * operator cannot reach a slurmrestd), so the queue autoscaler itself never runs: these tests prove
 * what the operator sees and reports; that it then changes no replicas is ScalerArbitrationTest's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScalersIT {
  @RegisterExtension static RealApiServer api = new RealApiServer();

  static final String NS = "scalers-it";
  static final int DELAY_SECONDS = 6;
  static KubernetesClient client;
  static SlurmkubeOperator operator;

  @BeforeAll
  static void startOperator() throws Exception {
    Crds.install(api.client());
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml())).build();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
    operator = new SlurmkubeOperator(client, Set.of(), false, NS);
    operator.start();
    try (InputStream in = Files.newInputStream(Path.of("../examples/slurmcluster.yaml"))) {
      SlurmCluster cluster = client.resources(SlurmCluster.class).load(in).item();
      cluster.getMetadata().setNamespace(NS);
      cluster.getSpec().nodeSets.get(0).replicas = 1;
      cluster.getSpec().nodeSets.get(0).scaleDownDelaySeconds = DELAY_SECONDS;
      client.resource(cluster).create();
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(condition()).isNotNull());
  }

  @AfterAll
  static void stopOperator() {
    if (operator != null) {
      operator.stop();
    }
    if (client != null) {
      client.close();
    }
  }

  static NodeSet nodeSet() {
    return client.resources(NodeSet.class).inNamespace(NS).withName("demo-cpu").get();
  }

  static Condition condition() {
    NodeSet nodeSet = nodeSet();
    return nodeSet == null || nodeSet.getStatus() == null ? null : nodeSet.getStatus().conditions.stream()
        .filter(c -> c.getType().equals(Conditions.QUEUE_AUTOSCALING)).findFirst().orElse(null);
  }

  static List<String> events(String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals("demo-cpu") && reason.equals(e.getReason()))
        .map(e -> e.getMessage()).toList();
  }

  @Test
  @Order(1)
  void aNewNodeSetIsDrivenByTheQueueAndItsCreationIsNoManualScale() {
    assertThat(condition().getStatus()).isEqualTo("True");
    assertThat(condition().getReason()).isEqualTo("QueueDriven");
  }

  @Test
  @Order(2)
  void kubectlScaleIsKeptForTheScaleDownDelayAndSaidSo() throws Exception {
    api.kubectl("-n", NS, "scale", "nodeset.slurmkube.io/demo-cpu", "--replicas=2");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(condition().getStatus()).isEqualTo("False");
      assertThat(condition().getReason()).isEqualTo("ManualScale");
      assertThat(condition().getMessage()).contains("set to 2 by kubectl").contains("through the scale subresource")
          .contains("until");
      assertThat(nodeSet().getStatus().lastScaleDecision).startsWith("not scaling: spec.replicas was set to 2");
      assertThat(events("ManualScaleKept")).hasSize(1);
    });
    // The kubectl write was made by a client the operator does not own: its managedFields say so.
    assertThat(nodeSet().getMetadata().getManagedFields()).anyMatch(f -> f.getManager().startsWith("kubectl")
        && "scale".equals(f.getSubresource()));
    await().atMost(Duration.ofSeconds(DELAY_SECONDS + 10)).untilAsserted(() -> {
      assertThat(condition().getReason()).isEqualTo("QueueDriven");
      assertThat(condition().getStatus()).isEqualTo("True");
    });
    assertThat(events("ManualScaleKept")).as("one event per change of driver").hasSize(1);
    assertThat(nodeSet().getSpec().replicas).isEqualTo(2);
  }

  @Test
  @Order(3)
  void anHpaOnTheNodeSetMakesTheQueueAutoscalerStandBackOnceAndNamesTheFix() throws Exception {
    client.resource(new HorizontalPodAutoscalerBuilder().withNewMetadata().withName("keda-hpa-demo-cpu").withNamespace(NS)
        .endMetadata().withNewSpec().withNewScaleTargetRef("slurmkube.io/v1alpha1", "NodeSet", "demo-cpu")
        .withMinReplicas(1).withMaxReplicas(3).endSpec().build()).create();
    // An HPA on something else is not ours.
    client.resource(new HorizontalPodAutoscalerBuilder().withNewMetadata().withName("web").withNamespace(NS)
        .endMetadata().withNewSpec().withNewScaleTargetRef("apps/v1", "Deployment", "demo-cpu")
        .withMinReplicas(1).withMaxReplicas(3).endSpec().build()).create();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(condition().getStatus()).isEqualTo("False");
      assertThat(condition().getReason()).isEqualTo("HorizontalPodAutoscaler");
      assertThat(condition().getMessage()).contains("HorizontalPodAutoscaler keda-hpa-demo-cpu scales this NodeSet")
          .contains("remove maxReplicas from spec.nodeSets[cpu]").doesNotContain("web");
      assertThat(events("TwoScalers")).hasSize(1);
    });
    // What the HPA would do through the scale subresource: pods follow it; the verdict stays.
    api.kubectl("-n", NS, "scale", "nodeset.slurmkube.io/demo-cpu", "--replicas=3");
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(client.pods().inNamespace(NS).withLabel("slurmkube.io/nodeset", "cpu").list().getItems()).hasSize(3);
      assertThat(condition().getReason()).isEqualTo("HorizontalPodAutoscaler");
    });
    Thread.sleep(3000); // a few more passes, one a second
    assertThat(events("TwoScalers")).as("the event is sent once, not every pass").hasSize(1);

    client.resources(io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class).inNamespace(NS)
        .withName("keda-hpa-demo-cpu").delete();
    await().atMost(Duration.ofSeconds(DELAY_SECONDS + 15)).untilAsserted(() ->
        assertThat(condition().getReason()).isEqualTo("QueueDriven"));
  }

  /**
   * A pass that keeps failing (here: the API server refuses every NodeSet status write for 40 s,
   * longer than JOSDK's default five retries last) is tried again until it succeeds, with no
   * Kubernetes event to wake it: the Slurm queue, which drives a node set, is none.
   */
  @Test
  @Order(4)
  void aNodeSetWhosePassesKeepFailingIsTriedAgainUntilOneSucceeds() throws Exception {
    Path policy = Files.createTempFile("refuse-nodeset-status", ".yaml");
    Files.writeString(policy, """
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: refuse-nodeset-status}
        spec:
          failurePolicy: Fail
          matchConstraints:
            resourceRules:
            - apiGroups: [slurmkube.io]
              apiVersions: ["*"]
              operations: [UPDATE]
              resources: [nodesets/status]
          validations:
          - expression: "false"
            message: refused by the test
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: refuse-nodeset-status}
        spec:
          policyName: refuse-nodeset-status
          validationActions: [Deny]
        """);
    try {
      api.kubectl("apply", "-f", policy.toString());
      await("the API server refuses NodeSet status writes").atMost(Duration.ofSeconds(20)).ignoreExceptions()
          .until(() -> {
            try {
              api.kubectl("-n", NS, "patch", "nodeset", "demo-cpu", "--subresource=status", "--type=merge",
                  "--dry-run=server", "-p", "{\"status\":{\"lastScaleDecision\":\"probe\"}}");
              return false;
            } catch (IllegalStateException refused) {
              return refused.getMessage().contains("refused by the test");
            }
          });
      // A new generation the status must catch up with; every pass now fails at its status write.
      api.kubectl("-n", NS, "patch", "slurmcluster", "demo", "--type=json",
          "-p", "[{\"op\":\"replace\",\"path\":\"/spec/nodeSets/0/scaleDownDelaySeconds\",\"value\":"
              + (DELAY_SECONDS + 1) + "}]");
      await().atMost(Duration.ofSeconds(20)).until(() -> nodeSet().getSpec().scaleDownDelaySeconds == DELAY_SECONDS + 1);
      long generation = nodeSet().getMetadata().getGeneration();
      Thread.sleep(40_000);
      assertThat(nodeSet().getStatus().observedGeneration).as("no status written while refused").isLessThan(generation);
    } finally {
      api.kubectl("delete", "-f", policy.toString(), "--ignore-not-found");
      Files.deleteIfExists(policy);
    }
    long generation = nodeSet().getMetadata().getGeneration();
    await("the next try, at most " + PassRetry.LONGEST_WAIT.toSeconds() + " s later, writes the status")
        .atMost(PassRetry.LONGEST_WAIT.plusSeconds(15))
        .untilAsserted(() -> assertThat(nodeSet().getStatus().observedGeneration).isEqualTo(generation));
  }
}
