package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.slurmkube.api.FleetSpec;
import io.slurmkube.api.FleetStatus;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.PartitionSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterSpec;
import io.slurmkube.api.SlurmNodePool;
import io.slurmkube.api.SlurmNodePoolSpec;
import io.slurmkube.testing.Conflicts;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fleet partitioning on the local cluster, with the operator installed by its chart: a SlurmNodePool
 * that grants 60 simulated nodes (KWOK), first not to the cluster's namespace (no node is touched),
 * then to it, and the Slurm pool takes 40 of them; pools with selectors that would take unnamed or
 * control-plane nodes refused at admission; a Kubernetes Deployment that never lands on a
 * reserved node; idle pool nodes lent and reclaimed through the Eviction API; a PodDisruptionBudget
 * that holds a reclaim up; then the real node of the cluster in a pool, running a real slurmd pod
 * and a real job. Every fake node and every mark on the real node is gone afterwards.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetPoolIT {
  static final String SIM_NS = "e2e-fleet";
  static final String WORK_NS = "e2e-fleet-k8s";
  static final String REAL_NS = "e2e-fleet-real";
  static final String SIM_POOL = SIM_NS + ".sim";
  static final String POOL = "slurmkube.io/pool";
  static final String STATE = "slurmkube.io/pool-state";
  static final String FLEET = "e2e.slurmkube.io/fleet";
  static final int FLEET_SIZE = 60;
  static final int POOL_SIZE = 40;
  /** The administrator's grants: the simulated nodes, and (later) the one real node. */
  static final String SIM_GRANT = "e2e-fleet-sim";
  static final String REAL_GRANT = "e2e-fleet-real";

  static KubernetesClient client;
  static Kwok kwok;
  static Watch evictionWatch;
  /** Pods of the Kubernetes workload that the API server marked as evicted through the Eviction API. */
  static final Set<String> evictedByApi = ConcurrentHashMap.newKeySet();
  static final Map<String, Duration> timings = new java.util.LinkedHashMap<>();

  @BeforeAll
  static void installAndSimulateAFleet() throws Exception {
    client = LocalCluster.client();
    SlurmOnKubernetes.installOperator("--set", "fleet.enabled=true"); // Slurm pools are off by default
    kwok = Kwok.start(client, "fleet");
    kwok.createNodes("kwok-fleet", FLEET_SIZE, Map.of(FLEET, "sim"));
    await("60 simulated nodes Ready").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .until(() -> kwok.nodes().stream().filter(Kwok::ready).count() == FLEET_SIZE);
    for (String ns : List.of(SIM_NS, WORK_NS, REAL_NS)) {
      client.namespaces().resource(SlurmOnKubernetes.namespace(ns, SlurmOnKubernetes.BASELINE)).serverSideApply();
    }
    evictionWatch = client.pods().inNamespace(WORK_NS).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        if (pod.getStatus() != null && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "DisruptionTarget".equals(c.getType()) && "EvictionByEvictionAPI".equals(c.getReason()))) {
          evictedByApi.add(pod.getMetadata().getName());
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    });
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (client == null) {
      return;
    }
    if (evictionWatch != null) {
      evictionWatch.close();
    }
    try {
      for (String ns : List.of(SIM_NS, REAL_NS)) {
        for (SlurmCluster c : client.resources(SlurmCluster.class).inNamespace(ns).list().getItems()) {
          try {
            Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(ns).withName(c.getMetadata().getName()), x -> {
              x.getSpec().fleet = null;
              return x;
            });
          } catch (RuntimeException e) {
            System.out.println("could not remove spec.fleet of " + ns + "/" + c.getMetadata().getName() + ": " + e.getMessage());
          }
        }
      }
      await("the operator took its marks off").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
          .until(() -> client.nodes().list().getItems().stream().noneMatch(FleetPoolIT::marked));
    } finally {
      unmarkByHand();
      for (String grant : List.of(SIM_GRANT, REAL_GRANT)) {
        client.resources(SlurmNodePool.class).withName(grant).delete();
      }
      for (String ns : List.of(SIM_NS, WORK_NS, REAL_NS)) {
        client.namespaces().withName(ns).delete();
      }
      await("test namespaces gone").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2))
          .until(() -> List.of(SIM_NS, WORK_NS, REAL_NS).stream().allMatch(ns -> client.namespaces().withName(ns).get() == null));
      if (kwok != null) {
        kwok.close();
      }
      timings.forEach((what, took) -> System.out.printf("fleet timing: %s %.1f s%n", what, took.toMillis() / 1000.0));
      client.close();
    }
  }

  /** The safety net if the operator could not: every pool label, annotation and taint off, finalizers too. */
  static void unmarkByHand() {
    for (Node n : client.nodes().list().getItems()) {
      if (marked(n)) {
        Conflicts.edit(client.nodes().withName(n.getMetadata().getName()), x -> {
          x.getMetadata().getLabels().remove(POOL);
          x.getMetadata().getLabels().remove(STATE);
          if (x.getMetadata().getAnnotations() != null) {
            x.getMetadata().getAnnotations().remove("slurmkube.io/pool-owner");
          }
          if (x.getSpec().getTaints() != null) {
            x.getSpec().getTaints().removeIf(t -> POOL.equals(t.getKey()));
          }
          return x;
        });
      }
    }
    for (String ns : List.of(SIM_NS, REAL_NS)) {
      for (SlurmCluster c : client.resources(SlurmCluster.class).inNamespace(ns).list().getItems()) {
        if (c.getMetadata().getFinalizers().contains("slurmkube.io/fleet")) {
          Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(ns).withName(c.getMetadata().getName()), x -> {
            x.getMetadata().getFinalizers().remove("slurmkube.io/fleet");
            return x;
          });
        }
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  static boolean marked(Node n) {
    boolean label = n.getMetadata().getLabels() != null && n.getMetadata().getLabels().keySet().stream()
        .anyMatch(k -> k.equals(POOL) || k.equals(STATE));
    boolean taint = n.getSpec().getTaints() != null && n.getSpec().getTaints().stream().anyMatch(t -> POOL.equals(t.getKey()));
    return label || taint;
  }

  static boolean tainted(Node n, String pool) {
    return n.getSpec().getTaints() != null && n.getSpec().getTaints().stream()
        .anyMatch(t -> POOL.equals(t.getKey()) && pool.equals(t.getValue()) && "NoSchedule".equals(t.getEffect()));
  }

  static String state(Node n) {
    return n.getMetadata().getLabels().get(STATE);
  }

  static Map<String, Node> simNodes() {
    return kwok.nodes().stream().collect(Collectors.toMap(n -> n.getMetadata().getName(), n -> n));
  }

  static Set<String> simNodesIn(String state) {
    return kwok.nodes().stream().filter(n -> SIM_POOL.equals(n.getMetadata().getLabels().get(POOL)) && state.equals(state(n)))
        .map(n -> n.getMetadata().getName()).collect(Collectors.toSet());
  }

  static SlurmCluster sim() {
    return client.resources(SlurmCluster.class).inNamespace(SIM_NS).withName("sim").get();
  }

  static FleetStatus simFleet() {
    var c = sim();
    assertThat(c.getStatus()).as("status").isNotNull();
    assertThat(c.getStatus().fleet).as("status.fleet").isNotNull();
    return c.getStatus().fleet;
  }

  static List<Pod> running(String ns, String label, String value) {
    return client.pods().inNamespace(ns).withLabel(label, value).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && "Running".equals(p.getStatus().getPhase())).toList();
  }

  static List<Pod> slurmdPods() {
    return running(SIM_NS, "slurmkube.io/nodeset", "sim");
  }

  static List<Pod> workPods() {
    return running(WORK_NS, "app", "k8s-work");
  }

  static List<Event> events(String ns, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream().filter(e -> reason.equals(e.getReason())).toList();
  }

  static void scaleSlurm(int replicas) {
    client.resources(NodeSet.class).inNamespace(SIM_NS).withName("sim-sim").scale(replicas);
  }

  static Duration since(Instant start) {
    return Duration.between(start, Instant.now());
  }

  /** A cluster whose node set runs on the simulated nodes: 3 CPUs a pod, so one pod per 4-CPU node. */
  static SlurmCluster simCluster() {
    var spec = new SlurmClusterSpec();
    spec.image = "slurmkube.local/slurmctld:26.05";
    spec.nodeImage = "slurmkube.local/slurmd:26.05";
    spec.imagePullPolicy = "Never";
    spec.accounting.mode = io.slurmkube.api.AccountingSpec.Mode.None;
    spec.restApi.enabled = false;
    spec.login.replicas = 0;
    var nodeSet = new NodeSetSpec();
    nodeSet.name = "sim";
    nodeSet.cpus = 3;
    nodeSet.memoryMiB = 1024;
    nodeSet.replicas = 30;
    spec.nodeSets.add(nodeSet);
    var partition = new PartitionSpec();
    partition.name = "sim";
    partition.nodeSets = List.of("sim");
    spec.partitions.add(partition);
    spec.fleet = new FleetSpec();
    spec.fleet.pool = SIM_GRANT;
    spec.fleet.nodes = POOL_SIZE;
    // The simulated nodes carry KWOK's own taint as well as the pool's.
    spec.fleet.podTolerations.add(new TolerationBuilder().withKey(Kwok.TAINT_KEY).withOperator("Exists").withEffect("NoSchedule").build());
    var c = new SlurmCluster();
    c.setMetadata(new ObjectMetaBuilder().withName("sim").withNamespace(SIM_NS).build());
    c.setSpec(spec);
    return c;
  }

  /** A grant of the nodes labelled key=value to these namespaces, lending allowed, KWOK's taint tolerable. */
  static SlurmNodePool grant(String name, String key, String value, String... namespaces) {
    var spec = new SlurmNodePoolSpec();
    spec.nodeSelector = new SlurmNodePoolSpec.NodeSelector();
    spec.nodeSelector.matchLabels.put(key, value);
    spec.namespaces.addAll(List.of(namespaces));
    spec.allowLending = true;
    var kwokTaint = new SlurmNodePoolSpec.TolerableTaint();
    kwokTaint.key = Kwok.TAINT_KEY;
    kwokTaint.effect = "NoSchedule";
    spec.tolerableTaints.add(kwokTaint);
    var pool = new SlurmNodePool();
    pool.setMetadata(new ObjectMetaBuilder().withName(name).build());
    pool.setSpec(spec);
    return pool;
  }

  /** Kubernetes pods for the simulated nodes, 3 CPUs each: one per node, wherever the taints allow. */
  static void kubernetesWorkload(int replicas) {
    client.apps().deployments().inNamespace(WORK_NS).resource(new DeploymentBuilder()
        .withNewMetadata().withName("k8s-work").endMetadata()
        .withNewSpec().withReplicas(replicas)
          .withNewSelector().addToMatchLabels("app", "k8s-work").endSelector()
          .withNewTemplate()
            .withNewMetadata().addToLabels("app", "k8s-work").endMetadata()
            .withNewSpec()
              .addToNodeSelector(FLEET, "sim")
              .addNewToleration().withKey(Kwok.TAINT_KEY).withOperator("Exists").withEffect("NoSchedule").endToleration()
              .addNewContainer().withName("work").withImage("k8s-work:1")
                .withNewResources().addToRequests("cpu", new Quantity("3")).addToRequests("memory", new Quantity("1Gi")).endResources()
              .endContainer()
            .endSpec()
          .endTemplate()
        .endSpec().build()).serverSideApply();
  }

  // ---------------------------------------------------------------- the simulated fleet

  @Test
  @Order(1)
  void theSplitHoldsSlurmPodsOnlyInThePoolKubernetesPodsOnlyOutside() {
    // Admission refuses grants that would take nodes nobody named, or control-plane nodes.
    var unnamed = grant("e2e-fleet-bad", FLEET, "sim", SIM_NS);
    unnamed.getSpec().nodeSelector.matchLabels.clear();
    var notIn = new SlurmNodePoolSpec.Requirement();
    notIn.key = "e2e.slurmkube.io/keep-off";
    notIn.operator = "DoesNotExist";
    unnamed.getSpec().nodeSelector.matchExpressions.add(notIn);
    assertThatThrownBy(() -> client.resource(unnamed).create()).isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.nodeSelector has only NotIn/DoesNotExist requirements");
    var controlPlane = grant("e2e-fleet-bad", "node-role.kubernetes.io/control-plane", "", SIM_NS);
    assertThatThrownBy(() -> client.resource(controlPlane).create()).isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.nodeSelector selects control-plane nodes");

    // The grant names another namespace first: the cluster touches no node and says why.
    client.resource(grant(SIM_GRANT, FLEET, "sim", REAL_NS)).create();
    // No slurmd pod before the grant: pods take the granted tolerations (KWOK's taint) when made, and
    // 30 Pending outdated pods would wait for a rolling update (see the README on node pools).
    var ungranted = simCluster();
    ungranted.getSpec().nodeSets.get(0).replicas = 0;
    client.resource(ungranted).create();
    await("the refusal in status.fleet").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      var fleet = simFleet();
      assertThat(fleet.conditions).singleElement().satisfies(c -> {
        assertThat(c.getType()).isEqualTo("PoolGranted");
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("NamespaceNotGranted");
      });
      assertThat(fleet.refused).singleElement().asString().contains("does not grant namespace " + SIM_NS);
      assertThat(fleet.poolNodes).isZero();
    });
    assertThat(events(SIM_NS, "PoolRefused")).isNotEmpty();
    // (KWOK's heartbeats change the nodes' resourceVersions: look for the operator's marks instead.)
    assertThat(simNodes().values()).noneMatch(FleetPoolIT::marked);
    assertThat(events(SIM_NS, "PoolNodeAdded")).isEmpty();

    Instant start = Instant.now();
    client.resources(SlurmNodePool.class).withName(SIM_GRANT).edit(p -> {
      p.getSpec().namespaces.add(SIM_NS);
      return p;
    });
    await("40 of the 60 nodes in the pool").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> assertThat(simNodesIn("slurm")).hasSize(POOL_SIZE));
    timings.put("40 nodes marked after the SlurmNodePool granted the namespace", since(start));
    await("the node set exists").atMost(Duration.ofMinutes(1)).until(() ->
        client.resources(NodeSet.class).inNamespace(SIM_NS).withName("sim-sim").get() != null);
    scaleSlurm(30);
    assertThat(simFleet().conditions).singleElement().satisfies(c -> assertThat(c.getStatus()).isEqualTo("True"));
    Map<String, Node> nodes = simNodes();
    Set<String> pool = simNodesIn("slurm");
    assertThat(pool).allSatisfy(n -> assertThat(tainted(nodes.get(n), SIM_POOL)).as("taint on %s", n).isTrue());
    Set<String> outside = nodes.keySet().stream().filter(n -> !pool.contains(n)).collect(Collectors.toSet());
    assertThat(outside).hasSize(FLEET_SIZE - POOL_SIZE).allSatisfy(n -> assertThat(marked(nodes.get(n))).as("%s untouched", n).isFalse());

    kubernetesWorkload(20);
    await("30 slurmd pods and 20 Kubernetes pods running").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> {
          assertThat(slurmdPods()).hasSize(30);
          assertThat(workPods()).hasSize(20);
        });
    timings.put("30 slurmd pods Running on pool nodes", since(start));
    assertThat(slurmdPods()).allSatisfy(p -> assertThat(pool).as("node of %s", p.getMetadata().getName()).contains(p.getSpec().getNodeName()));
    assertThat(workPods()).allSatisfy(p -> assertThat(outside).as("node of %s", p.getMetadata().getName()).contains(p.getSpec().getNodeName()));
    var fleet = simFleet();
    assertThat(fleet.poolNodes).isEqualTo(POOL_SIZE);
    assertThat(fleet.matchingNodes).isEqualTo(FLEET_SIZE);
    assertThat(fleet.reserved).isEqualTo(POOL_SIZE);
    assertThat(events(SIM_NS, "PoolNodeAdded")).hasSize(POOL_SIZE);
  }

  @Test
  @Order(2)
  void idlePoolNodesAreLentAndKubernetesUsesThem() {
    Set<String> busy = slurmdPods().stream().map(p -> p.getSpec().getNodeName()).collect(Collectors.toSet());
    Set<String> idle = simNodesIn("slurm").stream().filter(n -> !busy.contains(n)).collect(Collectors.toSet());
    assertThat(idle).hasSize(10);
    Instant start = Instant.now();
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(SIM_NS).withName("sim"), c -> {
      c.getSpec().fleet.lending.enabled = true;
      c.getSpec().fleet.lending.idleSeconds = 10;
      return c;
    });
    await("the 10 idle pool nodes lent").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> assertThat(simNodesIn("lent")).isEqualTo(idle));
    timings.put("10 idle nodes lent after lending was enabled (idleSeconds 10)", since(start));
    Map<String, Node> nodes = simNodes();
    assertThat(idle).allSatisfy(n -> assertThat(tainted(nodes.get(n), SIM_POOL)).as("taint on lent %s", n).isFalse());
    assertThat(busy).allSatisfy(n -> {
      assertThat(state(nodes.get(n))).isEqualTo("slurm");
      assertThat(tainted(nodes.get(n), SIM_POOL)).isTrue();
    });
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(simFleet().lent).isEqualTo(10);
      assertThat(events(SIM_NS, "PoolNodeLent")).hasSize(10);
    });

    kubernetesWorkload(30);
    await("10 more Kubernetes pods, on the lent nodes").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertThat(workPods()).hasSize(30));
    assertThat(workPods().stream().map(p -> p.getSpec().getNodeName()).filter(idle::contains).distinct()).hasSize(10);
    assertThat(workPods()).noneSatisfy(p -> assertThat(busy).contains(p.getSpec().getNodeName()));
  }

  @Test
  @Order(3)
  void waitingSlurmdPodsReclaimLentNodesThroughTheEvictionApi() {
    Set<String> lentBefore = simNodesIn("lent");
    Instant start = Instant.now();
    scaleSlurm(35);
    await("35 slurmd pods running").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> assertThat(slurmdPods()).hasSize(35));
    timings.put("5 lent nodes reclaimed and 5 more slurmd pods Running after scaling 30 -> 35", since(start));
    Set<String> reclaimed = lentBefore.stream().filter(n -> !simNodesIn("lent").contains(n)).collect(Collectors.toSet());
    assertThat(reclaimed).as("exactly as many nodes as the waiting pods needed").hasSize(5);
    Map<String, Node> nodes = simNodes();
    assertThat(reclaimed).allSatisfy(n -> {
      assertThat(state(nodes.get(n))).isEqualTo("slurm");
      assertThat(tainted(nodes.get(n), SIM_POOL)).isTrue();
    });
    Set<String> reserved = simNodesIn("slurm");
    assertThat(slurmdPods()).allSatisfy(p -> assertThat(reserved).contains(p.getSpec().getNodeName()));
    assertThat(workPods()).noneSatisfy(p -> assertThat(reserved).contains(p.getSpec().getNodeName()));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(events(SIM_NS, "PodEvicted")).hasSize(5);
      assertThat(evictedByApi).hasSize(5);
      var fleet = simFleet();
      assertThat(fleet.reserved).isEqualTo(35);
      assertThat(fleet.lent).isEqualTo(5);
      assertThat(fleet.reclaiming).isZero();
    });
  }

  @Test
  @Order(4)
  void aPodDisruptionBudgetHoldsTheReclaimUpAndNothingItProtectsIsEvicted() {
    int running = workPods().size();
    client.policy().v1().podDisruptionBudget().inNamespace(WORK_NS).resource(new PodDisruptionBudgetBuilder()
        .withNewMetadata().withName("k8s-work").endMetadata()
        .withNewSpec().withNewMinAvailable(running).withNewSelector().addToMatchLabels("app", "k8s-work").endSelector().endSpec()
        .build()).create();
    await("the budget allows no disruption").atMost(Duration.ofSeconds(30)).until(() -> {
      var pdb = client.policy().v1().podDisruptionBudget().inNamespace(WORK_NS).withName("k8s-work").get();
      return pdb.getStatus() != null && Integer.valueOf(running).equals(pdb.getStatus().getCurrentHealthy())
          && Integer.valueOf(0).equals(pdb.getStatus().getDisruptionsAllowed());
    });
    Map<String, String> protectedPods = workPods().stream()
        .collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getMetadata().getUid()));
    int evictedBefore = evictedByApi.size();

    scaleSlurm(36);
    await("one lent node reclaiming, held up by the budget").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          var fleet = simFleet();
          assertThat(fleet.reclaiming).isEqualTo(1);
          assertThat(fleet.reclaimingNodes).singleElement().satisfies(n ->
              assertThat(n.reason).contains("may not be evicted").contains("disruption budget"));
        });
    String held = simFleet().reclaimingNodes.get(0).node;
    assertThat(tainted(simNodes().get(held), SIM_POOL)).isTrue();
    assertThat(events(SIM_NS, "EvictionBlocked")).isNotEmpty().allSatisfy(e -> assertThat(e.getType()).isEqualTo("Warning"));
    // However often the operator retries, no protected pod goes, and the reclaim does not spread.
    await().pollDelay(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      Map<String, String> now = workPods().stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getMetadata().getUid()));
      assertThat(now).isEqualTo(protectedPods);
      assertThat(evictedByApi).hasSize(evictedBefore);
      assertThat(simNodesIn("lent")).hasSize(4);
      assertThat(slurmdPods()).hasSize(35);
    });

    client.policy().v1().podDisruptionBudget().inNamespace(WORK_NS).withName("k8s-work").delete();
    await("reclaimed once the budget is gone").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(slurmdPods()).hasSize(36);
          assertThat(state(simNodes().get(held))).isEqualTo("slurm");
          assertThat(simFleet().reclaiming).isZero();
        });
    assertThat(simNodesIn("lent")).hasSize(4);

    // A budget that holds the pods of every lent node but the last by name: that one is taken back,
    // though a choice by name alone would have picked a held one.
    Set<String> lent = simNodesIn("lent");
    List<Pod> onLent = workPods().stream().filter(p -> lent.contains(p.getSpec().getNodeName()))
        .sorted(java.util.Comparator.comparing(p -> p.getSpec().getNodeName())).toList();
    assertThat(onLent).as("Kubernetes pods on the lent nodes").hasSizeGreaterThanOrEqualTo(2);
    String unheld = onLent.get(onLent.size() - 1).getSpec().getNodeName();
    List<Pod> heldPods = onLent.stream().filter(p -> !p.getSpec().getNodeName().equals(unheld)).toList();
    for (Pod p : heldPods) {
      Conflicts.edit(client.pods().inNamespace(WORK_NS).withName(p.getMetadata().getName()), x -> {
        x.getMetadata().getLabels().put("guard", "yes");
        return x;
      });
    }
    client.policy().v1().podDisruptionBudget().inNamespace(WORK_NS).resource(new PodDisruptionBudgetBuilder()
        .withNewMetadata().withName("guard").endMetadata()
        .withNewSpec().withNewMinAvailable(heldPods.size()).withNewSelector().addToMatchLabels("guard", "yes").endSelector().endSpec()
        .build()).create();
    await("the second budget allows no disruption").atMost(Duration.ofSeconds(30)).until(() -> {
      var pdb = client.policy().v1().podDisruptionBudget().inNamespace(WORK_NS).withName("guard").get();
      return pdb.getStatus() != null && Integer.valueOf(heldPods.size()).equals(pdb.getStatus().getCurrentHealthy())
          && Integer.valueOf(0).equals(pdb.getStatus().getDisruptionsAllowed());
    });
    int blockedBefore = events(SIM_NS, "EvictionBlocked").size();
    scaleSlurm(37);
    await("the lent node whose pod may leave is reclaimed").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(slurmdPods()).hasSize(37);
          assertThat(state(simNodes().get(unheld))).isEqualTo("slurm");
          assertThat(simFleet().reclaiming).isZero();
        });
    assertThat(heldPods).allSatisfy(p -> {
      assertThat(state(simNodes().get(p.getSpec().getNodeName()))).isEqualTo("lent");
      assertThat(client.pods().inNamespace(WORK_NS).withName(p.getMetadata().getName()).get().getMetadata().getUid())
          .isEqualTo(p.getMetadata().getUid());
    });
    assertThat(events(SIM_NS, "EvictionBlocked")).as("no eviction was tried against the budget").hasSize(blockedBefore);
    client.policy().v1().podDisruptionBudget().inNamespace(WORK_NS).withName("guard").delete();
  }

  @Test
  @Order(5)
  void removingThePolicyTakesEveryMarkOffTheFleet() {
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(SIM_NS).withName("sim"), c -> {
      c.getSpec().fleet = null;
      return c;
    });
    await("no simulated node carries a mark of the operator").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertThat(kwok.nodes()).noneMatch(FleetPoolIT::marked));
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(sim().getStatus().fleet).isNull();
      assertThat(sim().getMetadata().getFinalizers()).doesNotContain("slurmkube.io/fleet");
    });
    assertThat(events(SIM_NS, "PoolNodeReleased")).hasSize(POOL_SIZE);
    // The simulated part is done: its pods go, so the real cluster below has the machine to itself.
    client.namespaces().withName(SIM_NS).delete();
    client.namespaces().withName(WORK_NS).delete();
  }

  // ---------------------------------------------------------------- the real node

  @Test
  @Order(6)
  void theRealNodeInAPoolRunsARealSlurmdPodAndAJob() throws Exception {
    Node real = client.nodes().list().getItems().stream()
        .filter(n -> n.getStatus().getNodeInfo() != null && !n.getStatus().getNodeInfo().getKubeletVersion().startsWith("kwok"))
        .filter(Kwok::ready).findFirst().orElseThrow();
    String realName = real.getMetadata().getName();
    var slurm = new SlurmOnKubernetes(client, REAL_NS);
    slurm.applyExample(30);
    // The control plane comes up first: the pool's taint would keep it off the only real node.
    await("SlurmCluster Ready").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2)).until(slurm::isReady);

    Instant start = Instant.now();
    client.resource(grant(REAL_GRANT, "kubernetes.io/hostname", realName, REAL_NS)).create();
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(REAL_NS).withName("demo"), c -> {
      c.getSpec().fleet = new FleetSpec();
      c.getSpec().fleet.pool = REAL_GRANT;
      return c;
    });
    try {
      String pool = REAL_NS + ".demo";
      await("the real node in the pool").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> {
            Node n = client.nodes().withName(realName).get();
            assertThat(n.getMetadata().getLabels()).containsEntry(POOL, pool).containsEntry(STATE, "slurm");
            assertThat(tainted(n, pool)).isTrue();
          });
      long job = slurm.sbatch("-J", "pooled", "-o", "/tmp/pooled-%j.out", "--wrap", "hostname");
      await("the job COMPLETED on a slurmd pod in the pool").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
          .until(() -> slurm.jobState(job).equals("COMPLETED"));
      timings.put("real node: pool marked, job submitted, slurmd pod started and job COMPLETED", since(start));
      Pod pod = slurm.nodePods().get(0);
      assertThat(pod.getSpec().getNodeName()).isEqualTo(realName);
      assertThat(pod.getSpec().getNodeSelector()).containsEntry(POOL, pool).containsEntry(STATE, "slurm");
      assertThat(pod.getSpec().getTolerations()).anySatisfy(t -> {
        assertThat(t.getKey()).isEqualTo(POOL);
        assertThat(t.getValue()).isEqualTo(pool);
      });
    } finally {
      Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(REAL_NS).withName("demo"), c -> {
        c.getSpec().fleet = null;
        return c;
      });
    }
    await("the real node carries no mark of the operator").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> assertThat(marked(client.nodes().withName(realName).get())).isFalse());
    timings.put("real node in the pool (taint on, until released)", since(start));
  }
}
