package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.slurmkube.api.PodTemplate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The security settings of every pod the operator makes, and the Pod Security Standard each pod
 * meets (the README's table), judged by the standard's own rules for the fields these pods use.
 */
class PodSecurityTest {
  final ClusterModel model = new ClusterModel(Fixtures.cluster());

  /** Pod Security Standards' baseline list of capabilities a container may add. */
  static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID",
      "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
  static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
      "persistentVolumeClaim", "projected", "secret");

  /** Every pod the operator makes for the fixture cluster, and a GPU node set's pod. */
  Map<String, PodSpec> pods() {
    Map<String, PodSpec> pods = new LinkedHashMap<>();
    pods.put("slurmctld", ControllerBuilder.statefulSet(model).getSpec().getTemplate().getSpec());
    pods.put("mariadb", DatabaseBuilder.statefulSet(model).getSpec().getTemplate().getSpec());
    pods.put("slurmdbd", AccountingBuilder.deployment(model).getSpec().getTemplate().getSpec());
    pods.put("slurmrestd", RestApiBuilder.deployment(model).getSpec().getTemplate().getSpec());
    pods.put("login", LoginBuilder.deployment(model).getSpec().getTemplate().getSpec());
    pods.put("slurmd", NodePodBuilder.build(model, NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true), 0).getSpec());
    var gpu = new ClusterModel(Fixtures.cluster());
    gpu.spec().nodeSets.get(0).gpus = 2;
    pods.put("slurmd-gpu", NodePodBuilder.build(gpu, NodeSetBuilder.build(gpu, gpu.spec().nodeSets.get(0), true), 0).getSpec());
    return pods;
  }

  @Test
  void everyPodHasTheDefaultSeccompProfileNoTokenAndEveryContainerAMemoryLimitAndNoEscalation() {
    pods().forEach((name, pod) -> {
      assertThat(pod.getSecurityContext().getSeccompProfile().getType()).as(name).isEqualTo("RuntimeDefault");
      assertThat(pod.getAutomountServiceAccountToken()).as(name + ": no Slurm pod calls the API").isFalse();
      for (Container c : pod.getContainers()) {
        String what = name + "/" + c.getName();
        assertThat(c.getResources().getLimits()).as(what).containsKey("memory");
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(what).isFalse();
        assertThat(c.getSecurityContext().getPrivileged()).as(what).isNull();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).as(what).containsExactly("ALL");
      }
    });
  }

  @Test
  void eachDaemonGetsBackOnlyTheCapabilitiesItNeeds() {
    Map<String, String> added = new LinkedHashMap<>();
    pods().forEach((name, pod) -> pod.getContainers().forEach(c -> added.put(name + "/" + c.getName(),
        String.join(",", added(c)))));
    assertThat(added).containsExactly(
        Map.entry("slurmctld/slurmctld", "CHOWN,DAC_OVERRIDE,FOWNER,KILL,SETGID,SETUID"),
        Map.entry("slurmctld/queue-reader", ""),
        Map.entry("mariadb/mariadb", "CHOWN,DAC_OVERRIDE,KILL,SETGID,SETUID"),
        Map.entry("slurmdbd/slurmdbd", "CHOWN,DAC_OVERRIDE,FOWNER,KILL,SETGID,SETUID"),
        Map.entry("slurmrestd/slurmrestd", ""),
        Map.entry("login/login", "AUDIT_WRITE,CHOWN,DAC_OVERRIDE,FOWNER,KILL,NET_BIND_SERVICE,SETGID,SETUID,SYS_CHROOT"),
        Map.entry("slurmd/slurmd", "CHOWN,DAC_OVERRIDE,FOWNER,KILL,MKNOD,SETGID,SETUID"),
        Map.entry("slurmd-gpu/slurmd", "CHOWN,DAC_OVERRIDE,FOWNER,KILL,MKNOD,SETGID,SETUID"));
  }

  @Test
  void slurmrestdAndTheQueueReaderRunAsTheirOwnUsersNeverRoot() {
    var restd = RestApiBuilder.deployment(model).getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext();
    assertThat(restd.getRunAsUser()).isEqualTo(64031L).isNotEqualTo(ControllerBuilder.SLURM_UID);
    assertThat(restd.getRunAsNonRoot()).isTrue();
    var reader = ControllerBuilder.statefulSet(model).getSpec().getTemplate().getSpec().getContainers().get(1);
    assertThat(reader.getSecurityContext().getRunAsUser()).isEqualTo(64030L);
    assertThat(reader.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
  }

  /** The README's table: the level of the Pod Security Standards each pod meets. */
  @Test
  void podSecurityLevelOfEachPod() {
    Map<String, String> levels = new LinkedHashMap<>();
    pods().forEach((name, pod) -> levels.put(name, level(pod)));
    assertThat(levels).containsExactly(
        Map.entry("slurmctld", "baseline"),
        Map.entry("mariadb", "baseline"),
        Map.entry("slurmdbd", "baseline"),
        Map.entry("slurmrestd", "restricted"),
        Map.entry("login", "baseline"),
        Map.entry("slurmd", "baseline"),
        // The device file of the GPU DRA plugin comes through a hostPath (docs/FACTS.md).
        Map.entry("slurmd-gpu", "privileged"));
  }

  @Test
  void memoryLimitsFollowWhatEachDaemonHolds() {
    var specs = pods();
    assertThat(memoryLimit(specs.get("slurmd"))).as("RealMemory 2048 MiB plus room for slurmd").isEqualTo("2304Mi");
    assertThat(memoryLimit(specs.get("slurmctld"))).as("512 MiB + 40 KiB per job at 100,000").isEqualTo("4512Mi");
    model.spec().controller.maxJobCount = 10000;
    assertThat(memoryLimit(ControllerBuilder.statefulSet(model).getSpec().getTemplate().getSpec())).isEqualTo("912Mi");
  }

  @Test
  void aUsersTemplateWinsFieldByFieldAndKeepsTheRest() {
    var template = new PodTemplate();
    template.spec.containerSecurityContext = new SecurityContextBuilder()
        .withNewCapabilities().addToAdd("SYS_PTRACE").endCapabilities().build();
    template.spec.securityContext = new PodSecurityContextBuilder().withFsGroup(1000L).build();
    template.spec.resources = new ResourceRequirementsBuilder().addToLimits("memory", new Quantity("8Gi")).build();
    model.spec().nodeSets.get(0).template = template;
    var pod = NodePodBuilder.build(model, NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true), 0).getSpec();
    var slurmd = pod.getContainers().get(0);
    // The user's capabilities replace the operator's list whole; the rest of the context stays.
    assertThat(slurmd.getSecurityContext().getCapabilities().getAdd()).containsExactly("SYS_PTRACE");
    assertThat(slurmd.getSecurityContext().getCapabilities().getDrop()).isEmpty();
    assertThat(slurmd.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(1000L);
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(memoryLimit(pod)).isEqualTo("8Gi");
    assertThat(pod.getContainers().get(0).getResources().getRequests().get("memory").toString()).isEqualTo("2048Mi");

    // A user who turns escalation back on (a setuid tool in a team's image) gets it.
    template.spec.containerSecurityContext = new SecurityContextBuilder().withAllowPrivilegeEscalation(true).build();
    var login = LoginBuilder.deployment(withLoginTemplate(template)).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(login.getSecurityContext().getAllowPrivilegeEscalation()).isTrue();
    assertThat(login.getSecurityContext().getCapabilities().getAdd()).contains("SYS_CHROOT", "NET_BIND_SERVICE");
  }

  private static ClusterModel withLoginTemplate(PodTemplate template) {
    var cluster = Fixtures.cluster();
    cluster.getSpec().login.template = template;
    return new ClusterModel(cluster);
  }

  private static String memoryLimit(PodSpec pod) {
    return pod.getContainers().get(0).getResources().getLimits().get("memory").toString();
  }

  /**
   * The strictest Pod Security Standard the pod meets, by the standard's checks on the fields
   * these pods can have (host namespaces, privileged, capabilities, volumes, users, seccomp).
   */
  static String level(PodSpec pod) {
    List<Container> containers = new ArrayList<>(pod.getContainers());
    containers.addAll(pod.getInitContainers());
    boolean baseline = !Boolean.TRUE.equals(pod.getHostNetwork()) && !Boolean.TRUE.equals(pod.getHostPID())
        && !Boolean.TRUE.equals(pod.getHostIPC())
        && pod.getVolumes().stream().allMatch(v -> v.getHostPath() == null)
        && containers.stream().allMatch(c -> {
          var sc = c.getSecurityContext();
          boolean ports = c.getPorts().stream().allMatch(p -> p.getHostPort() == null || p.getHostPort() == 0);
          if (sc == null) {
            return ports;
          }
          List<String> add = added(c);
          return ports && !Boolean.TRUE.equals(sc.getPrivileged()) && BASELINE_CAPABILITIES.containsAll(add);
        });
    if (!baseline) {
      return "privileged";
    }
    Boolean podNonRoot = pod.getSecurityContext() == null ? null : pod.getSecurityContext().getRunAsNonRoot();
    boolean podSeccomp = pod.getSecurityContext() != null && pod.getSecurityContext().getSeccompProfile() != null;
    boolean restricted = pod.getVolumes().stream().allMatch(PodSecurityTest::restrictedVolume)
        && containers.stream().allMatch(c -> {
          var sc = c.getSecurityContext();
          if (sc == null) {
            return false;
          }
          boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : Boolean.TRUE.equals(podNonRoot);
          boolean notUid0 = sc.getRunAsUser() == null || sc.getRunAsUser() != 0;
          var caps = sc.getCapabilities();
          boolean dropsAll = caps != null && caps.getDrop().contains("ALL");
          boolean addsLittle = added(c).stream().allMatch("NET_BIND_SERVICE"::equals);
          boolean seccomp = sc.getSeccompProfile() != null || podSeccomp;
          return Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation()) && nonRoot && notUid0 && dropsAll && addsLittle
              && seccomp;
        });
    return restricted ? "restricted" : "baseline";
  }

  private static List<String> added(Container c) {
    var sc = c.getSecurityContext();
    return sc == null || sc.getCapabilities() == null || sc.getCapabilities().getAdd() == null
        ? List.of() : sc.getCapabilities().getAdd();
  }

  private static boolean restrictedVolume(Volume v) {
    var fields = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(v, Map.class).keySet();
    return fields.stream().filter(f -> !f.equals("name")).allMatch(RESTRICTED_VOLUMES::contains);
  }
}
