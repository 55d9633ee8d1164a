package io.slurmkube.dra.prepare;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A claim this plugin prepared on its node: what the kubelet is told, and what is needed to undo
 * it. Recorded on disk by {@link ClaimStore}.
 *
 * @param uid the ResourceClaim's UID (the kubelet's key)
 * @param podUids the pods the claim was reserved for when it was prepared
 */
public record PreparedClaim(String uid, String namespace, String name, List<PreparedDevice> devices, List<String> podUids) {

  public PreparedClaim {
    devices = List.copyOf(devices);
    podUids = List.copyOf(podUids);
  }

  /**
   * One allocated device.
   *
   * @param request the claim request it was allocated for
   * @param pool the ResourceSlice pool (the node name)
   * @param device the device name in the ResourceSlice
   * @param cdiDeviceId the fully qualified CDI name handed to the kubelet
   */
  public record PreparedDevice(String request, String pool, String device, String uuid, int index, String model, String cdiDeviceId) {}

  /**
   * The environment a container of this claim sees: through CDI where the runtime supports it,
   * and in the per-pod device file everywhere.
   */
  public List<String> environment() {
    return List.of(
        "SLURMKUBE_GPU_COUNT=" + devices.size(),
        "SLURMKUBE_GPU_DEVICES=" + join(PreparedDevice::device),
        "SLURMKUBE_GPU_UUIDS=" + join(PreparedDevice::uuid),
        "SLURMKUBE_GPU_INDICES=" + join(d -> Integer.toString(d.index())),
        "SLURMKUBE_GPU_CLAIM=" + namespace + "/" + name);
  }

  private String join(java.util.function.Function<PreparedDevice, String> field) {
    return devices.stream().map(field).collect(Collectors.joining(","));
  }
}
