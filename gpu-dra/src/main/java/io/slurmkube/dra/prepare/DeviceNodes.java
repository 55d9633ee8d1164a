package io.slurmkube.dra.prepare;

import io.slurmkube.dra.prepare.PreparedClaim.PreparedDevice;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The device nodes a CDI spec puts into a container, as CDI {@code deviceNodes} entries: the
 * runtime makes each node in the container and lets the container's device cgroup open it. One
 * list per allocated device, and one for every container of the claim (the driver's control
 * nodes). A runtime without CDI ignores all of it; the per-pod device file is then the fallback.
 * Real NVIDIA GPUs: {@link NvidiaDeviceNodes}.
 */
public interface DeviceNodes {

  /** The character device major number of NVIDIA's GPU nodes. */
  int NVIDIA_MAJOR = 195;

  List<Map<String, Object>> of(PreparedDevice device);

  List<Map<String, Object>> shared();

  /** No device nodes: the spec only sets the environment. */
  DeviceNodes NONE = new DeviceNodes() {
    @Override
    public List<Map<String, Object>> of(PreparedDevice device) {
      return List.of();
    }

    @Override
    public List<Map<String, Object>> shared() {
      return List.of();
    }
  };

  /**
   * Simulated GPUs: a character device {@code /dev/slurmkube-sim-gpu<index>} with the NVIDIA
   * major number and the GPU's index as minor, made by the runtime (no file on the host, no MKNOD
   * in the pod). Nothing answers at that number without NVIDIA's driver; Slurm only needs a file
   * per GPU.
   */
  static DeviceNodes simulated() {
    return new DeviceNodes() {
      @Override
      public List<Map<String, Object>> of(PreparedDevice device) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("path", "/dev/slurmkube-sim-gpu" + device.index());
        node.put("type", "c");
        node.put("major", NVIDIA_MAJOR);
        node.put("minor", device.index());
        return List.of(node);
      }

      @Override
      public List<Map<String, Object>> shared() {
        return List.of();
      }
    };
  }
}
