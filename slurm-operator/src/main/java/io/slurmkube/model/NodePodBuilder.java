package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.slurmkube.api.NodeSet;
import java.util.Map;

/**
 * One slurmd pod of a node set. The pod's name is its Slurm node name ({@code <nodeset>-<ordinal>}),
 * so {@code squeue}, {@code sinfo} and {@code kubectl get pods} speak of the same thing.
 */
public final class NodePodBuilder {
  public static final String ORDINAL = "slurmkube.io/ordinal";
  /** Memory above the node's RealMemory in its limit: slurmd, slurmstepds, the entrypoint. */
  static final int SLURMD_MEMORY_MIB = 256;

  private NodePodBuilder() {}

  public static String podName(NodeSet nodeSet, int ordinal) {
    return nodeSet.getMetadata().getName() + "-" + ordinal;
  }

  /**
   * Whether a Slurm node name is one of this node set's: {@code <nodeset>-<ordinal>} and nothing
   * else, so that the node set {@code demo-cpu} never counts {@code demo-cpu-big-0} as its own.
   */
  public static boolean isNodeOf(NodeSet nodeSet, String nodeName) {
    String prefix = nodeSet.getMetadata().getName() + "-";
    if (!nodeName.startsWith(prefix) || nodeName.length() == prefix.length()) {
      return false;
    }
    String ordinal = nodeName.substring(prefix.length());
    return ordinal.chars().allMatch(Character::isDigit) && (ordinal.equals("0") || ordinal.charAt(0) != '0');
  }

  /** The pod, stamped with the node set's current revision. */
  public static Pod build(ClusterModel model, NodeSet nodeSet, int ordinal) {
    Pod pod = assemble(model, nodeSet, ordinal);
    pod.getMetadata().setAnnotations(new java.util.LinkedHashMap<>(pod.getMetadata().getAnnotations()));
    pod.getMetadata().getAnnotations().put(PodTemplates.SPEC_HASH, revision(model, nodeSet));
    // Born protected from eviction (what the operator would otherwise patch onto each new pod); not
    // part of the revision, which must not change with the label the operator later flips.
    pod.getMetadata().setLabels(new java.util.LinkedHashMap<>(pod.getMetadata().getLabels()));
    pod.getMetadata().getLabels().put(Labels.EVICTABLE, "false");
    return pod;
  }

  /**
   * A hash of what the node set's pods are built from now (template, image, volumes, shape): the
   * pod of ordinal 0 stands for all of them, since pods differ only in their name. Computed once a
   * pass and compared with each pod's stamp, rather than rebuilding every pod.
   */
  public static String revision(ClusterModel model, NodeSet nodeSet) {
    Pod canonical = assemble(model, nodeSet, 0);
    return PodTemplates.specHash(canonical.getMetadata(), canonical.getSpec());
  }

