package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Pod;
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

  private NodePodBuilder() {}

  public static String podName(NodeSet nodeSet, int ordinal) {
    return nodeSet.getMetadata().getName() + "-" + ordinal;
  }

  public static Pod build(ClusterModel model, NodeSet nodeSet, int ordinal) {
    var spec = nodeSet.getSpec();
    String name = podName(nodeSet, ordinal);
    var labels = Labels.nodeSetSelector(model.name(), spec.nodeSetName);
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    labels.put(ORDINAL, Integer.toString(ordinal));
    String cpuRequest = spec.cpuRequest != null ? spec.cpuRequest : Integer.toString(spec.cpus);
    var resources = new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity(cpuRequest))
        .addToRequests("memory", new Quantity(spec.memoryMiB + "Mi"))
        .build();
    return new PodBuilder()
        .withMetadata(Owned.meta(nodeSet, name, labels))
        .withNewSpec()
          .withHostname(name)
          .withSubdomain(model.names().nodes())
          .withDnsConfig(PodParts.slurmDns(model))
          .withEnableServiceLinks(false)
          // The operator drains a node before deleting its pod; this is only for slurmd's own exit.
          .withTerminationGracePeriodSeconds(30L)
          .addNewContainer()
            .withName("slurmd")
            .withImage(model.spec().nodeImage)
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
            .withVolumeMounts(PodParts.secretsMount())
          .endContainer()
          .withVolumes(PodParts.secretsVolume(model, false, false))
        .endSpec()
        .build();
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
