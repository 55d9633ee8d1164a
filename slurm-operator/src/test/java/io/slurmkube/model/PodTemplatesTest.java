package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.slurmkube.api.FleetSpec;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.PodTemplate;
import io.slurmkube.api.TemplateVolumeMount;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a user's pod template merges into the pods the operator builds. */
class PodTemplatesTest {

  static NodeSet nodeSet(ClusterModel model) {
    var nodeSet = NodeSetBuilder.build(model, model.spec().nodeSets.get(0), true);
    nodeSet.getMetadata().setUid("ns-uid");
    return nodeSet;
  }

  static PodTemplate scratchTemplate() {
    var template = new PodTemplate();
    template.metadata.labels.put("team", "ml");
    template.metadata.labels.put("app.kubernetes.io/component", "not-a-node");
    template.metadata.annotations.put("prometheus.io/scrape", "true");
    template.spec.image = "registry.example/team/slurmd-cuda:1";
    template.spec.env.add(new EnvVarBuilder().withName("OMP_NUM_THREADS").withValue("1").build());
    template.spec.volumes.add(new VolumeBuilder().withName("scratch").withNewEmptyDir().endEmptyDir().build());
    template.spec.volumeMounts.add(new TemplateVolumeMount("scratch", "/scratch"));
    template.spec.nodeSelector.put("gpu", "a100");
    template.spec.tolerations.add(new TolerationBuilder().withKey("gpu").withOperator("Exists").build());
    template.spec.priorityClassName = "training";
    template.spec.containers.add(new ContainerBuilder().withName("log-shipper").withImage("busybox").build());
    template.spec.resources = new ResourceRequirementsBuilder()
        .addToLimits("memory", new Quantity("3Gi")).addToRequests("cpu", new Quantity("2")).build();
    return template;
  }

  @Test
  void aTemplateAddsToTheSlurmdPodAndKeepsWhatSlurmNeeds() {
    var cluster = Fixtures.cluster();
    cluster.getSpec().nodeSets.get(0).template = scratchTemplate();
    var model = new ClusterModel(cluster);
    var pod = NodePodBuilder.build(model, nodeSet(model), 0);

    assertThat(pod.getMetadata().getLabels())
        .containsEntry("team", "ml")
        .as("the operator's labels keep their values").containsEntry("app.kubernetes.io/component", "node");
    assertThat(pod.getMetadata().getAnnotations()).containsEntry("prometheus.io/scrape", "true")
        .containsKey(PodTemplates.SPEC_HASH);
    var spec = pod.getSpec();
    assertThat(spec.getHostname()).isEqualTo("demo-cpu-0");
    assertThat(spec.getSubdomain()).isEqualTo("demo-nodes");
    assertThat(spec.getNodeSelector()).containsEntry("gpu", "a100");
    assertThat(spec.getTolerations()).extracting(t -> t.getKey()).contains("gpu");
    assertThat(spec.getPriorityClassName()).isEqualTo("training");
    assertThat(spec.getContainers()).extracting(c -> c.getName()).containsExactly("slurmd", "log-shipper");
    var slurmd = spec.getContainers().get(0);
    assertThat(slurmd.getImage()).isEqualTo("registry.example/team/slurmd-cuda:1");
    assertThat(BuildersTest.env(slurmd)).containsEntry("OMP_NUM_THREADS", "1").containsEntry("SLURM_NODESET", "cpu");
    assertThat(slurmd.getVolumeMounts()).extracting(m -> m.getMountPath())
        .contains("/scratch", "/home", ClusterModel.SECRETS_MOUNT);
    assertThat(spec.getVolumes()).extracting(v -> v.getName()).contains("scratch", "slurmkube-home", "slurm-secrets");
    assertThat(slurmd.getResources().getLimits().get("memory")).isEqualTo(new Quantity("3Gi"));
    assertThat(slurmd.getResources().getRequests().get("cpu")).as("the user's request replaces the operator's")
        .isEqualTo(new Quantity("2"));
    assertThat(slurmd.getResources().getRequests().get("memory")).as("the operator's request stays where the user gives none")
        .isEqualTo(new Quantity("2048Mi"));
    assertThat(NodePodBuilder.problems(model, nodeSet(model))).isEmpty();
  }

