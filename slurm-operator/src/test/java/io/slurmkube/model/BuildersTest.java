package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.slurmkube.api.NodeSet;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the pure builders produce from a spec, checked without any server. */
class BuildersTest {
  final ClusterModel model = new ClusterModel(Fixtures.cluster());

  static Map<String, String> env(Container container) {
    return container.getEnv().stream().filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }

  @Test
  void controllerKeepsItsStateOnAVolumeAndCarriesTheConfigHash() {
    var sts = ControllerBuilder.statefulSet(model);
    assertThat(sts.getSpec().getServiceName()).isEqualTo("demo-controller");
    assertThat(sts.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage").toString())
        .isEqualTo("1Gi");
    var pod = sts.getSpec().getTemplate();
    assertThat(pod.getMetadata().getAnnotations()).containsEntry(ClusterModel.CONFIG_HASH, model.controllerConfigHash());
    assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts())
        .extracting(m -> m.getMountPath()).contains("/var/spool/slurmctld", ClusterModel.CONFIG_MOUNT, ClusterModel.SECRETS_MOUNT);
    assertThat(ControllerBuilder.service(model).getSpec().getClusterIP()).isEqualTo("None");
    // Not ready until the entrypoint applied the FUTURE placeholders: before that, jobs for a
    // node set with no node would be refused.
    assertThat(String.join(" ", pod.getSpec().getContainers().get(0).getReadinessProbe().getExec().getCommand()))
        .isEqualTo("/bin/sh -c test -e /run/slurmctld/placeholders-applied && scontrol ping");
  }

  @Test
  void theQueueReaderRunsNextToSlurmctldAsTheSlurmUserWithoutTheKey() {
    var pod = ControllerBuilder.statefulSet(model).getSpec().getTemplate().getSpec();
    var reader = pod.getContainers().stream().filter(c -> c.getName().equals("queue-reader")).findFirst().orElseThrow();
    assertThat(reader.getImage()).isEqualTo(pod.getContainers().get(0).getImage());
    assertThat(reader.getArgs()).containsExactly("queue-reader");
    assertThat(reader.getSecurityContext().getRunAsUser()).isEqualTo(64030L);
    assertThat(reader.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(reader.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(reader.getResources().getLimits().get("memory").toString()).isEqualTo("256Mi");
    // slurmctld's sack socket is shared through /run/slurmctld; the secrets (slurm.key) are not mounted.
    assertThat(reader.getVolumeMounts()).extracting(m -> m.getMountPath())
        .containsExactlyInAnyOrder(ClusterModel.CONFIG_MOUNT, "/run/slurmctld");
    assertThat(pod.getContainers().get(0).getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/run/slurmctld");
    assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("run")).singleElement()
        .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(ControllerBuilder.service(model).getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
        .containsExactly("slurmctld:6817", "queue-reader:6821");
    assertThat(model.names().queueReaderUrl()).isEqualTo("http://demo-controller." + model.namespace() + ".svc.cluster.local:6821");
  }

  @Test
  void slurmPodsAskDnsAgainAfterOneSecondNotFive() {
    var node = NodePodBuilder.build(model, NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true), 0).getSpec();
    for (var pod : java.util.List.of(ControllerBuilder.statefulSet(model).getSpec().getTemplate().getSpec(),
        RestApiBuilder.deployment(model).getSpec().getTemplate().getSpec(),
        LoginBuilder.deployment(model).getSpec().getTemplate().getSpec(), node)) {
      assertThat(pod.getDnsConfig().getSearches()).containsExactly("demo-nodes." + model.namespace() + ".svc.cluster.local");
      assertThat(pod.getDnsConfig().getOptions()).extracting(o -> o.getName() + "=" + o.getValue())
          .containsExactly("timeout=1", "attempts=3", "single-request-reopen=null");
    }
  }

  @Test
  void restApiRunsTheRestRoleWithoutTheAuthKeyOfOtherDaemons() {
    var deployment = RestApiBuilder.deployment(model);
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).containsExactly("slurmrestd");
    // It starts as its own user and forwards each request's token: no key of any kind is mounted.
    assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).extracting(v -> v.getName())
        .containsExactly(PodParts.CONFIG_VOLUME);
  }

