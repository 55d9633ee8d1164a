package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.slurmkube.SlurmkubeOperator;
import io.slurmkube.api.AccountingSpec;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.PartitionSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.ClusterModel;
import io.slurmkube.testing.ChartRbac;
import io.slurmkube.testing.Conflicts;
import io.slurmkube.testing.ControllerManager;
import io.slurmkube.testing.Crds;
import io.slurmkube.testing.RealApiServer;
import io.slurmkube.testing.RequestLog;
import io.slurmkube.testing.StandInSlurm;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

/** The operator running against a real kube-apiserver (and a real garbage collector). */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorIT {

  @RegisterExtension static RealApiServer api = new RealApiServer();

  static final String NS = "slurm-it";
  static KubernetesClient client;
  /** The operator's own client: the chart's ServiceAccount, with the chart's RBAC (all namespaces). */
  static KubernetesClient operatorClient;
  static final RequestLog requests = new RequestLog();
  static SlurmkubeOperator operator;
  static ControllerManager controllerManager;
  /** Slurm as the operator sees it, for the clusters that have one here; the others have none (no kubelet). */
  static final Map<String, StandInSlurm> slurm = new ConcurrentHashMap<>();

  @BeforeAll
  static void startOperator() throws Exception {
    Crds.install(api.client());
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml())).build();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
    controllerManager = ControllerManager.start(api.kubeConfigYaml(), "garbagecollector,persistentvolumeclaim-protection-controller");
    ChartRbac.install(client);
    operatorClient = ChartRbac.operatorClient(api.kubeConfigYaml(), requests);
    operator = new SlurmkubeOperator(operatorClient,
        new SlurmkubeOperator.Settings(Set.of(), false, NS, "slurmkube-operator", false),
        StandInSlurm.connections(operatorClient, slurm));
    operator.start();
  }

  @AfterAll
  static void stopOperator() throws Exception {
    if (operator != null) {
      operator.stop();
    }
    if (operatorClient != null) {
      operatorClient.close();
    }
    if (controllerManager != null) {
      controllerManager.close();
    }
    if (client != null) {
      client.close();
    }
  }

  static SlurmCluster example() throws Exception {
    try (InputStream in = Files.newInputStream(Path.of("../examples/slurmcluster.yaml"))) {
      SlurmCluster cluster = client.resources(SlurmCluster.class).load(in).item();
      cluster.getMetadata().setNamespace(NS);
      cluster.getSpec().nodeSets.get(0).replicas = 1;
      // No Slurm to wait for in these clusters: deleted, they go at once (the tests below wait).
      cluster.getSpec().deletionGracePeriodSeconds = 0;
      return cluster;
    }
  }

  static SlurmCluster current() {
    return client.resources(SlurmCluster.class).inNamespace(NS).withName("demo").get();
  }

  static void assertOwnedByCluster(HasMetadata object) {
    assertThat(object).as("object").isNotNull();
    assertThat(object.getMetadata().getOwnerReferences())
        .as("owner of %s %s", object.getKind(), object.getMetadata().getName())
        .anyMatch(o -> o.getKind().equals("SlurmCluster") && o.getUid().equals(current().getMetadata().getUid()));
  }

  @Test
  @Order(1)
  void createsEveryObjectOwnedByTheCluster() throws Exception {
    client.resource(example()).create();
    var ns = client.apps().statefulSets().inNamespace(NS);
    var deployments = client.apps().deployments().inNamespace(NS);
    var services = client.services().inNamespace(NS);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertOwnedByCluster(client.secrets().inNamespace(NS).withName("demo-auth-key").get());
      assertOwnedByCluster(client.secrets().inNamespace(NS).withName("demo-jwt-key").get());
      assertOwnedByCluster(client.secrets().inNamespace(NS).withName("demo-db-password").get());
      assertOwnedByCluster(client.secrets().inNamespace(NS).withName("demo-ssh-host-keys").get());
      assertOwnedByCluster(client.configMaps().inNamespace(NS).withName("demo-config").get());
      assertOwnedByCluster(ns.withName("demo-controller").get());
      assertOwnedByCluster(services.withName("demo-controller").get());
      assertOwnedByCluster(ns.withName("demo-db").get());
      assertOwnedByCluster(services.withName("demo-db").get());
      assertOwnedByCluster(deployments.withName("demo-accounting").get());
      assertOwnedByCluster(services.withName("demo-accounting").get());
      assertOwnedByCluster(deployments.withName("demo-restapi").get());
      assertOwnedByCluster(services.withName("demo-restapi").get());
      assertOwnedByCluster(deployments.withName("demo-login").get());
      assertOwnedByCluster(services.withName("demo-login").get());
      assertOwnedByCluster(services.withName("demo-nodes").get());
      assertOwnedByCluster(client.resources(NodeSet.class).inNamespace(NS).withName("demo-cpu").get());
    });

    StatefulSet controller = ns.withName("demo-controller").get();
    assertThat(controller.getSpec().getVolumeClaimTemplates()).extracting(c -> c.getMetadata().getName()).containsExactly("state");
    assertThat(client.apps().deployments().inNamespace(NS).withName("demo-restapi").get()
        .getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).containsExactly("slurmrestd");
    ConfigMap config = client.configMaps().inNamespace(NS).withName("demo-config").get();
    assertThat(config.getData().get("slurm.conf"))
        .contains("Nodeset=cpu Feature=cpu")
        .contains("PartitionName=batch Nodes=cpu Default=YES")
        .contains("SlurmctldHost=demo-controller-0(demo-controller-0.demo-controller.slurm-it.svc.cluster.local)");
  }

  @Test
  @Order(2)
  void nodeSetControllerCreatesTheSlurmdPodsItself() {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<Pod> pods = client.pods().inNamespace(NS).withLabel("slurmkube.io/nodeset", "cpu").list().getItems();
      assertThat(pods).extracting(p -> p.getMetadata().getName()).containsExactly("demo-cpu-0");
      assertThat(pods.get(0).getMetadata().getOwnerReferences()).extracting(o -> o.getKind()).containsExactly("NodeSet");
      assertThat(pods.get(0).getSpec().getContainers().get(0).getEnv())
          .anyMatch(e -> e.getName().equals("SLURM_NODESET") && e.getValue().equals("cpu"));
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      NodeSet nodeSet = client.resources(NodeSet.class).inNamespace(NS).withName("demo-cpu").get();
      assertThat(nodeSet.getStatus().replicas).isEqualTo(1);
      assertThat(nodeSet.getStatus().selector).contains("slurmkube.io/nodeset=cpu");
    });
  }

  @Test
  @Order(3)
  void statusTellsTheTruthAndEventsAreRecorded() {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      SlurmCluster cluster = current();
      assertThat(cluster.getStatus()).isNotNull();
      assertThat(cluster.getStatus().observedGeneration).isEqualTo(cluster.getMetadata().getGeneration());
      // No kubelet here: nothing can be ready, and the status must say so and why.
      assertThat(cluster.getStatus().conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Ready");
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("ComponentsNotReady");
        assertThat(c.getMessage()).contains("controller (0/1 ready)");
      });
      assertThat(cluster.getStatus().components).extracting(c -> c.name)
          .contains("controller", "database", "accounting", "restapi", "login");
    });
    var events = client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals("demo")).toList();
    assertThat(events).anySatisfy(e -> assertThat(e.getMessage()).isEqualTo("Created StatefulSet demo-controller"));
    assertThat(events).allSatisfy(e -> assertThat(e.getMessage()).doesNotContain(
        client.secrets().inNamespace(NS).withName("demo-auth-key").get().getData().get("slurm.key")));
  }

  @Test
  @Order(4)
  void aPartitionChangeIsAppliedWithoutRestartingTheController() {
    Secret authBefore = client.secrets().inNamespace(NS).withName("demo-auth-key").get();
    Secret hostKeysBefore = client.secrets().inNamespace(NS).withName("demo-ssh-host-keys").get();
    String hashBefore = controllerHash();
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().partitions.get(0).maxTime = "60";
      return c;
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(slurmConf().lines().filter(l -> l.startsWith("PartitionName=batch ")))
            .singleElement().asString().contains("MaxTime=60"));
    // Partitions are taken in by `scontrol reconfigure`: slurmctld's pod template is unchanged.
    assertThat(controllerHash()).isEqualTo(hashBefore);
    assertThat(client.secrets().inNamespace(NS).withName("demo-auth-key").get().getData())
        .isEqualTo(authBefore.getData());
    assertThat(client.secrets().inNamespace(NS).withName("demo-ssh-host-keys").get().getData())
        .as("host keys are never regenerated").isEqualTo(hostKeysBefore.getData());
  }

  @Test
  @Order(5)
  void anAddedNodeSetAndPartitionAppearWithoutRestartingSlurmctld() {
    // A CPU node set: the first GPU node set brings the GPU Prolog, which does restart slurmctld.
    String hashBefore = controllerHash();
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      var bigmem = new NodeSetSpec();
      bigmem.name = "bigmem";
      bigmem.memoryMiB = 8192;
      bigmem.maxReplicas = 2;
      c.getSpec().nodeSets.add(bigmem);
      var partition = new PartitionSpec();
      partition.name = "bigmem";
      partition.nodeSets = List.of("bigmem");
      c.getSpec().partitions.add(partition);
      return c;
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertOwnedByCluster(client.resources(NodeSet.class).inNamespace(NS).withName("demo-bigmem").get());
      assertThat(slurmConf()).contains("Nodeset=bigmem Feature=bigmem").contains("PartitionName=bigmem Nodes=bigmem");
      // Its placeholders go through the entrypoint's scontrol create, not slurm.conf.
      assertThat(configFile("future-nodes.conf")).contains("NodeName=demo-bigmem-future-[0-1] State=FUTURE Features=bigmem");
    });
    assertThat(controllerHash()).isEqualTo(hashBefore);
  }

  @Test
  @Order(6)
  void editingReplicasInTheClusterRescalesTheNodeSetAndLeavesOtherScalingAlone() {
    var nodeSet = client.resources(NodeSet.class).inNamespace(NS).withName("demo-cpu");
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().nodeSets.get(0).replicas = 2;
      return c;
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(nodeSet.get().getSpec().replicas).isEqualTo(2);
      assertThat(client.pods().inNamespace(NS).withLabel("slurmkube.io/nodeset", "cpu").list().getItems())
          .extracting(p -> p.getMetadata().getName()).containsExactlyInAnyOrder("demo-cpu-0", "demo-cpu-1");
      assertThat(events("Scaled")).anyMatch(m -> m.contains("spec.nodeSets[cpu].replicas was changed to 2"));
    });

    // `kubectl scale nodeset demo-cpu --replicas=3`, then an unrelated edit of the cluster.
    nodeSet.scale(3);
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().partitions.get(0).maxTime = "120";
      return c;
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(current().getStatus().observedGeneration).isEqualTo(current().getMetadata().getGeneration());
      assertThat(slurmConf()).contains("MaxTime=120");
    });
    assertThat(nodeSet.get().getSpec().replicas).as("the NodeSet's own scaling stands").isEqualTo(3);
  }

  @Test
  @Order(7)
  void aStorageSizeChangeIsReportedAndDoesNotBlockOtherChanges() {
    String policyBefore = current().getSpec().imagePullPolicy;
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().controller.storageSize = "5Gi";
      c.getSpec().imagePullPolicy = "Always";
      return c;
    });
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      StatefulSet controller = client.apps().statefulSets().inNamespace(NS).withName("demo-controller").get();
      assertThat(controller.getSpec().getTemplate().getSpec().getContainers().get(0).getImagePullPolicy())
          .as("the pull policy change reaches slurmctld's StatefulSet").isEqualTo("Always");
      assertThat(controller.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage").toString())
          .isEqualTo("1Gi");
      assertThat(current().getStatus().conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Degraded");
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getMessage()).contains("spec.controller.storageSize").contains("keeps its size and class (state 1Gi");
      });
    });
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().controller.storageSize = "1Gi";
      c.getSpec().imagePullPolicy = policyBefore;
      return c;
    });
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(current().getStatus().conditions)
        .noneSatisfy(c -> assertThat(c.getType() + c.getStatus() + c.getMessage()).contains("DegradedTrue").contains("storageSize")));
  }

  /**
   * A new image reaches slurmdbd first, slurmctld once slurmdbd's rollout is done, the node sets once
   * slurmctld's is. No kubelet runs here: each rollout is marked done by writing the status the
   * Deployment and StatefulSet controllers would (UpgradeIT does it with real pods).
   */
  @Test
  @Order(7)
  void anImageChangeMovesSlurmdbdThenSlurmctldThenTheNodeSetsAndAJumpTooFarIsRefused() {
    String oldImage = current().getSpec().image;
    String oldNodeImage = current().getSpec().nodeImage;
    var statefulSets = client.apps().statefulSets().inNamespace(NS);
    var deployments = client.apps().deployments().inNamespace(NS);
    var nodeSet = client.resources(NodeSet.class).inNamespace(NS).withName("demo-cpu");
    assertThat(nodeSet.get().getSpec().image).isEqualTo(oldNodeImage);
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().image = "slurmkube.local/slurmctld:26.05-patched";
      c.getSpec().nodeImage = "slurmkube.local/slurmd:26.05-patched";
      return c;
    });
    await("slurmdbd moves first").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(image(deployments.withName("demo-accounting").get().getSpec().getTemplate()))
          .isEqualTo("slurmkube.local/slurmctld:26.05-patched");
      assertThat(current().getStatus().upgrade).startsWith("slurmdbd is moving to slurmkube.local/slurmctld:26.05-patched");
    });
    assertThat(image(statefulSets.withName("demo-controller").get().getSpec().getTemplate())).isEqualTo(oldImage);
    assertThat(nodeSet.get().getSpec().image).isEqualTo(oldNodeImage);

    markRolledOut(deployments.withName("demo-accounting").get());
    await("slurmctld follows").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(image(statefulSets.withName("demo-controller").get().getSpec().getTemplate()))
          .isEqualTo("slurmkube.local/slurmctld:26.05-patched");
      assertThat(image(deployments.withName("demo-restapi").get().getSpec().getTemplate()))
          .isEqualTo("slurmkube.local/slurmctld:26.05-patched");
    });
    assertThat(nodeSet.get().getSpec().image).as("the node sets wait for slurmctld's new pod").isEqualTo(oldNodeImage);

    markRolledOut(statefulSets.withName("demo-controller").get());
    await("the node sets follow").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(nodeSet.get().getSpec().image).isEqualTo("slurmkube.local/slurmd:26.05-patched");
      assertThat(current().getStatus().upgrade).isNull();
      assertThat(current().getStatus().slurmRelease).isEqualTo("26.05");
    });

    // A downgrade to 24.11 moves nothing and says why.
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().image = "slurmkube.local/slurmctld:24.11";
      return c;
    });
    await("the downgrade is refused").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(current().getStatus().upgrade).contains("cannot be downgraded from 26.05 to 24.11");
      assertThat(current().getStatus().conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Degraded");
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getMessage()).contains("cannot be downgraded");
      });
    });
    assertThat(image(deployments.withName("demo-accounting").get().getSpec().getTemplate()))
        .isEqualTo("slurmkube.local/slurmctld:26.05-patched");
    assertThat(image(statefulSets.withName("demo-controller").get().getSpec().getTemplate()))
        .isEqualTo("slurmkube.local/slurmctld:26.05-patched");
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().image = oldImage;
      c.getSpec().nodeImage = oldNodeImage;
      return c;
    });
    markRolledOut(deployments.withName("demo-accounting").get());
    await("back on the first images").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      markRolledOut(deployments.withName("demo-accounting").get());
      assertThat(image(statefulSets.withName("demo-controller").get().getSpec().getTemplate())).isEqualTo(oldImage);
    });
    markRolledOut(statefulSets.withName("demo-controller").get());
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      markRolledOut(statefulSets.withName("demo-controller").get());
      assertThat(nodeSet.get().getSpec().image).isEqualTo(oldNodeImage);
    });
  }

  private static String image(io.fabric8.kubernetes.api.model.PodTemplateSpec template) {
    return template.getSpec().getContainers().get(0).getImage();
  }

  /** The status the Deployment controller writes once every replica runs the new template and is available. */
  private static void markRolledOut(io.fabric8.kubernetes.api.model.apps.Deployment deployment) {
    var resource = client.apps().deployments().inNamespace(NS).withName(deployment.getMetadata().getName());
    Conflicts.edit(resource, d -> {
      d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
          .withObservedGeneration(d.getMetadata().getGeneration())
          .withReplicas(1).withUpdatedReplicas(1).withReadyReplicas(1).withAvailableReplicas(1).build());
      return d;
    }, true);
  }

  /** The status the StatefulSet controller writes once its pod runs the new template and is ready. */
  private static void markRolledOut(StatefulSet set) {
    var resource = client.apps().statefulSets().inNamespace(NS).withName(set.getMetadata().getName());
    Conflicts.edit(resource, s -> {
      s.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder()
          .withObservedGeneration(s.getMetadata().getGeneration())
          .withReplicas(1).withReadyReplicas(1).withCurrentReplicas(1).withUpdatedReplicas(1)
          .withCurrentRevision("rev-" + s.getMetadata().getGeneration())
          .withUpdateRevision("rev-" + s.getMetadata().getGeneration()).build());
      return s;
    }, true);
  }

  @Test
  @Order(8)
  void turningAccountingOffRemovesItAndRestartsTheController() {
    String hashBefore = controllerHash();
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("demo"), c -> {
      c.getSpec().accounting.mode = AccountingSpec.Mode.None;
      return c;
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(client.apps().deployments().inNamespace(NS).withName("demo-accounting").get()).isNull();
      assertThat(client.apps().statefulSets().inNamespace(NS).withName("demo-db").get()).isNull();
      assertThat(slurmConf()).contains("AccountingStorageType=accounting_storage/none");
      assertThat(controllerHash()).isNotEqualTo(hashBefore);
    });
  }

  @Test
  @Order(9)
  void deletingTheClusterRemovesItsObjects() {
    client.resources(SlurmCluster.class).inNamespace(NS).withName("demo").delete();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(client.apps().statefulSets().inNamespace(NS).list().getItems()).isEmpty();
      assertThat(client.apps().deployments().inNamespace(NS).list().getItems()).isEmpty();
      assertThat(client.resources(NodeSet.class).inNamespace(NS).list().getItems()).isEmpty();
      assertThat(client.pods().inNamespace(NS).list().getItems()).isEmpty();
      assertThat(client.configMaps().inNamespace(NS).withName("demo-config").get()).isNull();
      assertThat(client.secrets().inNamespace(NS).withName("demo-auth-key").get()).isNull();
    });
  }

  @Test
  @Order(10)
  void theRetainedHomeOutlivesTheCluster() {
    var home = client.persistentVolumeClaims().inNamespace(NS).withName("demo-home").get();
    assertThat(home).as("retainPolicy Retain (the default) keeps the home claim").isNotNull();
    assertThat(home.getMetadata().getDeletionTimestamp()).isNull();
    assertThat(home.getMetadata().getOwnerReferences()).isEmpty();
    // No StorageClass names a shared file system here: the claim cannot be ReadWriteMany.
    assertThat(home.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
  }

  @Test
  @Order(11)
  void aHomeOnASharedFileSystemIsReadWriteManyAndGoesWithTheClusterWhenAskedTo() throws Exception {
    client.storage().v1().storageClasses().resource(new io.fabric8.kubernetes.api.model.storage.StorageClassBuilder()
        .withNewMetadata().withName("shared-nfs")
          .addToAnnotations("storageclass.kubernetes.io/is-default-class", "true").endMetadata()
        .withProvisioner("nfs.csi.k8s.io").build()).create();
    SlurmCluster cluster = example();
    cluster.getMetadata().setName("team");
    cluster.getSpec().home.retainPolicy = io.slurmkube.api.HomeSpec.RetainPolicy.Delete;
    // A node set whose template mounts a volume the pod does not have: admission cannot see it.
    var template = new io.slurmkube.api.PodTemplate();
    template.spec.volumeMounts.add(new io.slurmkube.api.TemplateVolumeMount("not-there", "/data"));
    cluster.getSpec().nodeSets.get(0).template = template;
    client.resource(cluster).create();

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      var home = client.persistentVolumeClaims().inNamespace(NS).withName("team-home").get();
      assertThat(home).isNotNull();
      assertThat(home.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
      assertThat(home.getMetadata().getOwnerReferences()).extracting(o -> o.getName()).containsExactly("team");
      NodeSet nodeSet = client.resources(NodeSet.class).inNamespace(NS).withName("team-cpu").get();
      assertThat(nodeSet).isNotNull();
      assertThat(nodeSet.getStatus()).isNotNull();
      assertThat(nodeSet.getStatus().conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Ready");
        assertThat(c.getReason()).isEqualTo("InvalidTemplate");
        assertThat(c.getMessage()).contains("spec.nodeSets[cpu].template.spec.volumeMounts").contains("'not-there'");
      });
    });
    assertThat(client.pods().inNamespace(NS).withLabel("slurmkube.io/nodeset", "cpu").list().getItems())
        .as("no pod is created from a template that cannot work").isEmpty();

    client.resources(SlurmCluster.class).inNamespace(NS).withName("team").delete();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(client.persistentVolumeClaims().inNamespace(NS).withName("team-home").get()).isNull());
    assertThat(client.persistentVolumeClaims().inNamespace(NS).withName("demo-home").get())
        .as("another cluster's retained home is untouched").isNotNull();
    client.storage().v1().storageClasses().withName("shared-nfs").delete();
  }

  @Test
  @Order(12)
  void aPodTheApiServerRefusesIsReportedOnTheNodeSetWithItsMessage() throws Exception {
    SlurmCluster cluster = example();
    cluster.getMetadata().setName("limits");
    // A CPU limit below the CPU the node set requests (cpuRequest 250m): only the API server can tell.
    var template = new io.slurmkube.api.PodTemplate();
    template.spec.resources = new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
        .addToLimits("cpu", new io.fabric8.kubernetes.api.model.Quantity("100m")).build();
    cluster.getSpec().nodeSets.get(0).template = template;
    client.resource(cluster).create();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      NodeSet nodeSet = client.resources(NodeSet.class).inNamespace(NS).withName("limits-cpu").get();
      assertThat(nodeSet).isNotNull();
      assertThat(nodeSet.getStatus()).isNotNull();
      assertThat(nodeSet.getStatus().conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Ready");
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getMessage()).contains("the API server refused pod limits-cpu-0")
            .contains("must be less than or equal to cpu limit").contains("spec.nodeSets[cpu].template");
      });
    });
    client.resources(SlurmCluster.class).inNamespace(NS).withName("limits").delete();
  }

  // ---------------------------------------------------------------- deletion drains first

  static NodeSet nodeSet(String name) {
    return client.resources(NodeSet.class).inNamespace(NS).withName(name).get();
  }

  /** A cluster whose one node set has one pod, and a stand-in Slurm where that pod's node runs job {@code job}. */
  static StandInSlurm clusterWithABusyNode(String name, int gracePeriodSeconds, long job) throws Exception {
    var standIn = new StandInSlurm();
    slurm.put(name, standIn);
    SlurmCluster cluster = example();
    cluster.getMetadata().setName(name);
    cluster.getSpec().deletionGracePeriodSeconds = gracePeriodSeconds;
    var cpu = cluster.getSpec().nodeSets.get(0);
    cpu.minReplicas = null;
    cpu.maxReplicas = null;
    cpu.replicas = 1;
    client.resource(cluster).create();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(client.pods().inNamespace(NS).withName(name + "-cpu-0").get()).isNotNull();
      assertThat(nodeSet(name + "-cpu").getMetadata().getFinalizers()).contains("slurmkube.io/drain-nodes");
      assertThat(current(name).getMetadata().getFinalizers()).contains("slurmkube.io/wait-for-jobs");
    });
    standIn.node(name + "-cpu-0", job);
    return standIn;
  }

  static SlurmCluster current(String name) {
    return client.resources(SlurmCluster.class).inNamespace(NS).withName(name).get();
  }

  @Test
  @Order(13)
  void aNodeSetDeletedRightAfterItWasMadeIsNotCreatedAgain() throws Exception {
    // The finalizer goes on by patch with a precondition: it cannot bring a deleted NodeSet back (FACTS).
    for (int i = 0; i < 5; i++) {
      var lone = new NodeSet();
      lone.getMetadata().setName("lone-n" + i); // admission wants <clusterName>-<nodeSetName>
      lone.getMetadata().setNamespace(NS);
      lone.setSpec(new io.slurmkube.api.NodeSetResourceSpec());
      lone.getSpec().clusterName = "lone";
      lone.getSpec().nodeSetName = "n" + i;
      lone.getSpec().replicas = 1;
      client.resource(lone).create();
      if (i % 2 == 1) {
        Thread.sleep(300); // sometimes after the finalizer is on, sometimes before
      }
      client.resource(lone).delete();
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(client.resources(NodeSet.class).inNamespace(NS).list().getItems())
            .noneMatch(n -> n.getMetadata().getName().startsWith("lone-")));
    Thread.sleep(3000);
    assertThat(client.resources(NodeSet.class).inNamespace(NS).list().getItems())
        .as("no NodeSet made again from a late write").noneMatch(n -> n.getMetadata().getName().startsWith("lone-"));
  }

  @Test
  @Order(17)
  void aPodIsEvictableOnlyOnceItsNodeIsDrainedAndANodeWhosePodIsBeingDeletedIsDrained() throws Exception {
    var standIn = new StandInSlurm();
    slurm.put("gone", standIn);
    SlurmCluster cluster = example();
    cluster.getMetadata().setName("gone");
    var cpu = cluster.getSpec().nodeSets.get(0);
    cpu.minReplicas = null;
    cpu.maxReplicas = null;
    cpu.replicas = 1;
    client.resource(cluster).create();
    // No kubelet here: the pod stays Pending, with no Slurm node of its own. It is protected (it
    // used to be marked evictable, a label that outlived the pod's start).
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Pod pod = client.pods().inNamespace(NS).withName("gone-cpu-0").get();
      assertThat(pod).isNotNull();
      assertThat(pod.getMetadata().getLabels()).containsEntry("slurmkube.io/evictable", "false");
    });

    // Its slurmd registers; someone else deletes the pod (held by a finalizer, as a kubelet holds a
    // terminating pod while its stop hook runs). Nothing new may start on that node.
    standIn.node("gone-cpu-0", 0);
    // The operator labels the pod meanwhile (evictable): an edit on a stale read would be a 409.
    Conflicts.edit(client.pods().inNamespace(NS).withName("gone-cpu-0"), p -> {
      p.getMetadata().setFinalizers(List.of("slurmkube.io/test-hold"));
      return p;
    });
    client.pods().inNamespace(NS).withName("gone-cpu-0").delete();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(standIn.drains).contains("gone-cpu-0: slurmkube: pod gone-cpu-0 is being deleted"));

    // The operator labels the pod meanwhile (evictable): an edit on a stale read would be a 409.
    Conflicts.edit(client.pods().inNamespace(NS).withName("gone-cpu-0"), p -> {
      p.getMetadata().setFinalizers(List.of());
      return p;
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(standIn.deletedRecords).contains("gone-cpu-0"));
    client.resources(SlurmCluster.class).inNamespace(NS).withName("gone").delete();
  }

  @Test
  @Order(14)
  void aDeletedNodeSetStaysWhileItsNodeRunsAJobAndGoesOnceNoneIsLeft() throws Exception {
    StandInSlurm standIn = clusterWithABusyNode("drain", 600, 7);
    NodeSet before = nodeSet("drain-cpu");
    String podUid = client.pods().inNamespace(NS).withName("drain-cpu-0").get().getMetadata().getUid();

    client.resources(NodeSet.class).inNamespace(NS).withName("drain-cpu").delete();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      NodeSet deleting = nodeSet("drain-cpu");
      assertThat(deleting.getMetadata().getDeletionTimestamp()).isNotNull();
      assertThat(deleting.getStatus().conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Ready");
        assertThat(c.getReason()).isEqualTo("Deleting");
        assertThat(c.getMessage()).contains("waiting for 1 job(s) (7) on drain-cpu-0");
      });
      assertThat(standIn.drains).contains("drain-cpu-0: slurmkube: NodeSet drain-cpu is being deleted");
    });
    Thread.sleep(4000);
    assertThat(nodeSet("drain-cpu").getMetadata().getUid()).as("held while the job runs").isEqualTo(before.getMetadata().getUid());
    assertThat(client.pods().inNamespace(NS).withName("drain-cpu-0").get().getMetadata().getUid()).isEqualTo(podUid);
    assertThat(nodeSetEvents("drain-cpu", "Deleting")).anyMatch(m -> m.contains("waiting for 1 job(s) (7) on drain-cpu-0"));
    // A pass every 2 s: each change of what it waits for is told once, not once per pass.
    assertThat(eventsAbout(before.getMetadata().getUid(), "Deleting")).as("Deleting events of the NodeSet")
        .doesNotHaveDuplicates();

    standIn.endJob(7);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(standIn.deletedRecords).contains("drain-cpu-0");
      NodeSet again = nodeSet("drain-cpu");
      // Still in spec.nodeSets: the cluster makes it again, whole, once the old one is gone.
      assertThat(again).isNotNull();
      assertThat(again.getMetadata().getUid()).isNotEqualTo(before.getMetadata().getUid());
      assertThat(again.getSpec().clusterName).isEqualTo("drain");
      assertThat(again.getSpec().replicas).isEqualTo(1);
      var pod = client.pods().inNamespace(NS).withName("drain-cpu-0").get();
      assertThat(pod == null || !pod.getMetadata().getUid().equals(podUid)).as("the old pod is gone").isTrue();
    });
  }

  @Test
  @Order(15)
  void aDeletedClusterWaitsForItsRunningJobsThenGoes() throws Exception {
    StandInSlurm standIn = slurm.get("drain");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(client.pods().inNamespace(NS).withName("drain-cpu-0").get()).isNotNull());
    standIn.node("drain-cpu-0", 8);

    client.resources(SlurmCluster.class).inNamespace(NS).withName("drain").delete();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      SlurmCluster deleting = current("drain");
      assertThat(deleting.getStatus().conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Deleting");
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("WaitingForJobs");
        assertThat(c.getMessage()).contains("waiting for 1 running job(s) (8)")
            .contains("until " + java.time.Instant.parse(deleting.getMetadata().getDeletionTimestamp()).plusSeconds(600));
      });
      assertThat(standIn.get("drain-cpu-0").isDrainFlagged()).as("no new job starts").isTrue();
    });
    Thread.sleep(4000);
    assertThat(client.apps().statefulSets().inNamespace(NS).withName("drain-controller").get())
        .as("slurmctld stays while a job runs").isNotNull();
    assertThat(client.pods().inNamespace(NS).withName("drain-cpu-0").get()).as("the busy node's pod stays").isNotNull();
    List<String> waiting = eventsAbout(current("drain").getMetadata().getUid(), "Deleting");
    assertThat(waiting).as("Deleting events of the cluster, a pass every 5 s").doesNotHaveDuplicates()
        .filteredOn(m -> m.contains("waiting for 1 running job(s) (8)")).hasSize(1);

    standIn.endJob(8);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(current("drain")).isNull();
      assertThat(client.apps().statefulSets().inNamespace(NS).withName("drain-controller").get()).isNull();
      assertThat(nodeSet("drain-cpu")).isNull();
      assertThat(client.pods().inNamespace(NS).withName("drain-cpu-0").get()).isNull();
    });
  }

  @Test
  @Order(16)
  void aDeletedClusterGoesAtTheEndOfItsGracePeriodEvenWithAJobRunning() throws Exception {
    clusterWithABusyNode("brief", 10, 9);
    client.resources(SlurmCluster.class).inNamespace(NS).withName("brief").delete();
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(current("brief").getStatus().conditions)
        .anySatisfy(c -> assertThat(c.getType() + " " + c.getReason()).isEqualTo("Deleting WaitingForJobs")));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(current("brief")).isNull();
      assertThat(nodeSet("brief-cpu")).isNull();
      assertThat(client.pods().inNamespace(NS).withName("brief-cpu-0").get()).isNull();
    });
    assertThat(client.v1().events().inNamespace(NS).list().getItems()).anySatisfy(e -> {
      assertThat(e.getInvolvedObject().getName()).isEqualTo("brief");
      assertThat(e.getReason()).isEqualTo("GracePeriodOver");
      assertThat(e.getMessage()).contains("1 job(s) (9) still running are killed");
    });
  }

  /**
   * A GPU node set's claim template cannot be changed in place (its spec is immutable): a new
   * DeviceClass replaces it, and says so, instead of failing every pass. Its GPU count cannot be
   * changed at all: admission says why and what to do instead.
   */
  @Test
  @Order(18)
  void changingAGpuNodeSetsDeviceClassReplacesItsClaimTemplateAndItsCountIsRefused() throws Exception {
    SlurmCluster cluster = example();
    cluster.getMetadata().setName("accel");
    var gpu = cluster.getSpec().nodeSets.get(0);
    gpu.replicas = 0;
    gpu.gpus = 1;
    client.resource(cluster).create();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(claimTemplateAsks("accel-cpu-gpus"))
        .isEqualTo("1 of gpu.slurmkube.io"));
    var refused = org.assertj.core.api.Assertions.catchThrowable(() ->
        Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("accel"), c -> {
          c.getSpec().nodeSets.get(0).gpus = 4;
          return c;
        }));
    assertThat(refused).hasMessageContaining("spec.nodeSets[].gpus cannot be changed").hasMessageContaining("add a node set");
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("accel"), c -> {
      c.getSpec().nodeSets.get(0).deviceClassName = "gpu.nvidia.com";
      return c;
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(claimTemplateAsks("accel-cpu-gpus")).isEqualTo("1 of gpu.nvidia.com");
      assertThat(nodeSetEvents("accel-cpu", "GpuClaimTemplateReplaced"))
          .anySatisfy(m -> assertThat(m).contains("1 GPU(s) of DeviceClass gpu.nvidia.com"));
    });
    // Replaced once, and then left alone: the next passes find it asking for what they want.
    Thread.sleep(2000);
    assertThat(nodeSetEvents("accel-cpu", "GpuClaimTemplateReplaced")).hasSize(1);
    // Owned by its NodeSet, as the first one was.
    assertThat(claimTemplates().inNamespace(NS).withName("accel-cpu-gpus").get().getMetadata().getOwnerReferences())
        .anySatisfy(o -> assertThat(o.getName()).isEqualTo("accel-cpu"));
  }

  private static io.fabric8.kubernetes.client.dsl.MixedOperation<io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplate,
      io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplateList,
      io.fabric8.kubernetes.client.dsl.Resource<io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplate>> claimTemplates() {
    return client.resources(io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplate.class,
        io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplateList.class);
  }

  /** What a claim template's one request asks for, "COUNT of CLASS", or "none" while there is no template. */
  private static String claimTemplateAsks(String name) {
    var template = claimTemplates().inNamespace(NS).withName(name).get();
    if (template == null) {
      return "none";
    }
    var exactly = template.getSpec().getSpec().getDevices().getRequests().get(0).getExactly();
    return exactly.getCount() + " of " + exactly.getDeviceClassName();
  }

  /** Run last: everything above was done by the operator as the chart's ServiceAccount, with the chart's RBAC. */
  @Test
  @Order(100)
  void everyCallTheOperatorMadeWasAllowedByTheChartsRbac() throws Exception {
    Files.createDirectories(Path.of("target"));
    Files.write(Path.of("target/operator-it-requests.txt"), requests.seen());
    assertThat(requests.seen()).as("the request log saw the operator's calls")
        .contains("watch slurmkube.io/slurmclusters", "create /pods ns=" + NS, "patch slurmkube.io/nodesets/status ns=" + NS);
    assertThat(requests.forbidden()).as("requests the chart's RBAC refused").isEmpty();
  }

  private static List<String> nodeSetEvents(String name, String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(name) && reason.equals(e.getReason()))
        .map(e -> e.getMessage()).toList();
  }

  private static List<String> eventsAbout(String uid, String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> uid.equals(e.getInvolvedObject().getUid()) && reason.equals(e.getReason()))
        .map(e -> e.getMessage()).toList();
  }

  private static List<String> events(String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals("demo") && reason.equals(e.getReason()))
        .map(e -> e.getMessage()).toList();
  }

  private static String slurmConf() {
    return configFile("slurm.conf");
  }

  private static String configFile(String name) {
    return client.configMaps().inNamespace(NS).withName("demo-config").get().getData().get(name);
  }

  private static String controllerHash() {
    return client.apps().statefulSets().inNamespace(NS).withName("demo-controller").get()
        .getSpec().getTemplate().getMetadata().getAnnotations().get(ClusterModel.CONFIG_HASH);
  }
}
