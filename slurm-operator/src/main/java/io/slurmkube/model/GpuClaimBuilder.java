package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplate;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplateBuilder;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeShape;

/**
 * The ResourceClaimTemplate from which each slurmd pod of a GPU node set gets its own claim for
 * {@code gpus} devices of the node set's DeviceClass (Dynamic Resource Allocation).
 */
public final class GpuClaimBuilder {
  /** The claim's name inside the pod, and the one request in it. */
  public static final String CLAIM = "gpus";
  /** The DeviceClass of this project's GPU DRA plugin (the chart's gpuDra). */
  public static final String OWN_DEVICE_CLASS = "gpu.slurmkube.io";
  /** Where the GPU DRA plugin writes, per pod, which devices the pod got: the fallback for runtimes without CDI. */
  public static final String HOST_DEVICE_INFO_DIR = "/var/run/slurmkube-gpu";
  public static final String POD_DEVICE_INFO_DIR = "/var/run/slurmkube/gpus";

  private GpuClaimBuilder() {}

  /**
   * Whether the node set's pods mount our plugin's per-pod device file (a hostPath, so only a
   * privileged namespace admits them): only for our own DeviceClass. Any other driver's devices
   * reach slurmd through CDI alone, so those pods pass Pod Security's baseline.
   */
  public static boolean mountsDeviceFile(NodeShape spec) {
    return spec.gpus != null && spec.gpus > 0 && OWN_DEVICE_CLASS.equals(spec.deviceClassName);
  }

  public static String templateName(NodeSet nodeSet) {
    return nodeSet.getMetadata().getName() + "-gpus";
  }

  /**
   * Whether an existing template asks for what {@code desired} asks for: the same requests, by
   * name, DeviceClass, allocation mode and count. (Not the whole spec: the API server fills in
   * fields this builder leaves out, so a read-back template never equals the built one.)
   */
  public static boolean asksTheSame(ResourceClaimTemplate existing, ResourceClaimTemplate desired) {
    return asks(existing).equals(asks(desired));
  }

  /** What a template asks for, one entry per request: name, DeviceClass, allocation mode, count. */
  public static java.util.List<String> asks(ResourceClaimTemplate template) {
    if (template.getSpec() == null || template.getSpec().getSpec() == null
        || template.getSpec().getSpec().getDevices() == null) {
      return java.util.List.of();
    }
    return template.getSpec().getSpec().getDevices().getRequests().stream()
        .map(r -> r.getName() + " " + (r.getExactly() == null ? "-"
            : r.getExactly().getDeviceClassName() + " " + r.getExactly().getAllocationMode() + " " + r.getExactly().getCount()))
        .toList();
  }

  public static ResourceClaimTemplate build(NodeSet nodeSet) {
    var spec = nodeSet.getSpec();
    var labels = Labels.nodeSetSelector(spec.clusterName, spec.nodeSetName);
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    return new ResourceClaimTemplateBuilder()
        .withMetadata(Owned.meta(nodeSet, templateName(nodeSet), labels))
        .withNewSpec()
          .withNewSpec()
            .withNewDevices()
              .addNewRequest()
                .withName(CLAIM)
                .withNewExactly()
                  .withDeviceClassName(spec.deviceClassName)
                  .withAllocationMode("ExactCount")
                  .withCount((long) spec.gpus)
                .endExactly()
              .endRequest()
            .endDevices()
          .endSpec()
        .endSpec()
        .build();
  }
}
