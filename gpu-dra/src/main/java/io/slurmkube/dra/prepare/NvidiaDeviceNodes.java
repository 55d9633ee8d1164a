package io.slurmkube.dra.prepare;

import io.slurmkube.dra.prepare.PreparedClaim.PreparedDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Real NVIDIA GPUs' device nodes. A GPU's node is {@code /dev/nvidia<minor number>}, and the minor
 * number need not be nvidia-smi's index (devices are indexed by PCI bus, numbered as the driver
 * probed them), so it is read from the driver's own record of each GPU,
 * {@code /proc/driver/nvidia/gpus/<bus>/information} ("GPU UUID:" and "Device Minor:" lines).
 * A GPU without such a record, or a MIG instance (which would also need {@code /dev/nvidia-caps}),
 * gets no node: a wrong one would hand the pod another GPU. The control nodes ({@code nvidiactl},
 * {@code nvidia-uvm}, {@code nvidia-uvm-tools}) go to every container of a claim where they exist
 * under {@code devDir}: one the host lacks would fail the container's start.
 */
public final class NvidiaDeviceNodes implements DeviceNodes {

  public static final Path PROC_GPUS = Path.of("/proc/driver/nvidia/gpus");
  static final List<String> CONTROL_NODES = List.of("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools");

  private final Path procGpus;
  private final Path devDir;

  /**
   * @param procGpus the driver's per-GPU records ({@link #PROC_GPUS}; procfs shows the host's)
   * @param devDir the host's {@code /dev} as this process sees it
   */
  public NvidiaDeviceNodes(Path procGpus, Path devDir) {
    this.procGpus = procGpus;
    this.devDir = devDir;
  }

  /** GPU UUID to minor number, from every readable record; empty without the driver. */
  public Map<String, Integer> minorNumbers() {
    Map<String, Integer> minors = new HashMap<>();
    if (!Files.isDirectory(procGpus)) {
      return minors;
    }
    try (var buses = Files.list(procGpus)) {
      for (Path bus : buses.sorted().toList()) {
        Path information = bus.resolve("information");
        if (Files.isReadable(information)) {
          parse(Files.readString(information)).forEach(minors::put);
        }
      }
    } catch (IOException e) {
      return minors; // a GPU we cannot read about gets no node, as without the driver
    }
    return minors;
  }

  /** The UUID and minor number of one information file; empty when either is missing. */
  static Map<String, Integer> parse(String information) {
    String uuid = null;
    Integer minor = null;
    for (String line : information.lines().toList()) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      if (key.equals("GPU UUID")) {
        uuid = value;
      } else if (key.equals("Device Minor") && value.matches("\\d{1,6}")) {
        minor = Integer.valueOf(value);
      }
    }
    return uuid == null || minor == null ? Map.of() : Map.of(uuid, minor);
  }

  @Override
  public List<Map<String, Object>> of(PreparedDevice device) {
    Integer minor = device.uuid().startsWith("GPU-") ? minorNumbers().get(device.uuid()) : null;
    return minor == null ? List.of() : List.of(Map.of("path", "/dev/nvidia" + minor));
  }

  @Override
  public List<Map<String, Object>> shared() {
    return CONTROL_NODES.stream()
        .filter(n -> Files.exists(devDir.resolve(n)))
        .<Map<String, Object>>map(n -> Map.of("path", "/dev/" + n))
        .toList();
  }
}
