package io.slurmkube.dra.check;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.slurmkube.dra.check.NvidiaSmiXml.XmlGpu;
import io.slurmkube.dra.check.NvidiaSmiXml.XmlMigDevice;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Holds what the plugin would publish (the ResourceSlice and the CDI spec of a claim on every
 * device) against what {@code nvidia-smi -q -x} reports, one {@link CheckReport} line per compared
 * field.
 *
 * <p>Slice devices are paired with nvidia-smi's GPUs by name, which the plugin derives from the
 * nvidia-smi index: {@code gpu-<i>} is the i-th {@code <gpu>}, {@code gpu-<i>-mig-<n>} its
 * {@code <mig_device>} with index n. So a wrong UUID shows as a wrong UUID on the right device,
 * not as one device missing and another unknown.
 */
public final class DeviceComparison {

  /** Whole GPUs: both sides read the same driver field, so only rounding may differ. */
  static final long WHOLE_GPU_MEMORY_TOLERANCE_MIB = 1;
  /**
   * MIG devices: the plugin takes the memory from the profile name (3g.20gb: 20 GiB), which is
   * nominal; nvidia-smi reports the real size (19968 MiB for an A100's 3g.20gb, 4864 for 1g.5gb).
   */
  static final double MIG_MEMORY_TOLERANCE = 0.10;

  /** A slice device's fields, read back from the fabric8 object the plugin would send. */
  record SliceDevice(String name, String type, String uuid, String model, Long index, Long memoryMiB,
      String migProfile, String parentUuid) {

    static SliceDevice of(Device d) {
      Map<String, DeviceAttribute> a = d.getAttributes() == null ? Map.of() : d.getAttributes();
      DeviceCapacity memory = d.getCapacity() == null ? null : d.getCapacity().get("memory");
      return new SliceDevice(d.getName(), string(a, "type"), string(a, "uuid"), string(a, "model"),
          a.containsKey("index") ? a.get("index").getInt() : null,
          memory == null ? null : mebibytes(memory.getValue()),
          string(a, "migProfile"), string(a, "parentUuid"));
    }

    boolean isMig() {
      return "mig".equals(type);
    }

    String label() {
      return name + " (" + uuid + ")";
    }

    private static String string(Map<String, DeviceAttribute> attributes, String key) {
      DeviceAttribute value = attributes.get(key);
      return value == null ? null : value.getString();
    }

    private static long mebibytes(Quantity q) {
      return Quantity.getAmountInBytes(q).divide(BigDecimal.valueOf(1 << 20), 0, RoundingMode.HALF_UP).longValueExact();
    }
  }

  private final CheckReport report = new CheckReport();
  private final Map<String, SliceDevice> slice = new LinkedHashMap<>();
  private final JsonNode cdiSpec;
  private final String cdiKind;
  private final String claimUid;
  private final NvidiaSmiXml xml;

  private DeviceComparison(ResourceSlice slice, JsonNode cdiSpec, String cdiKind, String claimUid, NvidiaSmiXml xml) {
    slice.getSpec().getDevices().forEach(d -> this.slice.put(d.getName(), SliceDevice.of(d)));
    this.cdiSpec = cdiSpec;
    this.cdiKind = cdiKind;
    this.claimUid = claimUid;
    this.xml = xml;
  }

  /**
   * Compares.
   *
   * @param slice the ResourceSlice the plugin would publish
   * @param cdiSpec the CDI spec the plugin would write for claim {@code claimUid} holding every
   *     device of the slice
   * @param cdiKind the CDI kind the plugin uses ({@code <driver>/gpu})
   * @param discoveryProblems what discovery could not make sense of; each one fails the check
   */
  public static CheckReport compare(ResourceSlice slice, JsonNode cdiSpec, String cdiKind, String claimUid,
      List<String> discoveryProblems, NvidiaSmiXml xml) {
    DeviceComparison c = new DeviceComparison(slice, cdiSpec, cdiKind, claimUid, xml);
    c.discovery(discoveryProblems);
    c.counts();
    xml.gpus().forEach(c::gpu);
    c.unknownSliceDevices();
    c.cdi();
    return c.report;
  }

  private void discovery(List<String> problems) {
    if (problems.isEmpty()) {
      report.ok("discovery", "problems", "none");
    }
    problems.forEach(p -> report.fail("discovery", "problem", p));
  }

  private void counts() {
    Set<String> physical = new LinkedHashSet<>();
    slice.values().forEach(d -> physical.add(d.isMig() ? d.parentUuid() : d.uuid()));
    report.check(physical.size() == xml.gpus().size(), "node", "GPU count",
        physical.size() + " GPU(s) in the slice (whole or as MIG devices), " + xml.gpus().size() + " in nvidia-smi -q -x");
    long sliceMigs = slice.values().stream().filter(SliceDevice::isMig).count();
    long xmlMigs = xml.gpus().stream().filter(XmlGpu::migEnabled).mapToLong(g -> g.migDevices().size()).sum();
    if (sliceMigs > 0 || xml.gpus().stream().anyMatch(XmlGpu::migEnabled)) {
      report.check(sliceMigs == xmlMigs, "node", "MIG device count",
          sliceMigs + " in the slice, " + xmlMigs + " on GPUs in MIG mode in nvidia-smi -q -x");
    }
  }

