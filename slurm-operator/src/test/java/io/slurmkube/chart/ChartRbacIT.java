package io.slurmkube.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.SlurmkubeOperator;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.testing.ChartRbac;
import io.slurmkube.testing.ControllerManager;
import io.slurmkube.testing.Crds;
import io.slurmkube.testing.RealApiServer;
import io.slurmkube.testing.RequestLog;
import io.slurmkube.testing.StandInSlurm;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chart installed with watchNamespaces, on a real API server: the operator runs as the chart's
 * ServiceAccount (impersonated), with leader election, and makes a SlurmCluster in a watched
 * namespace from start to deletion with no call refused; the same ServiceAccount cannot read a
 * Secret, or make a pod, in a namespace it does not watch.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartRbacIT {

  @RegisterExtension static RealApiServer api = new RealApiServer();

  static final String WATCHED = "team-a";
  static final String OTHER = "team-b";
  static KubernetesClient admin;
  static KubernetesClient operatorClient;
  static final RequestLog requests = new RequestLog();
  static SlurmkubeOperator operator;
  /** The garbage collector: a deleted cluster's NodeSets go through their owner references. */
  static ControllerManager controllerManager;
  static final Map<String, StandInSlurm> slurm = new ConcurrentHashMap<>();

  @BeforeAll
  static void installChartRbacAndStartTheOperator() throws Exception {
    Crds.install(api.client());
    admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml())).build();
    for (String ns : new String[] {WATCHED, OTHER}) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
    ChartRbac.install(admin, "watchNamespaces={" + WATCHED + "}");
    controllerManager = ControllerManager.start(api.kubeConfigYaml(), "garbagecollector");
    operatorClient = ChartRbac.operatorClient(api.kubeConfigYaml(), requests);
    operator = new SlurmkubeOperator(operatorClient,
        new SlurmkubeOperator.Settings(Set.of(WATCHED), true, ChartRbac.NAMESPACE, "slurmkube-operator", false),
        StandInSlurm.connections(operatorClient, slurm));
    operator.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (operator != null) {
      operator.stop();
    }
    if (operatorClient != null) {
      operatorClient.close();
    }
    if (controllerManager != null) {
      controllerManager.close();
    }
    if (admin != null) {
      admin.close();
    }
  }

  static SlurmCluster load(String file, String namespace) throws Exception {
    try (InputStream in = Files.newInputStream(Path.of("../examples", file))) {
      // The fleet example also holds the administrator's SlurmNodePool: take the SlurmCluster.
      SlurmCluster cluster = admin.load(in).items().stream().filter(o -> "SlurmCluster".equals(o.getKind()))
          .map(o -> admin.getKubernetesSerialization().convertValue(o, SlurmCluster.class)).findFirst().orElseThrow();
      cluster.getMetadata().setNamespace(namespace);
      cluster.getSpec().deletionGracePeriodSeconds = 0;
      return cluster;
    }
  }

  static SlurmCluster cluster(String namespace, String name) {
    return admin.resources(SlurmCluster.class).inNamespace(namespace).withName(name).get();
  }

  @Test
  @Order(1)
  void aClusterInAWatchedNamespaceIsMadeAndScaled() throws Exception {
    SlurmCluster demo = load("slurmcluster.yaml", WATCHED);
    demo.getSpec().nodeSets.get(0).replicas = 1;
    admin.resource(demo).create();
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(admin.secrets().inNamespace(WATCHED).withName("demo-auth-key").get()).isNotNull();
      assertThat(admin.apps().statefulSets().inNamespace(WATCHED).withName("demo-controller").get()).isNotNull();
      assertThat(admin.apps().deployments().inNamespace(WATCHED).withName("demo-login").get()).isNotNull();
      assertThat(admin.pods().inNamespace(WATCHED).withName("demo-cpu-0").get()).isNotNull();
      assertThat(cluster(WATCHED, "demo").getStatus()).isNotNull();
      assertThat(cluster(WATCHED, "demo").getStatus().conditions).isNotEmpty();
    });
    admin.resources(SlurmCluster.class).inNamespace(WATCHED).withName("demo")
        .edit(c -> { c.getSpec().nodeSets.get(0).replicas = 2; return c; });
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(admin.pods().inNamespace(WATCHED).withName("demo-cpu-1").get()).isNotNull());
    // The leader lease, in the operator's namespace, under the release's name.
    assertThat(admin.leases().inNamespace(ChartRbac.NAMESPACE).withName("slurmkube-operator").get()).isNotNull();
  }

  @Test
  @Order(2)
  void aClusterInAnUnwatchedNamespaceIsLeftAlone() throws Exception {
    admin.resource(load("slurmcluster.yaml", OTHER)).create();
    // Give the operator the time it took above to make the first objects; it must make none here.
    await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(admin.secrets().inNamespace(OTHER).list().getItems()).isEmpty();
      assertThat(cluster(OTHER, "demo").getStatus()).isNull();
    });
  }

  @Test
  @Order(3)
  void aFleetAskedOfAnOperatorWithoutPoolsIsReportedNotActedOn() throws Exception {
    admin.resource(load("slurmcluster-fleet.yaml", WATCHED)).create();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(cluster(WATCHED, "hpc").getStatus())
        .isNotNull().satisfies(status -> assertThat(status.conditions).anySatisfy(c -> assertThat(c.getMessage()).contains("spec.fleet").contains("fleet.enabled=true"))));
  }

  @Test
  @Order(4)
  void theServiceAccountCannotReadOrWriteOutsideTheWatchedNamespaces() {
    try (KubernetesClient asOperator = ChartRbac.operatorClient(api.kubeConfigYaml(), new RequestLog())) {
      refusedOutsideAndAllowedInside(asOperator);
    }
  }

  private static void refusedOutsideAndAllowedInside(KubernetesClient operatorClient) {
    var secret = new SecretBuilder().withNewMetadata().withName("not-yours").withNamespace(OTHER).endMetadata()
        .addToStringData("token", "s3cret").build();
    admin.resource(secret).create();
    assertThatThrownBy(() -> operatorClient.secrets().inNamespace(OTHER).withName("not-yours").get())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    assertThatThrownBy(() -> operatorClient.secrets().inAnyNamespace().list())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    assertThatThrownBy(() -> operatorClient.pods().inNamespace(OTHER).resource(
        admin.pods().inNamespace(WATCHED).withName("demo-cpu-0").get().edit()
            .editMetadata().withNamespace(OTHER).withResourceVersion(null).withUid(null).endMetadata().build()).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    // ... while in its own namespace it can.
    assertThat(operatorClient.secrets().inNamespace(WATCHED).withName("demo-auth-key").get()).isNotNull();
  }

  @Test
  @Order(5)
  void deletingTheClusterRemovesItsFinalizersAndObjects() {
    admin.resources(SlurmCluster.class).inNamespace(WATCHED).withName("demo").delete();
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(cluster(WATCHED, "demo")).isNull();
      assertThat(admin.resources(NodeSet.class).inNamespace(WATCHED).withName("demo-cpu").get()).isNull();
    });
  }

  @Test
  @Order(100)
  void everyCallTheOperatorMadeWasAllowed() throws Exception {
    Files.createDirectories(Path.of("target"));
    Files.write(Path.of("target/chart-rbac-it-requests.txt"), requests.seen());
    assertThat(requests.seen()).contains("create /secrets ns=" + WATCHED, "watch slurmkube.io/slurmclusters ns=" + WATCHED,
        "create coordination.k8s.io/leases ns=" + ChartRbac.NAMESPACE)
        .noneMatch(access -> access.contains("ns=" + OTHER));
    assertThat(requests.forbidden()).isEmpty();
  }
}
