package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.slurmkube.SlurmkubeOperator;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.NetworkPolicies;
import io.slurmkube.testing.Crds;
import io.slurmkube.testing.RealApiServer;
import io.slurmkube.testing.StandInSlurm;
import java.util.concurrent.ConcurrentHashMap;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's NetworkPolicies on a real kube-apiserver: made for each component with the
 * operator's pods let in, and removed when the operator runs with them switched off. (Whether a
 * network plugin enforces them is the e2e tests' part: kube-api-test has no network.)
 */
class NetworkPoliciesIT {
  @RegisterExtension static RealApiServer api = new RealApiServer();

  static final String NS = "netpol-it";
  static final NetworkPolicies.OperatorPods OPERATOR = new NetworkPolicies.OperatorPods("ops",
      Map.of("app.kubernetes.io/name", "slurmkube-operator", "app.kubernetes.io/instance", "slurmkube"));
  static KubernetesClient client;

  @BeforeAll
  static void setUp() throws Exception {
    Crds.install(api.client());
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml())).build();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
  }

  @AfterAll
  static void tearDown() {
    if (client != null) {
      client.close();
    }
  }

  static List<NetworkPolicy> policies() {
    return client.network().v1().networkPolicies().inNamespace(NS).list().getItems();
  }

  @Test
  void madeWhenOnAndDeletedWhenSwitchedOff() throws Exception {
    var on = new SlurmkubeOperator(client, SlurmkubeOperator.Settings.of(Set.of(), false, NS), StandInSlurm.connections(client, new ConcurrentHashMap<>()), OPERATOR);
    on.start();
    try {
      SlurmCluster cluster;
      try (InputStream in = Files.newInputStream(Path.of("../examples/slurmcluster.yaml"))) {
        cluster = client.resources(SlurmCluster.class).load(in).item();
      }
      cluster.getMetadata().setNamespace(NS);
      client.resource(cluster).create();
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(policies())
          .extracting(p -> p.getMetadata().getName())
          .containsExactlyInAnyOrder("demo-db", "demo-accounting", "demo-controller", "demo-restapi", "demo-nodes", "demo-login"));
      String uid = client.resources(SlurmCluster.class).inNamespace(NS).withName("demo").get().getMetadata().getUid();
      assertThat(policies()).allSatisfy(p -> assertThat(p.getMetadata().getOwnerReferences())
          .anyMatch(o -> o.getUid().equals(uid)));
      // The operator's pods, by namespace and labels, reach slurmrestd.
      var restApi = client.network().v1().networkPolicies().inNamespace(NS).withName("demo-restapi").get();
      assertThat(restApi.getSpec().getIngress().get(0).getFrom())
          .filteredOn(peer -> peer.getNamespaceSelector() != null)
          .singleElement().satisfies(peer -> {
            assertThat(peer.getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "ops");
            assertThat(peer.getPodSelector().getMatchLabels()).isEqualTo(OPERATOR.podLabels());
          });

      // A policy deleted by hand comes back.
      client.network().v1().networkPolicies().inNamespace(NS).withName("demo-db").delete();
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(client.network().v1().networkPolicies().inNamespace(NS).withName("demo-db").get()).isNotNull());
    } finally {
      on.stop();
    }

    // A policy of the user's own in the same namespace is not the operator's to delete.
    client.network().v1().networkPolicies().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder()
        .withNewMetadata().withName("portal-to-restapi").withNamespace(NS)
          .withLabels(Map.of("app.kubernetes.io/instance", "demo")).endMetadata()
        .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress").endSpec()
        .build()).create();
    var off = new SlurmkubeOperator(client, SlurmkubeOperator.Settings.of(Set.of(), false, NS), StandInSlurm.connections(client, new ConcurrentHashMap<>()), null);
    off.start();
    try {
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(policies())
          .extracting(p -> p.getMetadata().getName()).containsExactly("portal-to-restapi"));
    } finally {
      off.stop();
    }
  }
}
