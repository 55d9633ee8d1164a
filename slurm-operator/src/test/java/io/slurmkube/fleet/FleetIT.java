package io.slurmkube.fleet;

import io.slurmkube.model.PoolMarks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.FleetSpec;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.testing.Conflicts;
import io.slurmkube.testing.Crds;
import io.slurmkube.testing.OperatorUnderTest;
import io.slurmkube.testing.RealApiServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fleet controller's writes against a real kube-apiserver (with the real disruption controller
 * computing PodDisruptionBudgets): node marks, lending, reclaiming through the Eviction API, PDBs,
 * conflicts between clusters, and releasing the pool. There is no kubelet and no scheduler: the test
 * binds pods and reports their status itself, as those would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetIT {

  @RegisterExtension static RealApiServer api = new RealApiServer();

  static final String NS = "fleet-it";
  static final String POOL = "fleet-it.hpc";
  static KubernetesClient client;
  static OperatorUnderTest operator;
  /** Every node's resourceVersion before any pool existed. */
  static final Map<String, String> untouched = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    Crds.install(api.client());
    client = api.client();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("web").endMetadata().build()).create();
    for (int i = 0; i < 8; i++) {
      createNode("node-" + i, i < 6 ? "a" : "b");
    }
    // In rack a as well, but a control-plane node: it never joins, whatever the selectors.
    createNode("cp-0", "a");
    client.nodes().withName("cp-0").edit(n -> {
      n.getMetadata().getLabels().put("node-role.kubernetes.io/control-plane", "");
      return n;
    });
    // The administrator's grant: every racked node, for this namespace, lending allowed, GPU taints tolerable.
    var pool = FleetFixtures.grant("rack", true, NS);
    var gpu = new io.slurmkube.api.SlurmNodePoolSpec.TolerableTaint();
    gpu.key = "nvidia.com/gpu";
    pool.getSpec().tolerableTaints.add(gpu);
    client.resource(pool).create();
    client.nodes().list().getItems().forEach(n -> untouched.put(n.getMetadata().getName(), n.getMetadata().getResourceVersion()));
    operator = OperatorUnderTest.start(api, NS, "garbagecollector,disruption");
  }

  @AfterAll
  static void stop() throws Exception {
    if (operator != null) {
      operator.close();
    }
  }

  static void createNode(String name, String rack) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).addToLabels("rack", rack).endMetadata()
        .withNewSpec().endSpec().build()).create();
    client.nodes().withName(name).editStatus(n -> {
      n.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
          .withConditions(new NodeConditionBuilder().withType("Ready").withStatus("True").withReason("KubeletReady").build())
          .addToAllocatable("cpu", new Quantity("4")).addToAllocatable("memory", new Quantity("8Gi"))
          .addToAllocatable("pods", new Quantity("110"))
          .addToCapacity("cpu", new Quantity("4")).addToCapacity("memory", new Quantity("8Gi"))
          .build());
      return n;
    });
  }

  static io.fabric8.kubernetes.api.model.Toleration toleration(String key, String value, String effect) {
    return new io.fabric8.kubernetes.api.model.TolerationBuilder().withKey(key).withOperator(value == null ? "Exists" : "Equal")
        .withValue(value).withEffect(effect).build();
  }

  static SlurmCluster cluster(String name, FleetSpec fleet) {
    return FleetFixtures.cluster(NS, name, fleet);
  }

  static FleetSpec rackA(Integer count) {
    return FleetFixtures.selecting("rack", "a", count);
  }

  static SlurmCluster hpc() {
    return client.resources(SlurmCluster.class).inNamespace(NS).withName("hpc").get();
  }

  static io.slurmkube.api.FleetStatus fleet(String cluster) {
    var c = client.resources(SlurmCluster.class).inNamespace(NS).withName(cluster).get();
    assertThat(c.getStatus()).as("status of %s", cluster).isNotNull();
    assertThat(c.getStatus().fleet).as("status.fleet of %s", cluster).isNotNull();
    return c.getStatus().fleet;
  }

  static List<Node> nodesIn(String pool) {
    return client.nodes().withLabel(PoolMarks.POOL, pool).list().getItems();
  }

  static String state(Node n) {
    return n.getMetadata().getLabels().get(PoolMarks.STATE);
  }

  static boolean tainted(Node n, String pool) {
    return n.getSpec().getTaints() != null && n.getSpec().getTaints().stream()
        .anyMatch(t -> t.getKey().equals(PoolMarks.POOL) && pool.equals(t.getValue()) && t.getEffect().equals("NoSchedule"));
  }

  static Node node(String name) {
    return client.nodes().withName(name).get();
  }

  static List<String> names(List<Node> nodes) {
    return nodes.stream().map(n -> n.getMetadata().getName()).sorted().toList();
  }

  static List<Event> events(String cluster, String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(cluster) && reason.equals(e.getReason())).toList();
  }

  /** What the scheduler does once it placed a pod, and what the kubelet reports once it runs. */
  static void bindAndRun(String namespace, String pod, String nodeName) {
    client.bindings().inNamespace(namespace).resource(new BindingBuilder().withNewMetadata().withName(pod).endMetadata()
        .withNewTarget().withKind("Node").withName(nodeName).endTarget().build()).create();
    running(namespace, pod);
  }

  static void running(String namespace, String pod) {
    client.pods().inNamespace(namespace).withName(pod).editStatus(p -> {
      p.getStatus().setPhase("Running");
      p.getStatus().setConditions(List.of(
          new PodConditionBuilder().withType("PodScheduled").withStatus("True").build(),
          new PodConditionBuilder().withType("Ready").withStatus("True").build()));
      return p;
    });
  }

  /** What the scheduler reports when no node fits a pod. */
  static void unschedulable(String pod) {
    client.pods().inNamespace(NS).withName(pod).editStatus(p -> {
      p.getStatus().setConditions(List.of(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
          .withReason("Unschedulable").withMessage("0/8 nodes are available: 8 node(s) didn't match Pod's node affinity/selector.").build()));
      return p;
    });
  }

  /** A Kubernetes workload pod bound to a node, running. */
  static void webPod(String name, String nodeName) {
    client.pods().inNamespace("web").resource(new PodBuilder().withNewMetadata().withName(name).addToLabels("app", "web").endMetadata()
        .withNewSpec().withNodeName(nodeName).withTerminationGracePeriodSeconds(0L)
          .addNewContainer().withName("web").withImage("web:1")
            .withNewResources().addToRequests("cpu", new Quantity("1")).endResources().endContainer()
        .endSpec().build()).create();
    running("web", name);
  }

  static Pod webPod(String name) {
    return client.pods().inNamespace("web").withName(name).get();
  }

  static void scale(int replicas) {
    client.resources(NodeSet.class).inNamespace(NS).withName("hpc-cpu").scale(replicas);
  }

  static Pod slurmdPod(String name) {
    await(name + " created").atMost(Duration.ofSeconds(30)).until(() -> client.pods().inNamespace(NS).withName(name).get() != null);
    return client.pods().inNamespace(NS).withName(name).get();
  }

  // ---------------------------------------------------------------- tests

  @Test
  @Order(1)
  void thePoolIsMarkedAsDeclaredAndNoOtherNodeIsTouched() {
    var fleet = rackA(4);
    fleet.podTolerations.add(toleration("nvidia.com/gpu", null, "NoSchedule"));
    fleet.podTolerations.add(toleration("dedicated", "web", "NoExecute"));
    client.resource(cluster("hpc", fleet)).create();
    await("four rack-a nodes in the pool").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      var pool = nodesIn(POOL);
      assertThat(pool).hasSize(4).allSatisfy(n -> {
        assertThat(n.getMetadata().getLabels()).containsEntry("rack", "a").containsEntry(PoolMarks.STATE, "slurm");
        assertThat(n.getMetadata().getAnnotations()).containsEntry(PoolMarks.OWNER, NS + "/hpc");
        assertThat(tainted(n, POOL)).as("taint on %s", n.getMetadata().getName()).isTrue();
      });
      assertThat(fleet("hpc").poolNodes).isEqualTo(4);
      assertThat(fleet("hpc").reserved).isEqualTo(4);
    });
    // Nodes 0-3 joined (by name); 4 and 5 match but the count is 4; 6 and 7 are in rack b.
    assertThat(names(nodesIn(POOL))).containsExactly("node-0", "node-1", "node-2", "node-3");
    for (String other : List.of("node-4", "node-5", "node-6", "node-7", "cp-0")) {
      assertThat(node(other).getMetadata().getResourceVersion()).as("%s untouched", other).isEqualTo(untouched.get(other));
    }
    assertThat(events("hpc", "PoolNodeAdded")).hasSize(4);
    assertThat(hpc().getMetadata().getFinalizers()).contains(FleetReconciler.FINALIZER);
    assertThat(hpc().getStatus().fleet.poolLabel).isEqualTo("slurmkube.io/pool=" + POOL);
    assertThat(hpc().getStatus().fleet.conditions).singleElement().satisfies(c -> {
      assertThat(c.getType()).isEqualTo("PoolGranted");
      assertThat(c.getStatus()).isEqualTo("True");
    });
  }

  @Test
  @Order(2)
  void theClusterStatusKeepsBothControllersFields() {
    await("the SlurmCluster controller's conditions and the pool side by side").atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> {
          var status = hpc().getStatus();
          assertThat(status.conditions).extracting(c -> c.getType()).contains("Ready");
          assertThat(status.components).isNotEmpty();
          assertThat(status.fleet).isNotNull();
          assertThat(status.fleet.poolNodes).isEqualTo(4);
        });
    // A later status write of the SlurmCluster controller leaves status.fleet in place.
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("hpc"), c -> {
      c.getSpec().login.replicas = 2;
      return c;
    });
    await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      var status = hpc().getStatus();
      assertThat(status.observedGeneration).isEqualTo(hpc().getMetadata().getGeneration());
      assertThat(status.fleet).isNotNull();
      assertThat(status.fleet.poolNodes).isEqualTo(4);
    });
  }

  @Test
  @Order(3)
  void slurmdPodsSelectAndTolerateExactlyTheirPool() {
    scale(1);
    Pod pod = slurmdPod("hpc-cpu-0");
    assertThat(pod.getSpec().getNodeSelector())
        .isEqualTo(Map.of(PoolMarks.POOL, POOL, PoolMarks.STATE, "slurm"));
    assertThat(pod.getSpec().getTolerations()).anySatisfy(t -> {
      assertThat(t.getKey()).isEqualTo(PoolMarks.POOL);
      assertThat(t.getValue()).isEqualTo(POOL);
      assertThat(t.getEffect()).isEqualTo("NoSchedule");
    });
    // The pool grants the GPU taint, not the other one: the pod tolerates only what was granted.
    // (The API server adds its own not-ready/unreachable tolerations.)
    assertThat(pod.getSpec().getTolerations()).extracting(t -> t.getKey())
        .contains(PoolMarks.POOL, "nvidia.com/gpu").doesNotContain("dedicated");
    assertThat(hpc().getStatus().fleet.refused).singleElement().asString()
        .contains("spec.fleet.podTolerations dedicated=web:NoExecute: not covered by SlurmNodePool hpc-nodes");
    assertThat(hpc().getStatus().fleet.conditions).singleElement()
        .satisfies(c -> assertThat(c.getReason()).isEqualTo("PartlyGranted"));
    assertThat(events("hpc", "PoolPartlyRefused")).singleElement()
        .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
    bindAndRun(NS, "hpc-cpu-0", "node-2");
  }

  @Test
  @Order(4)
  void idlePoolNodesAreLentAndTheOneWithASlurmdPodIsNot() {
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("hpc"), c -> {
      c.getSpec().fleet.lending.enabled = true;
      c.getSpec().fleet.lending.idleSeconds = 2;
      return c;
    });
    await("three idle nodes lent").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      var pool = nodesIn(POOL);
      assertThat(pool.stream().filter(n -> "lent".equals(state(n))).map(n -> n.getMetadata().getName()).sorted())
          .containsExactly("node-0", "node-1", "node-3");
      assertThat(pool).filteredOn(n -> "lent".equals(state(n))).allSatisfy(n -> assertThat(tainted(n, POOL)).isFalse());
      assertThat(state(node("node-2"))).isEqualTo("slurm");
      assertThat(tainted(node("node-2"), POOL)).isTrue();
      var fleet = hpc().getStatus().fleet;
      assertThat(fleet.lent).isEqualTo(3);
      assertThat(fleet.lentNodes).containsExactly("node-0", "node-1", "node-3");
    });
    assertThat(events("hpc", "PoolNodeLent")).hasSize(3)
        .allSatisfy(e -> assertThat(e.getMessage()).contains("lent to Kubernetes: no slurmd pod for"));
  }

  @Test
  @Order(5)
  void aWaitingSlurmdPodReclaimsOneLentNodeThroughTheEvictionApi() {
    webPod("web-0", "node-0");
    webPod("web-1", "node-1");
    webPod("web-3", "node-3");
    scale(2);
    slurmdPod("hpc-cpu-1");
    unschedulable("hpc-cpu-1");
    await("node-0 reclaimed").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Node n = node("node-0");
      assertThat(state(n)).isEqualTo("slurm");
      assertThat(tainted(n, POOL)).isTrue();
    });
    assertThat(webPod("web-0")).as("evicted").isNull();
    assertThat(events("hpc", "PodEvicted")).singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains("web/web-0").contains("node-0"));
    assertThat(events("hpc", "PoolNodeReclaiming")).isNotEmpty();
    assertThat(events("hpc", "PoolNodeReclaimed")).isNotEmpty();
    // One pod waited, one node came back: the other lent nodes keep their Kubernetes pods.
    assertThat(state(node("node-1"))).isEqualTo("lent");
    assertThat(state(node("node-3"))).isEqualTo("lent");
    assertThat(webPod("web-1").getMetadata().getDeletionTimestamp()).isNull();
    assertThat(webPod("web-3").getMetadata().getDeletionTimestamp()).isNull();
    bindAndRun(NS, "hpc-cpu-1", "node-0");
  }

  @Test
  @Order(6)
  void aPodDisruptionBudgetBlocksTheReclaimAndStatusSaysWhy() {
    client.policy().v1().podDisruptionBudget().inNamespace("web").resource(new PodDisruptionBudgetBuilder()
        .withNewMetadata().withName("web").endMetadata()
        .withNewSpec().withNewMinAvailable(2).withNewSelector().addToMatchLabels("app", "web").endSelector().endSpec()
        .build()).create();
    await("the disruption controller computed the budget").atMost(Duration.ofSeconds(30)).until(() -> {
      var pdb = client.policy().v1().podDisruptionBudget().inNamespace("web").withName("web").get();
      return pdb.getStatus() != null && Integer.valueOf(2).equals(pdb.getStatus().getCurrentHealthy());
    });
    String uid1 = webPod("web-1").getMetadata().getUid();
    String uid3 = webPod("web-3").getMetadata().getUid();
    scale(3);
    slurmdPod("hpc-cpu-2");
    unschedulable("hpc-cpu-2");
    await("node-1 reclaiming, held up by the budget").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      var fleet = hpc().getStatus().fleet;
      assertThat(fleet.reclaiming).isEqualTo(1);
      assertThat(fleet.reclaimingNodes).singleElement().satisfies(n -> {
        assertThat(n.node).isEqualTo("node-1");
        assertThat(n.reason).contains("pod web/web-1 may not be evicted").contains("disruption budget");
      });
      assertThat(tainted(node("node-1"), POOL)).isTrue();
      assertThat(state(node("node-1"))).isEqualTo("reclaiming");
    });
    assertThat(events("hpc", "EvictionBlocked")).singleElement()
        .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
    // Nothing protected was evicted however often the operator tried, and the reclaim did not spread.
    await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).untilAsserted(() -> {
      assertThat(webPod("web-1").getMetadata().getUid()).isEqualTo(uid1);
      assertThat(webPod("web-1").getMetadata().getDeletionTimestamp()).isNull();
      assertThat(webPod("web-3").getMetadata().getUid()).isEqualTo(uid3);
      assertThat(state(node("node-3"))).isEqualTo("lent");
    });

    // The budget's owner relents: the reclaim goes through.
    client.policy().v1().podDisruptionBudget().inNamespace("web").withName("web").delete();
    await("node-1 reclaimed once the budget is gone").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(state(node("node-1"))).isEqualTo("slurm");
      assertThat(webPod("web-1")).isNull();
      var fleet = hpc().getStatus().fleet;
      assertThat(fleet.reserved).isEqualTo(3);
      assertThat(fleet.lentNodes).containsExactly("node-3");
      assertThat(fleet.reclaiming).isZero();
    });
  }

  @Test
  @Order(7)
  void aSecondClusterClaimingTheSameNodesTakesOnlyFreeOnesAndSaysWhy() {
    client.resource(cluster("other", rackA(5))).create();
    await("the other pool took the two free rack-a nodes and reports the rest").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(names(nodesIn("fleet-it.other"))).containsExactly("node-4", "node-5");
      var fleet = fleet("other");
      assertThat(fleet.problems).anySatisfy(p -> assertThat(p)
          .contains("4 node(s) matching the selectors are in the pool of SlurmCluster fleet-it/hpc"));
      assertThat(fleet.problems).anySatisfy(p -> assertThat(p).contains("the pool may have 5 nodes but only 2 can join"));
      assertThat(fleet.problems).anySatisfy(p -> assertThat(p).contains("1 control-plane node(s) match the selectors (cp-0)"));
    });
    // Each node is in one pool, and the first cluster's pool did not move.
    assertThat(names(nodesIn(POOL))).containsExactly("node-0", "node-1", "node-2", "node-3");
    for (Node n : client.nodes().list().getItems()) {
      long pools = n.getSpec().getTaints() == null ? 0 : n.getSpec().getTaints().stream().filter(t -> t.getKey().equals(PoolMarks.POOL)).count();
      assertThat(pools).as("pool taints on %s", n.getMetadata().getName()).isLessThanOrEqualTo(1);
    }
    assertThat(events("other", "FleetProblem")).isNotEmpty();
    assertThat(node("cp-0").getMetadata().getResourceVersion()).as("cp-0 untouched").isEqualTo(untouched.get("cp-0"));
  }

  @Test
  @Order(8)
  void aSelectorMatchingNoNodeIsReported() {
    client.resource(cluster("nowhere", FleetFixtures.selecting("rack", "z", null))).create();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      var status = fleet("nowhere");
      assertThat(status.problems).singleElement().asString()
          .contains("no node matches SlurmNodePool hpc-nodes's selector and spec.fleet.nodeSelector (rack and rack=z");
      assertThat(status.poolNodes).isZero();
    });
  }

  @Test
  @Order(9)
  void aClusterInANamespaceNotGrantedTouchesNoNodeAndSaysSoUntilTheAdministratorGrantsIt() {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("outsider").endMetadata().build()).create();
    Map<String, String> before = new HashMap<>();
    client.nodes().list().getItems().forEach(n -> before.put(n.getMetadata().getName(), n.getMetadata().getResourceVersion()));
    client.resource(FleetFixtures.cluster("outsider", "hpc", FleetFixtures.selecting("rack", "b", 1))).create();
    await("the refusal in status").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      var c = client.resources(SlurmCluster.class).inNamespace("outsider").withName("hpc").get();
      assertThat(c.getStatus()).isNotNull();
      assertThat(c.getStatus().fleet).isNotNull();
      var status = c.getStatus().fleet;
      assertThat(status.conditions).singleElement().satisfies(cond -> {
        assertThat(cond.getType()).isEqualTo("PoolGranted");
        assertThat(cond.getStatus()).isEqualTo("False");
        assertThat(cond.getReason()).isEqualTo("NamespaceNotGranted");
        assertThat(cond.getMessage()).contains("SlurmNodePool hpc-nodes does not grant namespace outsider");
      });
      assertThat(status.refused).singleElement().asString().contains("does not grant namespace outsider");
      assertThat(status.granted.nodes).isZero();
      assertThat(status.poolNodes).isZero();
    });
    assertThat(client.v1().events().inNamespace("outsider").list().getItems())
        .anySatisfy(e -> {
          assertThat(e.getReason()).isEqualTo("PoolRefused");
          assertThat(e.getType()).isEqualTo("Warning");
        });
    // No node was written to on its behalf.
    await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(nodesIn("outsider.hpc")).isEmpty();
      assertThat(node("node-6").getMetadata().getResourceVersion()).isEqualTo(before.get("node-6"));
      assertThat(node("node-7").getMetadata().getResourceVersion()).isEqualTo(before.get("node-7"));
    });

    // The administrator grants the namespace: the change to the pool wakes the cluster, which takes its node.
    client.resources(io.slurmkube.api.SlurmNodePool.class).withName(FleetFixtures.POOL_NAME).edit(p -> {
      p.getSpec().namespaces.add("outsider");
      return p;
    });
    await("granted, one rack-b node joins").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(names(nodesIn("outsider.hpc"))).containsExactly("node-6");
      var status = client.resources(SlurmCluster.class).inNamespace("outsider").withName("hpc").get().getStatus().fleet;
      assertThat(status.conditions).singleElement().satisfies(cond -> assertThat(cond.getStatus()).isEqualTo("True"));
      assertThat(status.refused).isEmpty();
    });
    // ... and withdraws it: the marks come off again.
    client.resources(io.slurmkube.api.SlurmNodePool.class).withName(FleetFixtures.POOL_NAME).edit(p -> {
      p.getSpec().namespaces.remove("outsider");
      return p;
    });
    await("grant withdrawn, node released").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(nodesIn("outsider.hpc")).isEmpty();
      assertThat(tainted(node("node-6"), "outsider.hpc")).isFalse();
    });
    client.resources(SlurmCluster.class).inNamespace("outsider").withName("hpc").delete();
  }

  @Test
  @Order(10)
  void aClusterNamingNoExistingPoolTouchesNoNode() {
    var fleet = rackA(1);
    fleet.pool = "no-such-pool";
    client.resource(cluster("unpooled", fleet)).create();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      var status = fleet("unpooled");
      assertThat(status.conditions).singleElement().satisfies(c -> assertThat(c.getReason()).isEqualTo("PoolNotFound"));
      assertThat(status.problems).singleElement().asString().contains("SlurmNodePool no-such-pool (spec.fleet.pool) does not exist");
    });
    assertThat(nodesIn("fleet-it.unpooled")).isEmpty();
    client.resources(SlurmCluster.class).inNamespace(NS).withName("unpooled").delete();
  }

  @Test
  @Order(11)
  void deletingAClusterOrRemovingItsPolicyTakesEveryMarkOff() {
    client.resources(SlurmCluster.class).inNamespace(NS).withName("other").delete();
    client.resources(SlurmCluster.class).inNamespace(NS).withName("nowhere").delete();
    await("the other cluster is gone and so are its marks").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(client.resources(SlurmCluster.class).inNamespace(NS).withName("other").get()).isNull();
      assertThat(nodesIn("fleet-it.other")).isEmpty();
    });
    assertThat(node("node-4").getSpec().getTaints()).noneMatch(t -> t.getKey().equals(PoolMarks.POOL));

    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NS).withName("hpc"), c -> {
      c.getSpec().fleet = null;
      return c;
    });
    await("hpc's pool released").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(nodesIn(POOL)).isEmpty();
      assertThat(client.nodes().list().getItems()).allSatisfy(n -> assertThat(tainted(n, POOL)).isFalse());
      assertThat(hpc().getMetadata().getFinalizers()).doesNotContain(FleetReconciler.FINALIZER);
      assertThat(hpc().getStatus().fleet).isNull();
      assertThat(hpc().getStatus().conditions).isNotEmpty();
    });
    assertThat(events("hpc", "PoolNodeReleased")).hasSize(4);
    // What is left on the nodes is what was there before: the rack labels, no mark of the operator.
    for (Node n : client.nodes().list().getItems()) {
      assertThat(n.getMetadata().getLabels().keySet().stream().filter(k -> k.startsWith("slurmkube.io/")).collect(Collectors.toList()))
          .as("slurmkube labels on %s", n.getMetadata().getName()).isEmpty();
      assertThat(n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations())
          .as("annotations on %s", n.getMetadata().getName()).doesNotContainKey(PoolMarks.OWNER);
      assertThat(n.getSpec().getTaints()).as("taints on %s", n.getMetadata().getName())
          .noneMatch(t -> t.getKey().startsWith("slurmkube.io/"));
    }
  }

  @Test
  @Order(12)
  void theFleetExampleIsAcceptedAndReportsItsPool() throws Exception {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("fleet-example").endMetadata().build()).create();
    try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("../examples/slurmcluster-fleet.yaml"))) {
      var serialization = client.getKubernetesSerialization();
      var items = client.load(in).items();
      // The example's grant replaces the test's pool of the same name, for the example's namespace too.
      var pool = items.stream().filter(o -> "SlurmNodePool".equals(o.getKind()))
          .map(o -> serialization.convertValue(o, io.slurmkube.api.SlurmNodePool.class)).findFirst().orElseThrow();
      pool.getSpec().namespaces.add("fleet-example");
      client.resources(io.slurmkube.api.SlurmNodePool.class).withName(pool.getMetadata().getName()).delete();
      await().atMost(Duration.ofSeconds(10)).until(() ->
          client.resources(io.slurmkube.api.SlurmNodePool.class).withName(pool.getMetadata().getName()).get() == null);
      client.resource(pool).create();
      SlurmCluster example = items.stream().filter(o -> "SlurmCluster".equals(o.getKind()))
          .map(o -> serialization.convertValue(o, SlurmCluster.class)).findFirst().orElseThrow();
      example.getMetadata().setNamespace("fleet-example");
      client.resource(example).create();
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      var c = client.resources(SlurmCluster.class).inNamespace("fleet-example").withName("hpc").get();
      assertThat(c.getStatus()).isNotNull();
      var status = c.getStatus().fleet;
      assertThat(status).isNotNull();
      assertThat(status.poolLabel).isEqualTo("slurmkube.io/pool=fleet-example.hpc");
      // No node here carries the example's candidate label: the status says so, nothing is marked.
      assertThat(status.problems).singleElement().asString()
          .contains("no node matches SlurmNodePool hpc-nodes's selector (slurmkube.io/fleet-candidate=hpc, no control-plane node)");
    });
    assertThat(nodesIn("fleet-example.hpc")).isEmpty();
  }
}