  private static Pod assemble(ClusterModel model, NodeSet nodeSet, int ordinal) {
    var spec = nodeSet.getSpec();
    String name = podName(nodeSet, ordinal);
    var labels = Labels.nodeSetSelector(model.name(), spec.nodeSetName);
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    labels.put(ORDINAL, Integer.toString(ordinal));
    String cpuRequest = spec.cpuRequest != null ? spec.cpuRequest : Integer.toString(spec.cpus);
    // Jobs may use the memory Slurm is told of (RealMemory = memoryMiB); slurmd, slurmstepd and
    // the entrypoint get room on top. Slurm does not enforce memory in pods (no cgroup plugin):
    // the limit does, for the whole node.
    var resources = new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity(cpuRequest))
        .addToRequests("memory", new Quantity(spec.memoryMiB + "Mi"))
        .addToLimits("memory", new Quantity((spec.memoryMiB + SLURMD_MEMORY_MIB) + "Mi"))
        .build();
    Pod pod = new PodBuilder()
        .withMetadata(Owned.meta(nodeSet, name, labels))
        .withNewSpec()
          .withHostname(name)
          .withSubdomain(model.names().nodes())
          .withDnsConfig(PodParts.slurmDns(model))
          .withEnableServiceLinks(false)
          .withAutomountServiceAccountToken(false)
          .withSecurityContext(PodSecurity.pod())
          // With spec.fleet: only reserved nodes of the cluster's own Slurm pool (null otherwise).
          .withNodeSelector(io.slurmkube.model.PoolMarks.podNodeSelector(model.cluster()))
          .withTolerations(io.slurmkube.model.PoolMarks.podTolerations(model.cluster()))
          // The operator drains a node before deleting its pod; this is only for slurmd's own exit.
          .withTerminationGracePeriodSeconds(30L)
          .addNewContainer()
            .withName("slurmd")
            // The node set's own image, which lags spec.nodeImage while slurmctld upgrades (UpgradePlan).
            .withImage(spec.image != null ? spec.image : model.spec().nodeImage)
            .withImagePullPolicy(model.spec().imagePullPolicy)
            .withArgs("slurmd")
            .withEnv(PodParts.env(
                "SLURM_CONF_SERVER", model.names().controllerAddress(),
                "SLURM_NODENAME", name,
                "SLURM_NODESET", spec.nodeSetName,
                "SLURM_FEATURES", String.join(",", spec.features),
                "SLURM_CPUS", Integer.toString(spec.cpus),
                "SLURM_MEMORY_MIB", Integer.toString(spec.memoryMiB),
                "SLURM_GPUS", Integer.toString(spec.gpus)))
            .addNewPort().withName("slurmd").withContainerPort(SlurmConfig.SLURMD_PORT).endPort()
            // Not a TCP probe: slurmd logs every connection that sends it nothing as an error.
            .withNewReadinessProbe()
              .withNewExec().withCommand("pidof", "slurmd").endExec()
              .withPeriodSeconds(2)
            .endReadinessProbe()
            .withResources(resources)
            .withSecurityContext(PodSecurity.container(PodSecurity.Daemon.SLURMD))
            .withVolumeMounts(PodParts.secretsMount())
          .endContainer()
          .withVolumes(PodParts.secretsVolume(model, false, false))
        .endSpec()
        .build();
    if (spec.gpus > 0) {
      claimGpus(pod, nodeSet);
    }
    var slurmd = pod.getSpec().getContainers().get(0);
    SharedStorage.mount(model, pod.getSpec(), slurmd);
    UserDirectory.mount(model, pod.getSpec(), slurmd);
    PodTemplates.apply(spec.template, pod.getMetadata(), pod.getSpec(), slurmd);
    return pod;
  }

  /**
   * The pod's own claim from the node set's template. With our own DeviceClass also the file
   * through which the GPU DRA plugin tells the pod which devices it got where the runtime has no
   * CDI; with CDI (and with any other driver) they arrive in the container itself. slurmd reports
   * them to Slurm as GRES.
   */
  private static void claimGpus(Pod pod, NodeSet nodeSet) {
    var podSpec = pod.getSpec();
    podSpec.getResourceClaims().add(new PodResourceClaimBuilder()
        .withName(GpuClaimBuilder.CLAIM).withResourceClaimTemplateName(GpuClaimBuilder.templateName(nodeSet)).build());
    var container = podSpec.getContainers().get(0);
    container.getResources().getClaims().add(new ResourceClaimBuilder().withName(GpuClaimBuilder.CLAIM).build());
    if (!GpuClaimBuilder.mountsDeviceFile(nodeSet.getSpec())) {
      // Another driver's class: named in the pod, so that a change of class marks the pods
      // outdated (their claims are of the old one) and the pod log can say whose GPUs it has.
      container.getEnv().add(new EnvVarBuilder().withName("SLURM_GPU_DEVICE_CLASS")
          .withValue(nodeSet.getSpec().deviceClassName).build());
      return;
    }
    podSpec.getVolumes().add(new VolumeBuilder().withName("gpu-devices")
        .withNewHostPath().withPath(GpuClaimBuilder.HOST_DEVICE_INFO_DIR).withType("DirectoryOrCreate").endHostPath()
        .build());
    container.getEnv().add(new EnvVarBuilder().withName("POD_UID")
        .withNewValueFrom().withNewFieldRef().withFieldPath("metadata.uid").endFieldRef().endValueFrom().build());
    container.getEnv().add(new EnvVarBuilder().withName("SLURM_GPU_INFO_DIR").withValue(GpuClaimBuilder.POD_DEVICE_INFO_DIR).build());
    container.getVolumeMounts().add(new VolumeMountBuilder().withName("gpu-devices")
        .withMountPath(GpuClaimBuilder.POD_DEVICE_INFO_DIR).withSubPathExpr("$(POD_UID)").withReadOnly(true).build());
  }

  /** What would stop this node set's pods from being created, each naming the field and the fix. */
  public static java.util.List<String> problems(ClusterModel model, NodeSet nodeSet) {
    Pod pod = assemble(model, nodeSet, 0);
    return PodTemplates.problems(nodeSet.getSpec().template, pod.getSpec(),
        "spec.nodeSets[" + nodeSet.getSpec().nodeSetName + "].template.spec");
  }

  /**
   * True when the pod is what the node set and its cluster would make now (same template, image,
   * volumes, shape); false for a pod made before a change, which keeps running until replaced.
   */
  public static boolean isCurrent(ClusterModel model, NodeSet nodeSet, Pod pod) {
    return isCurrent(pod, revision(model, nodeSet));
  }

  /** True when the pod carries {@code revision} (see {@link #revision}). */
  public static boolean isCurrent(Pod pod, String revision) {
    var annotations = pod.getMetadata().getAnnotations();
    return annotations != null && revision.equals(annotations.get(PodTemplates.SPEC_HASH));
  }


  /** The ordinal a pod was created with, or -1 for a pod this operator did not name. */
  public static int ordinal(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    try {
      return labels == null ? -1 : Integer.parseInt(labels.getOrDefault(ORDINAL, "-1"));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
