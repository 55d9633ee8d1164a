package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.slurmkube.api.AccountingSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.NetworkPolicies.OperatorPods;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Who can open a connection to whom once the policies are applied, decided as a network plugin
 * decides it (the NetworkPolicy rules of the Kubernetes API) for the pods the builders really make.
 */
class NetworkPoliciesTest {
  static final OperatorPods OPERATOR = new OperatorPods("slurmkube-system",
      Map.of("app.kubernetes.io/name", "slurmkube-operator", "app.kubernetes.io/instance", "slurmkube"));

  /** A pod as a policy sees it: namespace and labels (and, as a destination, its container ports). */
  record Pod(String namespace, Map<String, String> labels, List<Integer> ports) {
    static Pod of(String namespace, PodTemplateSpec template) {
      return new Pod(namespace, template.getMetadata().getLabels(), template.getSpec().getContainers().stream()
          .map(Container::getPorts).flatMap(List::stream).map(ContainerPort::getContainerPort).toList());
    }
  }

  final ClusterModel model = new ClusterModel(Fixtures.cluster());
  final List<NetworkPolicy> policies = NetworkPolicies.build(model, OPERATOR);
  final Pod controller = Pod.of("hpc", ControllerBuilder.statefulSet(model).getSpec().getTemplate());
  final Pod database = Pod.of("hpc", DatabaseBuilder.statefulSet(model).getSpec().getTemplate());
  final Pod accounting = Pod.of("hpc", AccountingBuilder.deployment(model).getSpec().getTemplate());
  final Pod restApi = Pod.of("hpc", RestApiBuilder.deployment(model).getSpec().getTemplate());
  final Pod login = Pod.of("hpc", LoginBuilder.deployment(model).getSpec().getTemplate());
  final Pod slurmd = slurmd(model);
  final Pod operator = new Pod("slurmkube-system", OPERATOR.podLabels(), List.of(8080));
  final Pod stranger = new Pod("hpc", Map.of("app", "curl"), List.of());