  private void gpu(XmlGpu gpu) {
    String subject = "GPU " + gpu.index() + " (" + gpu.uuid() + ")";
    String wholeName = "gpu-" + gpu.index();
    List<SliceDevice> migs = slice.values().stream().filter(d -> d.name().startsWith(wholeName + "-mig-")).toList();
    if (gpu.migEnabled()) {
      report.check(!slice.containsKey(wholeName), subject, "MIG mode",
          "Enabled in nvidia-smi -q -x; " + (slice.containsKey(wholeName) ? "yet the slice publishes it whole as " + wholeName
              : "the slice publishes its MIG devices, not the whole GPU"));
      int expected = gpu.migDevices().size();
      report.check(migs.size() == expected, subject, "MIG devices", migs.isEmpty() && expected > 0
          ? "nvidia-smi -q -x lists " + expected + " MIG device(s) but the slice has none"
          : migs.size() + " in the slice, " + expected + " in nvidia-smi -q -x");
      gpu.migDevices().forEach(m -> migDevice(gpu, m));
      return;
    }
    report.check(migs.isEmpty(), subject, "MIG mode", gpu.migMode() + " in nvidia-smi -q -x; "
        + (migs.isEmpty() ? "the slice publishes the whole GPU" : "yet the slice has MIG devices " + names(migs)));
    SliceDevice d = slice.get(wholeName);
    if (d == null) {
      report.fail(subject, "published", "no device " + wholeName + " in the slice for this " + gpu.productName());
      return;
    }
    String label = d.label();
    report.check(gpu.uuid().equals(d.uuid()), label, "uuid", compared(d.uuid(), gpu.uuid()));
    report.check("gpu".equals(d.type()), label, "type", "'" + d.type() + "' (a whole GPU is 'gpu')");
    report.check(Objects.equals(d.index(), (long) gpu.index()), label, "index", compared(d.index(), (long) gpu.index()));
    report.check(gpu.productName().equals(d.model()), label, "product name", compared(d.model(), gpu.productName()));
    memory(label, d.memoryMiB(), gpu.memoryMiB(), null);
  }

  private void migDevice(XmlGpu gpu, XmlMigDevice mig) {
    String name = "gpu-" + gpu.index() + "-mig-" + mig.index();
    SliceDevice d = slice.get(name);
    if (d == null) {
      report.fail("GPU " + gpu.index() + " (" + gpu.uuid() + ") MIG device " + mig.index(), "published",
          "no device " + name + " in the slice (GPU instance " + mig.gpuInstanceId() + ", compute instance "
              + mig.computeInstanceId() + ")");
      return;
    }
    String label = d.label();
    report.check("mig".equals(d.type()), label, "type", "'" + d.type() + "' (a MIG device is 'mig')");
    report.check(gpu.uuid().equals(d.parentUuid()), label, "parent uuid", compared(d.parentUuid(), gpu.uuid()));
    mig.uuid().ifPresent(uuid -> report.check(uuid.equals(d.uuid()), label, "uuid", compared(d.uuid(), uuid)));
    report.check(Objects.equals(d.index(), (long) gpu.index()), label, "index", compared(d.index(), (long) gpu.index()));
    report.check(gpu.productName().equals(d.model()), label, "product name", compared(d.model(), gpu.productName()));
    memory(label, d.memoryMiB(), mig.memoryMiB(), d.migProfile());
  }

  /** {@code migProfile}: null for a whole GPU. */
  private void memory(String subject, Long sliceMiB, OptionalLong xmlMiB, String migProfile) {
    if (sliceMiB == null || xmlMiB.isEmpty()) {
      report.fail(subject, "memory", compared(sliceMiB == null ? null : sliceMiB + " MiB",
          xmlMiB.isEmpty() ? null : xmlMiB.getAsLong() + " MiB"));
      return;
    }
    long real = xmlMiB.getAsLong();
    long difference = Math.abs(sliceMiB - real);
    boolean mig = migProfile != null;
    boolean close = mig ? difference <= MIG_MEMORY_TOLERANCE * real : difference <= WHOLE_GPU_MEMORY_TOLERANCE_MIB;
    report.check(close, subject, "memory", compared(sliceMiB + " MiB", real + " MiB")
        + (mig ? " (the slice has profile " + migProfile + "'s nominal size; within "
            + Math.round(MIG_MEMORY_TOLERANCE * 100) + "% is accepted)" : ""));
  }