  @Test
  void everyPodMountsTheKeySetOfARotationWhenTheSecretHasOne() {
    for (var pod : java.util.List.of(ControllerBuilder.statefulSet(model).getSpec().getTemplate(),
        AccountingBuilder.deployment(model).getSpec().getTemplate(), LoginBuilder.deployment(model).getSpec().getTemplate())) {
      var sources = pod.getSpec().getVolumes().stream().filter(v -> v.getProjected() != null).findFirst().orElseThrow()
          .getProjected().getSources();
      // slurm.key must be there; slurm.jwks only during and after a rotation (optional, so the pod starts without it).
      assertThat(sources).filteredOn(s -> s.getSecret().getItems().get(0).getKey().equals("slurm.key")).singleElement()
          .satisfies(s -> assertThat(s.getSecret().getOptional()).isNotEqualTo(Boolean.TRUE));
      assertThat(sources).filteredOn(s -> s.getSecret().getItems().get(0).getKey().equals("slurm.jwks")).singleElement()
          .satisfies(s -> {
            assertThat(s.getSecret().getName()).isEqualTo("demo-auth-key");
            assertThat(s.getSecret().getOptional()).isTrue();
          });
    }
  }

  @Test
  void slurmdbdAndLoginPodsRestartForANewKeySetAndSlurmctldDoesNot() {
    var withSet = new ClusterModel(Fixtures.cluster(), "0123456789abcdef");
    assertThat(AccountingBuilder.deployment(withSet).getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry(AuthKeyRotation.POD_ANNOTATION, "0123456789abcdef");
    assertThat(LoginBuilder.deployment(withSet).getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry(AuthKeyRotation.POD_ANNOTATION, "0123456789abcdef");
    // slurmctld takes a new set in by reconfiguring: its pod template does not change.
    assertThat(ControllerBuilder.statefulSet(withSet).getSpec().getTemplate())
        .isEqualTo(ControllerBuilder.statefulSet(model).getSpec().getTemplate());
    // Before any rotation there is no set and no annotation.
    assertThat(LoginBuilder.deployment(model).getSpec().getTemplate().getMetadata().getAnnotations()).isNull();
    assertThat(AccountingBuilder.deployment(model).getSpec().getTemplate().getMetadata().getAnnotations())
        .doesNotContainKey(AuthKeyRotation.POD_ANNOTATION);
  }

  @Test
  void slurmctldWaitsTheSettleTimeOfTheSpecBeforeTakingInAKeySet() {
    var cluster = Fixtures.cluster();
    cluster.getSpec().authKeyRotation.settleSeconds = 20;
    var slurmctld = ControllerBuilder.statefulSet(new ClusterModel(cluster)).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(slurmctld)).containsEntry("SLURMKUBE_KEY_SETTLE_SECONDS", "20");
    cluster.getSpec().authKeyRotation = null;
    slurmctld = ControllerBuilder.statefulSet(new ClusterModel(cluster)).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(slurmctld)).containsEntry("SLURMKUBE_KEY_SETTLE_SECONDS", "150");
  }