  @Test
  void theFleetsNodeSelectorWinsOverTheTemplatesOnTheSameKey() {
    var cluster = Fixtures.cluster();
    cluster.getSpec().fleet = new FleetSpec();
    cluster.getSpec().fleet.nodes = 2;
    cluster.getSpec().fleet.pool = "hpc-nodes";
    var template = new PodTemplate();
    template.spec.nodeSelector.put(io.slurmkube.model.PoolMarks.POOL, "someone-elses-pool");
    template.spec.nodeSelector.put("zone", "a");
    cluster.getSpec().nodeSets.get(0).template = template;
    var model = new ClusterModel(cluster);
    var pod = NodePodBuilder.build(model, nodeSet(model), 0);
    assertThat(pod.getSpec().getNodeSelector())
        .containsEntry(io.slurmkube.model.PoolMarks.POOL, "hpc.demo")
        .containsEntry("zone", "a");
  }

  @Test
  void whatAdmissionCannotSeeIsReportedWithTheFieldAndTheFix() {
    var cluster = Fixtures.cluster();
    var template = new PodTemplate();
    template.spec.volumeMounts.add(new TemplateVolumeMount("missing", "/data"));
    template.spec.volumeMounts.add(new TemplateVolumeMount("slurmkube-home", "/home"));
    template.spec.volumes.add(new VolumeBuilder().withName("dup").withNewEmptyDir().endEmptyDir().build());
    template.spec.volumes.add(new VolumeBuilder().withName("dup").withNewEmptyDir().endEmptyDir().build());
    template.spec.volumeMounts.add(new TemplateVolumeMount("dup", "/etc/slurm/extra"));
    cluster.getSpec().nodeSets.get(0).template = template;
    var model = new ClusterModel(cluster);
    assertThat(NodePodBuilder.problems(model, nodeSet(model)))
        .anySatisfy(p -> assertThat(p).contains("spec.nodeSets[cpu].template.spec.volumeMounts").contains("'missing'"))
        .anySatisfy(p -> assertThat(p).contains("two volumes are mounted at /home"))
        .anySatisfy(p -> assertThat(p).contains("two volumes are named 'dup'"))
        .anySatisfy(p -> assertThat(p).contains("/etc/slurm/extra is in, or above, a directory Slurm needs"));
  }

  @Test
  void aPodIsOutdatedOnceTheTemplateChanges() {
    var cluster = Fixtures.cluster();
    var model = new ClusterModel(cluster);
    var nodeSet = nodeSet(model);
    var pod = NodePodBuilder.build(model, nodeSet, 3);
    assertThat(NodePodBuilder.isCurrent(model, nodeSet, pod)).isTrue();
    nodeSet.getSpec().template = new PodTemplate();
    assertThat(NodePodBuilder.isCurrent(model, nodeSet, pod)).as("an empty template changes nothing").isTrue();
    nodeSet.getSpec().template.spec.env.add(new EnvVarBuilder().withName("A").withValue("1").build());
    assertThat(NodePodBuilder.isCurrent(model, nodeSet, pod)).isFalse();
    pod.getMetadata().setAnnotations(Map.of());
    assertThat(NodePodBuilder.isCurrent(model, nodeSet, NodePodBuilder.build(model, nodeSet, 3))).isTrue();
  }

  @Test
  void theLoginPodsGetTheSharedVolumesAndTheirOwnTemplate() {
    var cluster = Fixtures.cluster();
    var template = new PodTemplate();
    template.spec.image = "slurmkube.local/login-tools:1";
    template.spec.volumes.add(new VolumeBuilder().withName("tools").withNewConfigMap().withName("tools").endConfigMap().build());
    template.spec.volumeMounts.add(new TemplateVolumeMount("tools", "/opt/tools"));
    cluster.getSpec().login.template = template;
    var model = new ClusterModel(cluster);
    var pod = LoginBuilder.deployment(model).getSpec().getTemplate();
    var login = pod.getSpec().getContainers().get(0);
    assertThat(login.getName()).isEqualTo("login");
    assertThat(login.getImage()).isEqualTo("slurmkube.local/login-tools:1");
    assertThat(login.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/home", "/opt/tools");
    assertThat(LoginBuilder.problems(model)).isEmpty();
  }
}
