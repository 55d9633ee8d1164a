package io.slurmkube.dra.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.slurmkube.dra.PluginConfig;
import io.slurmkube.dra.check.NvidiaSmiXml.XmlGpu;
import io.slurmkube.dra.discovery.DiscoveryException;
import io.slurmkube.dra.discovery.Gpu;
import io.slurmkube.dra.discovery.GpuDiscovery;
import io.slurmkube.dra.discovery.Inventory;
import io.slurmkube.dra.discovery.NvidiaSmi;
import io.slurmkube.dra.discovery.SimulatedGpus;
import io.slurmkube.dra.prepare.CdiSpecs;
import io.slurmkube.dra.prepare.NvidiaDeviceNodes;
import io.slurmkube.dra.prepare.PreparedClaim;
import io.slurmkube.dra.prepare.PreparedClaim.PreparedDevice;
import io.slurmkube.dra.slice.ResourceSlices;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The device check, for a machine with NVIDIA GPUs ({@code gpu-dra/device-check.sh} runs it):
 * runs the plugin's own discovery against the real nvidia-smi, prints the ResourceSlice the
 * plugin would publish and the CDI spec it would write for a claim on every device, and holds
 * both against {@code nvidia-smi -q -x}. It talks to no API server and writes nothing outside
 * the recording directory.
 *
 * <p>Flags: {@code --node=NAME} (default: {@code NODE_NAME}, else the host name),
 * {@code --nvidia-smi=CMD} (default: {@code NVIDIA_SMI}, else {@code nvidia-smi} on the PATH),
 * {@code --record=DIR} (where nvidia-smi's outputs, the driver's per-GPU records, the slice, the
 * CDI spec and the report are kept; default: a temporary directory), {@code --proc-gpus=DIR} (the
 * driver's per-GPU records, default {@code /proc/driver/nvidia/gpus}) and {@code --dev=DIR}
 * (default {@code /dev}). Exit code 0 when every check passed, 1 when one failed
 * or nvidia-smi could not be used, 2 for a wrong flag.
 */
public final class DeviceCheck {

  /** The claim whose CDI spec is shown: it holds every device of the node. */
  static final String CLAIM_UID = "device-check";
  static final String SLICE_FILE = "resourceslice.yaml";
  static final String REPORT_FILE = "report.txt";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream out;
  private final String nodeName;
  private final String driverName;
  private final Path nvidiaSmi;
  private final Recording recording;
  private final NvidiaDeviceNodes deviceNodes;

  private DeviceCheck(PrintStream out, String nodeName, String driverName, Path nvidiaSmi, Recording recording,
      NvidiaDeviceNodes deviceNodes) {
    this.out = out;
    this.nodeName = nodeName;
    this.driverName = driverName;
    this.nvidiaSmi = nvidiaSmi;
    this.recording = recording;
    this.deviceNodes = deviceNodes;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out));
  }

  /** Runs the check and returns the exit code; everything it says goes to {@code out}. */
  public static int run(String[] args, Map<String, String> environment, PrintStream out) {
    Map<String, String> flags = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String key = eq < 0 ? arg : arg.substring(0, eq);
      if (eq < 0 || !List.of("--node", "--nvidia-smi", "--record", "--driver", "--proc-gpus", "--dev").contains(key)) {
        out.println("device-check: unexpected argument '" + arg + "'; flags: --node=NAME --nvidia-smi=CMD --record=DIR"
            + " --proc-gpus=DIR --dev=DIR");
        return 2;
      }
      flags.put(key, arg.substring(eq + 1));
    }
    String node = Optional.ofNullable(flags.get("--node")).or(() -> Optional.ofNullable(environment.get("NODE_NAME")))
        .filter(s -> !s.isBlank()).orElseGet(() -> hostName(environment));
    String command = Optional.ofNullable(flags.get("--nvidia-smi"))
        .or(() -> Optional.ofNullable(environment.get("NVIDIA_SMI"))).filter(s -> !s.isBlank()).orElse("nvidia-smi");
    Optional<Path> smi = GpuDiscovery.findExecutable(command, environment.get("PATH"));
    if (smi.isEmpty()) {
      out.println("device-check: FAILED: nvidia-smi: '" + command + "' is not an executable"
          + (command.contains("/") ? "" : " on the PATH (" + environment.get("PATH") + ")"));
      return 1;
    }
    try {
      Path dir = flags.containsKey("--record") ? Path.of(flags.get("--record"))
          : Files.createTempDirectory("device-check-");
      Recording recording = new Recording(dir);
      String driver = flags.getOrDefault("--driver", PluginConfig.DEFAULT_DRIVER);
      Path procGpus = Path.of(flags.getOrDefault("--proc-gpus", NvidiaDeviceNodes.PROC_GPUS.toString()));
      recording.copyTree(procGpus, Recording.PROC_GPUS);
      var nodes = new NvidiaDeviceNodes(procGpus, Path.of(flags.getOrDefault("--dev", "/dev")));
      CheckReport report = new DeviceCheck(out, node, driver, smi.get(), recording, nodes).check();
      out.println(report.summary());
      recording.write(REPORT_FILE, lines(report) + report.summary() + "\n");
      out.println("(nvidia-smi's outputs, the slice, the CDI spec and this report are in " + dir + ")");
      return report.passed() ? 0 : 1;
    } catch (IOException | RuntimeException e) {
      out.println("device-check: FAILED: " + e);
      return 1;
    }
  }

  private CheckReport check() throws IOException {
    out.println("== nvidia-smi: " + nvidiaSmi + ", node name: " + nodeName);
    GpuDiscovery discovery = new GpuDiscovery(Optional.of(nvidiaSmi), new SimulatedGpus(0, "none", 1), nodeName, recording);
    Inventory inventory = null;
    String discoveryFailure = null;
    try {
      inventory = discovery.discover();
    } catch (DiscoveryException e) {
      discoveryFailure = e.getMessage();
    }
    // Asked even when discovery failed: its output is worth keeping as a fixture either way.
    NvidiaSmiXml xml = null;
    String xmlFailure = null;
    try {
      NvidiaSmi.Output x = discovery.run(List.of("-q", "-x"));
      if (x.exitCode() != 0) {
        xmlFailure = "nvidia-smi -q -x exited with " + x.exitCode() + ": " + (x.stderr() + x.stdout()).strip();
      } else {
        xml = NvidiaSmiXml.parse(x.stdout());
      }
    } catch (DiscoveryException | IllegalArgumentException e) {
      xmlFailure = "nvidia-smi -q -x: " + e.getMessage();
    }

    CheckReport report = new CheckReport();
    if (discoveryFailure != null) {
      report.fail("discovery", "nvidia-smi", discoveryFailure);
    }
    if (xmlFailure != null) {
      report.fail("nvidia-smi -q -x", "output", xmlFailure);
    } else {
      printXml(xml);
    }
    if (inventory == null) {
      printChecks(report);
      return report;
    }
    printInventory(inventory);

    ResourceSlice slice = ResourceSlices.build(driverName, nodeName, null, inventory.gpus(), 1);
    String yaml = new KubernetesSerialization().asYaml(slice);
    recording.write(SLICE_FILE, yaml);
    out.println("== the ResourceSlice the plugin would publish");
    out.print(yaml);

    // The device nodes are the plugin's: minor numbers from the driver's records, control nodes
    // that this machine has.
    out.println("== minor numbers in the driver's records (" + NvidiaDeviceNodes.PROC_GPUS + "): " + deviceNodes.minorNumbers());
    CdiSpecs cdi = new CdiSpecs(recording.dir().resolve("cdi"), driverName, deviceNodes);
    cdi.write(claimOnEveryDevice(cdi, inventory.gpus()));
    JsonNode spec = JSON.readTree(Files.readString(cdi.file(CLAIM_UID)));
    out.println("== the CDI spec the plugin would write for a claim on every device: " + cdi.file(CLAIM_UID).getFileName());
    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(spec));

    if (xml == null) {
      printChecks(report);
      return report;
    }
    CheckReport compared = DeviceComparison.compare(slice, spec, cdi.kind(), CLAIM_UID, inventory.problems(), xml);
    report.addAll(compared);
    printChecks(report);
    return report;
  }

  /** What NodePrepareResources would record for a claim allocated every device of the node. */
  private PreparedClaim claimOnEveryDevice(CdiSpecs cdi, List<Gpu> gpus) {
    List<PreparedDevice> devices = gpus.stream()
        .map(g -> new PreparedDevice("gpus", nodeName, g.name(), g.uuid(), g.index(), g.model(), cdi.deviceId(CLAIM_UID, g.name())))
        .toList();
    return new PreparedClaim(CLAIM_UID, "device-check", "every-gpu", devices, List.of());
  }

  private void printXml(NvidiaSmiXml xml) {
    out.println("== nvidia-smi -q -x: driver " + xml.driverVersion() + ", " + xml.gpus().size() + " GPU(s)");
    for (XmlGpu g : xml.gpus()) {
      out.println("  GPU " + g.index() + " " + g.busId() + " " + g.uuid() + " '" + g.productName() + "' "
          + (g.memoryMiB().isPresent() ? g.memoryMiB().getAsLong() + " MiB" : "memory N/A")
          + ", MIG " + g.migMode() + ", minor number " + g.minorNumber().map(String::valueOf).orElse("N/A")
          + (g.migDevices().isEmpty() ? "" : ", " + g.migDevices().size() + " MIG device(s)"));
    }
  }

  private void printInventory(Inventory inventory) {
    out.println("== the plugin's discovery (" + inventory.source() + "): " + inventory.gpus().size() + " device(s)");
    for (Gpu g : inventory.gpus()) {
      out.println("  " + g.name() + " " + g.uuid() + " '" + g.model() + "' " + g.memoryMiB() + " MiB"
          + (g.isMig() ? ", MIG " + g.migProfile() + " of " + g.parentUuid() : ""));
    }
    inventory.problems().forEach(p -> out.println("  problem: " + p));
  }

  private void printChecks(CheckReport report) {
    out.println("== checks against nvidia-smi -q -x");
    out.print(lines(report));
  }

  private static String lines(CheckReport report) {
    StringBuilder s = new StringBuilder();
    report.checks().forEach(c -> s.append(c.line()).append('\n'));
    return s.toString();
  }

  /**
   * The kernel's host name, read without a name lookup (the GPU machine has no network). Node
   * names are lower case.
   */
  private static String hostName(Map<String, String> environment) {
    String name = environment.get("HOSTNAME");
    if (name == null || name.isBlank()) {
      try {
        name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
      } catch (IOException e) {
        name = "";
      }
    }
    return name.isBlank() ? "device-check-node" : name.toLowerCase(Locale.ROOT);
  }
}
