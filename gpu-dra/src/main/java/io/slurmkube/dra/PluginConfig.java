package io.slurmkube.dra;

import io.fabric8.kubernetes.api.model.Quantity;
import io.slurmkube.dra.discovery.SimulatedGpus;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything the plugin is told from outside: environment variables, each of which can also be
 * given as a flag ({@code KUBELET_DIR} as {@code --kubelet-dir=...}; flags win).
 *
 * @param driverName the DRA driver name (also the DeviceClass name and CDI vendor)
 * @param nodeName this node (the ResourceSlice pool is named after it)
 * @param kubeletDir the kubelet's root directory, as the kubelet sees it on the host: the
 *     sockets are announced to the kubelet under this path
 * @param cdiDir where CDI spec files are written
 * @param stateDir where prepared claims are recorded, so that a restarted plugin still knows them
 * @param deviceInfoDir per-pod files naming the devices each pod got ({@code <dir>/<pod uid>/})
 * @param nvidiaSmi the nvidia-smi command (found on PATH unless it contains a slash)
 * @param simulated the simulated inventory used when nvidia-smi is absent
 * @param publishInterval how often the ResourceSlice is checked and repaired
 */
public record PluginConfig(
    String driverName,
    String nodeName,
    Path kubeletDir,
    Path cdiDir,
    Path stateDir,
    Path deviceInfoDir,
    String nvidiaSmi,
    SimulatedGpus simulated,
    Duration publishInterval) {

  public static final String DEFAULT_DRIVER = "gpu.slurmkube.io";

  /** The socket the kubelet's plugin watcher finds. */
  public Path registrationSocket() {
    return kubeletDir.resolve("plugins_registry").resolve(driverName + "-reg.sock");
  }

  /** The directory of this driver under the kubelet's plugins directory. */
  public Path pluginDir() {
    return kubeletDir.resolve("plugins").resolve(driverName);
  }

  /** The socket serving the DRA service, announced in the registration's endpoint. */
  public Path draSocket() {
    return pluginDir().resolve("dra.sock");
  }

  /**
   * Reads the configuration.
   *
   * @throws IllegalArgumentException naming the setting that is missing or malformed
   */
  public static PluginConfig from(Map<String, String> environment, String... args) {
    Map<String, String> settings = new HashMap<>(environment);
    for (String arg : args) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "': flags look like --kubelet-dir=/var/lib/kubelet");
      }
      String key = arg.substring(2, arg.indexOf('=')).toUpperCase().replace('-', '_');
      settings.put(key, arg.substring(arg.indexOf('=') + 1));
    }
    String driver = get(settings, "DRIVER_NAME", DEFAULT_DRIVER);
    String node = settings.get("NODE_NAME");
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("NODE_NAME is not set (the DaemonSet sets it from spec.nodeName)");
    }
    Path kubeletDir = absolute(settings, "KUBELET_DIR", "/var/lib/kubelet");
    Path stateDir = absolute(settings, "STATE_DIR", kubeletDir.resolve("plugins").resolve(driver).resolve("state").toString());
    SimulatedGpus simulated = new SimulatedGpus(
        integer(settings, "SIMULATED_GPUS", 0),
        get(settings, "SIMULATED_GPU_MODEL", "Simulated GPU"),
        mebibytes(settings, "SIMULATED_GPU_MEMORY", "16Gi"));
    return new PluginConfig(
        driver,
        node,
        kubeletDir,
        absolute(settings, "CDI_DIR", "/var/run/cdi"),
        stateDir,
        absolute(settings, "DEVICE_INFO_DIR", "/var/run/slurmkube-gpu"),
        get(settings, "NVIDIA_SMI", "nvidia-smi"),
        simulated,
        Duration.ofSeconds(integer(settings, "PUBLISH_INTERVAL_SECONDS", 15)));
  }

  private static String get(Map<String, String> settings, String key, String fallback) {
    String value = settings.get(key);
    return value == null || value.isBlank() ? fallback : value.strip();
  }

  private static Path absolute(Map<String, String> settings, String key, String fallback) {
    Path path = Path.of(get(settings, key, fallback));
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException(key + " must be an absolute path, got '" + path + "'");
    }
    return path.normalize();
  }

  private static int integer(Map<String, String> settings, String key, int fallback) {
    String value = get(settings, key, Integer.toString(fallback));
    try {
      int n = Integer.parseInt(value);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a non-negative whole number, got '" + value + "'");
    }
  }

  private static long mebibytes(Map<String, String> settings, String key, String fallback) {
    String value = get(settings, key, fallback);
    try {
      BigDecimal bytes = Quantity.getAmountInBytes(new Quantity(value));
      return bytes.divideToIntegralValue(BigDecimal.valueOf(1024L * 1024)).longValueExact();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(key + " must be a quantity such as 16Gi, got '" + value + "'");
    }
  }
}
