package io.slurmkube.dra.slice;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttributeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacityBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.slurmkube.dra.discovery.Gpu;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ResourceSlice that describes a node's GPUs: one pool named after the node, in one slice.
 * Device attributes (qualified by the driver name when a DeviceClass or claim selects on them):
 * {@code model}, {@code uuid}, {@code index}, {@code type} ({@code gpu} or {@code mig}) and, for
 * MIG instances, {@code migProfile} and {@code parentUuid}; capacity: {@code memory}.
 */
public final class ResourceSlices {

  private ResourceSlices() {}

  /** The slice's name: one per node and driver. */
  public static String name(String nodeName, String driverName) {
    return nodeName + "-" + driverName;
  }

  /**
   * The desired slice.
   *
   * @param nodeUid the node's UID, for an owner reference (so the slice goes with the node); null
   *     to leave it out
   * @param generation the pool generation: must grow whenever the devices change
   */
  public static ResourceSlice build(String driverName, String nodeName, String nodeUid, List<Gpu> gpus, long generation) {
    ResourceSliceBuilder builder = new ResourceSliceBuilder()
        .withNewMetadata()
          .withName(name(nodeName, driverName))
          .addToLabels("app.kubernetes.io/managed-by", "slurmkube-gpu-dra")
        .endMetadata()
        .withNewSpec()
          .withDriver(driverName)
          .withNodeName(nodeName)
          .withNewPool().withName(nodeName).withGeneration(generation).withResourceSliceCount(1L).endPool()
          .withDevices(gpus.stream().map(ResourceSlices::device).toList())
        .endSpec();
    if (nodeUid != null) {
      builder.editMetadata().withOwnerReferences(new OwnerReferenceBuilder()
          .withApiVersion("v1").withKind("Node").withName(nodeName).withUid(nodeUid).build()).endMetadata();
    }
    return builder.build();
  }

  /** True when the two slices publish the same devices for the same node (generation aside). */
  public static boolean sameDevices(ResourceSlice a, ResourceSlice b) {
    return a.getSpec().getDriver().equals(b.getSpec().getDriver())
        && a.getSpec().getNodeName().equals(b.getSpec().getNodeName())
        && a.getSpec().getPool().getName().equals(b.getSpec().getPool().getName())
        && a.getSpec().getDevices().equals(b.getSpec().getDevices());
  }

  private static Device device(Gpu gpu) {
    Map<String, DeviceAttribute> attributes = new LinkedHashMap<>();
    attributes.put("model", new DeviceAttributeBuilder().withString(gpu.model()).build());
    attributes.put("uuid", new DeviceAttributeBuilder().withString(gpu.uuid()).build());
    attributes.put("index", new DeviceAttributeBuilder().withInt((long) gpu.index()).build());
    attributes.put("type", new DeviceAttributeBuilder().withString(gpu.isMig() ? "mig" : "gpu").build());
    if (gpu.isMig()) {
      attributes.put("migProfile", new DeviceAttributeBuilder().withString(gpu.migProfile()).build());
      attributes.put("parentUuid", new DeviceAttributeBuilder().withString(gpu.parentUuid()).build());
    }
    return new DeviceBuilder()
        .withName(gpu.name())
        .withAttributes(attributes)
        .withCapacity(Map.of("memory", new DeviceCapacityBuilder().withValue(new Quantity(gpu.memoryMiB() + "Mi")).build()))
        .build();
  }
}