  /** Slice devices that no GPU of nvidia-smi -q -x accounts for. */
  private void unknownSliceDevices() {
    Set<String> expected = new LinkedHashSet<>();
    for (XmlGpu gpu : xml.gpus()) {
      if (gpu.migEnabled()) {
        gpu.migDevices().forEach(m -> expected.add("gpu-" + gpu.index() + "-mig-" + m.index()));
      } else {
        expected.add("gpu-" + gpu.index());
      }
    }
    slice.values().stream()
        .filter(d -> !expected.contains(d.name()) && !reportedUnderItsGpu(d))
        .forEach(d -> report.fail(d.label(), "published", "in the slice, but nvidia-smi -q -x reports no such device"));
  }

  /**
   * A whole device of a GPU in MIG mode, or a MIG device of a GPU that is not, was already
   * reported under the GPU's MIG mode.
   */
  private boolean reportedUnderItsGpu(SliceDevice d) {
    return xml.gpus().stream().anyMatch(g -> g.migEnabled()
        ? d.name().equals("gpu-" + g.index())
        : d.name().startsWith("gpu-" + g.index() + "-mig-"));
  }

  private void cdi() {
    String kind = cdiSpec.path("kind").asText();
    report.check(cdiKind.equals(kind), "CDI spec", "kind",
        cdiKind.equals(kind) ? kind : "the spec says " + kind + ", the plugin's kind is " + cdiKind);
    Map<String, JsonNode> cdiDevices = new LinkedHashMap<>();
    cdiSpec.path("devices").forEach(d -> cdiDevices.put(d.path("name").asText(), d));
    for (SliceDevice d : slice.values()) {
      String cdiName = claimUid + "-" + d.name();
      JsonNode entry = cdiDevices.get(cdiName);
      if (entry == null) {
        report.fail(d.label(), "CDI device", "the CDI spec has no device " + cdiName);
        continue;
      }
      report.ok(d.label(), "CDI device", kind + "=" + cdiName);
      List<String> env = texts(entry.path("containerEdits").path("env"));
      report.check(env.stream().anyMatch(e -> e.endsWith("=" + d.uuid())), d.label(), "CDI device environment",
          env + (env.stream().anyMatch(e -> e.endsWith("=" + d.uuid())) ? " names" : " does not name") + " its uuid");
      deviceNode(d, entry);
    }
    Set<String> expected = slice.values().stream().map(d -> claimUid + "-" + d.name()).collect(Collectors.toSet());
    cdiDevices.keySet().stream().filter(n -> !expected.contains(n))
        .forEach(n -> report.fail("CDI spec", "device " + n, "matches no device of the slice"));
    String uuids = "SLURMKUBE_GPU_UUIDS=" + slice.values().stream().map(SliceDevice::uuid).collect(Collectors.joining(","));
    List<String> claimEnv = texts(cdiSpec.path("containerEdits").path("env"));
    report.check(claimEnv.contains(uuids), "CDI spec", "claim environment",
        claimEnv.contains(uuids) ? "has " + uuids : "lacks " + uuids + "; has " + claimEnv);
  }

  /**
   * Whether the CDI spec gives the container the GPU's own /dev/nvidiaN, N its minor number (which
   * need not be its index). MIG instances get no node from the plugin; a GPU without one (no
   * driver record of its minor number) is skipped, with what nvidia-smi says.
   */
  private void deviceNode(SliceDevice d, JsonNode entry) {
    if (d.isMig()) {
      report.skip(d.label(), "minor number", "a MIG instance: the plugin gives it no device node (it would also need /dev/nvidia-caps)");
      return;
    }
    Optional<Integer> minor = xml.gpus().stream().filter(g -> g.uuid().equals(d.uuid())).findFirst()
        .flatMap(XmlGpu::minorNumber);
    String path = minor.map(m -> "/dev/nvidia" + m).orElse(null);
    List<String> nodes = deviceNodes(entry);
    if (nodes.isEmpty()) {
      report.skip(d.label(), "minor number", "nvidia-smi -q -x: " + (path == null ? "none" : minor.get() + ", so " + path)
          + "; the CDI spec gives it no device node (no driver record of its minor number), so there is nothing to compare");
      return;
    }
    report.check(path != null && nodes.equals(List.of(path)), d.label(), "minor number",
        "CDI device nodes " + nodes + ", nvidia-smi -q -x: " + (path == null ? "no minor number" : path));
  }

  private static List<String> deviceNodes(JsonNode specOrDevice) {
    List<String> out = new ArrayList<>();
    specOrDevice.path("containerEdits").path("deviceNodes").forEach(n -> out.add(n.path("path").asText()));
    return out;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String compared(Object slice, Object nvidiaSmi) {
    return Objects.equals(slice, nvidiaSmi) ? String.valueOf(slice)
        : "the slice says " + slice + ", nvidia-smi -q -x says " + nvidiaSmi;
  }

  private static String names(List<SliceDevice> devices) {
    return devices.stream().map(SliceDevice::name).collect(Collectors.joining(", "));
  }
}