  @Test
  void slurmdPodIsNamedAfterItsNodeAndRegistersWithItsNodeSet() {
    var nodeSet = NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true);
    nodeSet.getMetadata().setUid("ns-uid");
    var pod = NodePodBuilder.build(model, nodeSet, 2);
    assertThat(pod.getMetadata().getName()).isEqualTo("demo-cpu-2");
    assertThat(pod.getSpec().getHostname()).isEqualTo("demo-cpu-2");
    assertThat(pod.getSpec().getSubdomain()).isEqualTo("demo-nodes");
    assertThat(NodePodBuilder.ordinal(pod)).isEqualTo(2);
    var container = pod.getSpec().getContainers().get(0);
    assertThat(env(container))
        .containsEntry("SLURM_NODESET", "cpu")
        .containsEntry("SLURM_NODENAME", "demo-cpu-2")
        .containsEntry("SLURM_CPUS", "2")
        .containsEntry("SLURM_MEMORY_MIB", "2048")
        .containsEntry("SLURM_CONF_SERVER", "demo-controller-0.demo-controller.hpc.svc.cluster.local:6817");
    assertThat(container.getResources().getRequests().get("cpu").toString()).isEqualTo("250m");
    assertThat(container.getResources().getRequests().get("memory").toString()).isEqualTo("2048Mi");
    assertThat(pod.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getKind()).isEqualTo("NodeSet"));
  }

  @Test
  void nodeSetCarriesReplicasOnlyWhenCreated() {
    var entry = model.spec().nodeSets.get(0);
    entry.replicas = 2;
    assertThat(NodeSetBuilder.build(model, entry, true).getSpec().replicas).isEqualTo(2);
    NodeSet applied = NodeSetBuilder.build(model, entry, false);
    assertThat(applied.getSpec().replicas).isNull();
    assertThat(applied.getSpec().maxReplicas).isEqualTo(3);
    assertThat(applied.getSpec().clusterName).isEqualTo("demo");
  }

  @Test
  void anEditedReplicaCountRescalesTheNodeSetOnce() {
    var entry = model.spec().nodeSets.get(0);
    entry.replicas = 2;
    NodeSet live = NodeSetBuilder.build(model, entry, true);
    assertThat(live.getMetadata().getAnnotations()).containsEntry(NodeSetBuilder.REQUESTED_REPLICAS, "2");
    live.getSpec().replicas = 3; // moved by the autoscaler since
    assertThat(NodeSetBuilder.editedReplicas(entry, live)).as("unchanged spec").isEmpty();

    entry.replicas = 1;
    assertThat(NodeSetBuilder.editedReplicas(entry, live)).contains(1);
    live.getMetadata().setAnnotations(NodeSetBuilder.build(model, entry, false).getMetadata().getAnnotations());
    assertThat(NodeSetBuilder.editedReplicas(entry, live)).as("after the apply records it").isEmpty();

    entry.replicas = null;
    assertThat(NodeSetBuilder.editedReplicas(entry, live)).as("no count in the spec").isEmpty();
    entry.replicas = 5;
    live.getMetadata().setAnnotations(null);
    assertThat(NodeSetBuilder.editedReplicas(entry, live)).as("made by an operator that kept no record").isEmpty();
  }

  @Test
  void aReplicaCountAddedToAnEntryThatHadNoneRescalesTheNodeSet() {
    var entry = model.spec().nodeSets.get(0);
    entry.replicas = null;
    NodeSet live = NodeSetBuilder.build(model, entry, true);
    assertThat(NodeSetBuilder.editedReplicas(entry, live)).isEmpty();
    entry.replicas = 2;
    assertThat(NodeSetBuilder.editedReplicas(entry, live)).contains(2);
  }

  @Test
  void loginPodsFetchTheirConfigurationFromTheController() {
    var cluster = Fixtures.cluster();
    cluster.getSpec().login.sshAuthorizedKeys = java.util.List.of("ssh-ed25519 AAAA user@site");
    var deployment = LoginBuilder.deployment(new ClusterModel(cluster));
    var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getArgs()).containsExactly("login");
    assertThat(env(container)).containsEntry("SSH_AUTHORIZED_KEYS", "ssh-ed25519 AAAA user@site");
  }

  @Test
  void everyLoginReplicaMountsTheClustersOneSetOfHostKeys() {
    var pod = LoginBuilder.deployment(model).getSpec().getTemplate().getSpec();
    var mount = pod.getContainers().get(0).getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals("/etc/slurmkube/ssh-host-keys")).findFirst().orElseThrow();
    assertThat(mount.getReadOnly()).isTrue();
    var volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
    assertThat(volume.getSecret().getSecretName()).isEqualTo("demo-ssh-host-keys");
    assertThat(volume.getSecret().getDefaultMode()).isEqualTo(0400);
    assertThat(volume.getSecret().getOptional()).as("a login pod waits for its keys rather than making its own").isNotEqualTo(Boolean.TRUE);

    var own = Fixtures.cluster();
    own.getSpec().login.sshHostKeysSecretName = "site-login-host-keys";
    var ownPod = LoginBuilder.deployment(new ClusterModel(own)).getSpec().getTemplate().getSpec();
    assertThat(ownPod.getVolumes()).filteredOn(v -> v.getSecret() != null).extracting(v -> v.getSecret().getSecretName())
        .containsExactly("site-login-host-keys");
  }

  @Test
  void rootLogsInOverSshOnlyWhenAllowed() {
    var login = LoginBuilder.deployment(model).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(login)).containsEntry("SSH_ALLOW_ROOT_LOGIN", "false");
    var cluster = Fixtures.cluster();
    cluster.getSpec().login.allowRootLogin = true;
    var allowed = LoginBuilder.deployment(new ClusterModel(cluster)).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(allowed)).containsEntry("SSH_ALLOW_ROOT_LOGIN", "true");
  }

  @Test
  void everyObjectIsLabelledForItsCluster() {
    assertThat(ConfigMapBuilder.build(model).getMetadata().getLabels())
        .containsEntry(Labels.INSTANCE, "demo").containsEntry(Labels.MANAGED_BY, Labels.OPERATOR);
    assertThat(DatabaseBuilder.statefulSet(model).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsExactly("database");
    assertThat(AccountingBuilder.deployment(model).getSpec().getStrategy().getType()).isEqualTo("Recreate");
  }

  @Test
  void gpuNodeSetPodsClaimTheirGpusThroughDra() {
    var entry = model.spec().nodeSets.get(0);
    entry.gpus = 2;
    var nodeSet = NodeSetBuilder.build(model, entry, true);
    var template = GpuClaimBuilder.build(nodeSet);
    var request = template.getSpec().getSpec().getDevices().getRequests().get(0);
    assertThat(request.getExactly().getCount()).isEqualTo(2L);
    assertThat(request.getExactly().getDeviceClassName()).isEqualTo("gpu.slurmkube.io");

    var pod = NodePodBuilder.build(model, nodeSet, 0);
    assertThat(pod.getSpec().getResourceClaims()).singleElement()
        .satisfies(c -> assertThat(c.getResourceClaimTemplateName()).isEqualTo("demo-cpu-gpus"));
    var container = pod.getSpec().getContainers().get(0);
    assertThat(container.getResources().getClaims()).extracting(c -> c.getName()).containsExactly("gpus");
    assertThat(env(container)).containsEntry("SLURM_GPUS", "2").containsEntry("SLURM_GPU_INFO_DIR", "/var/run/slurmkube/gpus");
    assertThat(container.getVolumeMounts()).anySatisfy(m -> assertThat(m.getSubPathExpr()).isEqualTo("$(POD_UID)"));
  }

  @Test
  void anotherDriversGpuNodeSetClaimsFromItsClassAndMountsNoHostPath() {
    var entry = model.spec().nodeSets.get(0);
    entry.gpus = 2;
    entry.deviceClassName = "gpu.nvidia.com";
    var nodeSet = NodeSetBuilder.build(model, entry, true);
    assertThat(GpuClaimBuilder.build(nodeSet).getSpec().getSpec().getDevices().getRequests().get(0)
        .getExactly().getDeviceClassName()).isEqualTo("gpu.nvidia.com");

    var pod = NodePodBuilder.build(model, nodeSet, 0);
    var container = pod.getSpec().getContainers().get(0);
    assertThat(container.getResources().getClaims()).extracting(c -> c.getName()).containsExactly("gpus");
    // Its devices come through CDI alone: no hostPath, so a baseline namespace admits the pod.
    assertThat(pod.getSpec().getVolumes()).noneSatisfy(v -> assertThat(v.getHostPath()).isNotNull());
    assertThat(env(container)).containsEntry("SLURM_GPUS", "2").doesNotContainKey("SLURM_GPU_INFO_DIR")
        .containsEntry("SLURM_GPU_DEVICE_CLASS", "gpu.nvidia.com");
    // Another class makes other pods: those of the old one are outdated.
    entry.deviceClassName = "gpu.example.com";
    assertThat(NodePodBuilder.build(model, NodeSetBuilder.build(model, entry, true), 0).getSpec())
        .isNotEqualTo(pod.getSpec());
  }

  @Test
  void aClaimTemplateReadBackAsksTheSameUntilTheCountOrClassChanges() {
    var entry = model.spec().nodeSets.get(0);
    entry.gpus = 2;
    var built = GpuClaimBuilder.build(NodeSetBuilder.build(model, entry, true));
    // As the API server returns it: fields the builder left out filled in.
    var readBack = new io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplateBuilder(built)
        .editSpec().editSpec().editDevices().editFirstRequest().editExactly()
          .withAdminAccess(false).withTolerations(java.util.List.of())
        .endExactly().endRequest().endDevices().endSpec().endSpec().build();
    assertThat(readBack.getSpec()).isNotEqualTo(built.getSpec());
    assertThat(GpuClaimBuilder.asksTheSame(readBack, built)).isTrue();

    entry.gpus = 4;
    assertThat(GpuClaimBuilder.asksTheSame(readBack, GpuClaimBuilder.build(NodeSetBuilder.build(model, entry, true)))).isFalse();
    entry.gpus = 2;
    entry.deviceClassName = "gpu.nvidia.com";
    assertThat(GpuClaimBuilder.asksTheSame(readBack, GpuClaimBuilder.build(NodeSetBuilder.build(model, entry, true)))).isFalse();
  }

  @Test
  void cpuNodeSetPodsClaimNothing() {
    var pod = NodePodBuilder.build(model, NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true), 0);
    assertThat(pod.getSpec().getResourceClaims()).isEmpty();
  }

  @Test
  void restApiLeavesOutAccountingEndpointsWithoutSlurmdbd() {
    assertThat(RestApiBuilder.args(model)).containsExactly("slurmrestd");
    var cluster = Fixtures.cluster();
    cluster.getSpec().accounting.mode = io.slurmkube.api.AccountingSpec.Mode.None;
    assertThat(RestApiBuilder.args(new ClusterModel(cluster))).containsExactly("slurmrestd", "-s", "openapi/slurmctld");
  }

  @Test
  void aNodeSetOwnsOnlyItsOwnNodeNamesNotThoseOfASetWhoseNameItPrefixes() {
    var nodeSet = NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true);
    assertThat(NodePodBuilder.isNodeOf(nodeSet, "demo-cpu-0")).isTrue();
    assertThat(NodePodBuilder.isNodeOf(nodeSet, "demo-cpu-12")).isTrue();
    assertThat(NodePodBuilder.isNodeOf(nodeSet, "demo-cpu-big-0")).as("node set cpu-big's node").isFalse();
    assertThat(NodePodBuilder.isNodeOf(nodeSet, "demo-cpu-")).isFalse();
    assertThat(NodePodBuilder.isNodeOf(nodeSet, "demo-cpu-01")).isFalse();
    assertThat(NodePodBuilder.isNodeOf(nodeSet, "demo-gpu-0")).isFalse();
  }

  @Test
  void theBudgetProtectsEveryPodOfTheNodeSetNotMarkedEvictable() {
    var nodeSet = NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true);
    nodeSet.getMetadata().setUid("ns-uid");
    var budget = DisruptionBudgetBuilder.protectJobs(nodeSet);
    assertThat(budget.getMetadata().getName()).isEqualTo("demo-cpu-jobs");
    assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isZero();
    assertThat(budget.getSpec().getSelector().getMatchLabels())
        .containsEntry(Labels.NODESET, "cpu").containsEntry(Labels.INSTANCE, "demo").doesNotContainKey(Labels.EVICTABLE);
    assertThat(budget.getSpec().getSelector().getMatchExpressions()).singleElement().satisfies(e -> {
      assertThat(e.getKey()).isEqualTo(Labels.EVICTABLE);
      assertThat(e.getOperator()).isEqualTo("NotIn");
      assertThat(e.getValues()).containsExactly("true");
    });
    assertThat(budget.getMetadata().getOwnerReferences()).extracting(o -> o.getKind()).containsExactly("NodeSet");
  }

  @Test
  void aNewNodePodIsBornProtectedFromEvictionAndTheLabelIsNoPartOfItsRevision() {
    var nodeSet = NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true);
    nodeSet.getMetadata().setUid("ns-uid");
    var pod = NodePodBuilder.build(model, nodeSet, 2);
    assertThat(pod.getMetadata().getLabels()).containsEntry(Labels.EVICTABLE, "false");
    // The operator flips it once the node is drained and idle: the pod is still current.
    pod.getMetadata().getLabels().put(Labels.EVICTABLE, "true");
    assertThat(NodePodBuilder.isCurrent(pod, NodePodBuilder.revision(model, nodeSet))).isTrue();
  }
}