  static Pod slurmd(ClusterModel model) {
    var nodeSet = NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true);
    var pod = NodePodBuilder.build(model, nodeSet, 0);
    return new Pod(pod.getMetadata().getNamespace(), pod.getMetadata().getLabels(), List.of(SlurmConfig.SLURMD_PORT));
  }

  @Test
  void onlySlurmdbdReachesTheDatabase() {
    assertThat(allows(accounting, database, 3306)).isTrue();
    for (Pod other : List.of(controller, restApi, login, slurmd, operator, stranger)) {
      assertThat(allows(other, database, 3306)).as("%s -> MariaDB", other.labels()).isFalse();
    }
  }

  @Test
  void slurmdbdTakesSlurmctldLoginJobsAndSlurmrestd() {
    // A job script's sacct or sacctmgr runs on its slurmd pod.
    for (Pod client : List.of(controller, login, slurmd, restApi)) {
      assertThat(allows(client, accounting, SlurmConfig.SLURMDBD_PORT)).as("%s -> slurmdbd", client.labels()).isTrue();
    }
    for (Pod other : List.of(operator, stranger, database)) {
      assertThat(allows(other, accounting, SlurmConfig.SLURMDBD_PORT)).as("%s -> slurmdbd", other.labels()).isFalse();
    }
  }

  @Test
  void slurmctldTakesTheDaemonsAndTheOperatorOnlyAtTheQueueReader() {
    for (Pod client : List.of(slurmd, login, restApi, accounting)) {
      assertThat(allows(client, controller, SlurmConfig.SLURMCTLD_PORT)).as("%s -> slurmctld", client.labels()).isTrue();
    }
    assertThat(allows(operator, controller, ControllerBuilder.QUEUE_READER_PORT)).isTrue();
    assertThat(allows(operator, controller, SlurmConfig.SLURMCTLD_PORT)).isFalse();
    assertThat(allows(stranger, controller, SlurmConfig.SLURMCTLD_PORT)).isFalse();
    assertThat(allows(stranger, controller, ControllerBuilder.QUEUE_READER_PORT)).isFalse();
    assertThat(allows(database, controller, SlurmConfig.SLURMCTLD_PORT)).isFalse();
  }

  @Test
  void slurmrestdTakesTheOperatorAndLoginOnly() {
    assertThat(allows(operator, restApi, RestApiBuilder.PORT)).isTrue();
    assertThat(allows(login, restApi, RestApiBuilder.PORT)).isTrue();
    for (Pod other : List.of(slurmd, controller, stranger)) {
      assertThat(allows(other, restApi, RestApiBuilder.PORT)).as("%s -> slurmrestd", other.labels()).isFalse();
    }
    // The same labels in another namespace are not the operator.
    assertThat(allows(new Pod("hpc", OPERATOR.podLabels(), List.of()), restApi, RestApiBuilder.PORT)).isFalse();
  }

  @Test
  void slurmdTakesSlurmctldAndOtherNodesOnAnyPortAndLoginForSrun() {
    assertThat(allows(controller, slurmd, SlurmConfig.SLURMD_PORT)).isTrue();
    assertThat(allows(controller, slurmd, 41_234)).as("srun inside a job listens on an ephemeral port").isTrue();
    assertThat(allows(slurmd, slurmd, 50_001)).as("MPI between ranks").isTrue();
    assertThat(allows(login, slurmd, SlurmConfig.SLURMD_PORT)).isTrue();
    assertThat(allows(stranger, slurmd, SlurmConfig.SLURMD_PORT)).isFalse();
    assertThat(allows(restApi, slurmd, SlurmConfig.SLURMD_PORT)).isFalse();
  }

  @Test
  void loginTakesSshFromAnyoneAndSrunCallbacksFromSlurm() {
    assertThat(allows(stranger, login, 22)).isTrue();
    assertThat(allows(new Pod("elsewhere", Map.of(), List.of()), login, 22)).isTrue();
    assertThat(allows(slurmd, login, 38_000)).as("slurmstepd -> srun's I/O port").isTrue();
    assertThat(allows(controller, login, 38_000)).as("slurmctld -> salloc/srun").isTrue();
    assertThat(allows(stranger, login, 38_000)).isFalse();
  }

  @Test
  void anotherClusterInTheSameNamespaceIsAStranger() {
    var otherCluster = Fixtures.cluster();
    otherCluster.getMetadata().setName("other");
    var other = new ClusterModel(otherCluster);
    Pod otherSlurmd = slurmd(other);
    Pod otherController = Pod.of("hpc", ControllerBuilder.statefulSet(other).getSpec().getTemplate());
    assertThat(allows(otherSlurmd, controller, SlurmConfig.SLURMCTLD_PORT)).isFalse();
    assertThat(allows(otherController, slurmd, SlurmConfig.SLURMD_PORT)).isFalse();
    assertThat(allows(Pod.of("hpc", AccountingBuilder.deployment(other).getSpec().getTemplate()), database, 3306)).isFalse();
    // ... and its own policies do not clash with these.
    assertThat(NetworkPolicies.build(other, OPERATOR)).extracting(p -> p.getMetadata().getName())
        .doesNotContainAnyElementsOf(policies.stream().map(p -> p.getMetadata().getName()).toList());
  }

  @Test
  void everyAllowedPortIsOneThePodListensOnOrAnyPort() {
    for (Pod pod : List.of(controller, database, accounting, restApi, login)) {
      for (NetworkPolicy policy : selecting(pod)) {
        for (var rule : policy.getSpec().getIngress()) {
          for (var port : rule.getPorts()) {
            assertThat(pod.ports()).as("%s allows port %s", policy.getMetadata().getName(), port.getPort().getIntVal())
                .contains(port.getPort().getIntVal());
          }
        }
      }
    }
  }

  @Test
  void everySlurmPodIsSelectedByExactlyOnePolicyOwnedByTheCluster() {
    for (Pod pod : List.of(controller, database, accounting, restApi, login, slurmd)) {
      assertThat(selecting(pod)).as("%s", pod.labels()).hasSize(1);
    }
    for (NetworkPolicy policy : policies) {
      assertThat(policy.getMetadata().getNamespace()).isEqualTo("hpc");
      assertThat(policy.getMetadata().getOwnerReferences()).singleElement()
          .satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-1"));
      assertThat(policy.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, Labels.OPERATOR)
          .containsEntry(Labels.INSTANCE, "demo");
      assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
    }
  }

  @Test
  void withoutAccountingOrRestApiTheirPoliciesAreLeftOut() {
    SlurmCluster cluster = Fixtures.cluster();
    cluster.getSpec().accounting = new AccountingSpec();
    cluster.getSpec().accounting.mode = AccountingSpec.Mode.None;
    cluster.getSpec().restApi = new io.slurmkube.api.RestApiSpec();
    cluster.getSpec().restApi.enabled = false;
    var bare = NetworkPolicies.build(new ClusterModel(cluster), OPERATOR);
    assertThat(bare).extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("demo-controller", "demo-nodes", "demo-login");
    // No rule is left without peers: an empty "from" would admit everyone.
    for (NetworkPolicy policy : bare) {
      for (var rule : policy.getSpec().getIngress()) {
        if (rule.getPorts().stream().noneMatch(p -> p.getPort().getIntVal() == 22)) {
          assertThat(rule.getFrom()).as(policy.getMetadata().getName()).isNotEmpty();
        }
      }
    }
  }

  @Test
  void operatorPodsComeFromTheChartsEnvironment() {
    var parsed = OperatorPods.parse("ops", "app.kubernetes.io/name=slurmkube-operator, app.kubernetes.io/instance=team-b");
    assertThat(parsed.podLabels()).isEqualTo(Map.of(
        "app.kubernetes.io/name", "slurmkube-operator", "app.kubernetes.io/instance", "team-b"));
    assertThatThrownBy(() -> OperatorPods.parse("ops", "")).hasMessageContaining("pod labels");
    assertThatThrownBy(() -> OperatorPods.parse("ops", "novalue")).hasMessageContaining("key=value");
    assertThatThrownBy(() -> OperatorPods.parse("", "a=b")).hasMessageContaining("namespace");
  }

  // ------------------------------------------------------------ the NetworkPolicy rules

  List<NetworkPolicy> selecting(Pod pod) {
    return policies.stream()
        .filter(p -> p.getMetadata().getNamespace().equals(pod.namespace()))
        .filter(p -> matches(p.getSpec().getPodSelector(), pod.labels()))
        .toList();
  }

  /** Ingress only: a pod no policy selects takes everything; otherwise some rule must admit the connection. */
  boolean allows(Pod from, Pod to, int port) {
    var selecting = selecting(to);
    if (selecting.isEmpty()) {
      return true;
    }
    return selecting.stream().flatMap(p -> p.getSpec().getIngress().stream().map(r -> Map.entry(p, r))).anyMatch(e -> {
      var rule = e.getValue();
      boolean portOk = rule.getPorts() == null || rule.getPorts().isEmpty()
          || rule.getPorts().stream().anyMatch(p -> "TCP".equals(p.getProtocol()) && p.getPort().getIntVal() == port);
      boolean peerOk = rule.getFrom() == null || rule.getFrom().isEmpty()
          || rule.getFrom().stream().anyMatch(peer -> admits(peer, e.getKey().getMetadata().getNamespace(), from));
      return portOk && peerOk;
    });
  }

  static boolean admits(NetworkPolicyPeer peer, String policyNamespace, Pod from) {
    boolean namespaceOk = peer.getNamespaceSelector() == null
        ? from.namespace().equals(policyNamespace)
        : matches(peer.getNamespaceSelector(), Map.of("kubernetes.io/metadata.name", from.namespace()));
    boolean podOk = peer.getPodSelector() == null || matches(peer.getPodSelector(), from.labels());
    return peer.getIpBlock() == null && namespaceOk && podOk;
  }

  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    assertThat(selector.getMatchExpressions()).as("only matchLabels are used").isNullOrEmpty();
    return selector.getMatchLabels() == null
        || selector.getMatchLabels().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }
}
