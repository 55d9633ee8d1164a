package io.slurmkube.dra.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.slurmkube.dra.check.CheckReport.Check;
import io.slurmkube.dra.check.CheckReport.Status;
import io.slurmkube.dra.discovery.Inventory;
import io.slurmkube.dra.discovery.NvidiaSmi;
import io.slurmkube.dra.prepare.CdiSpecs;
import io.slurmkube.dra.prepare.PreparedClaim;
import io.slurmkube.dra.prepare.PreparedClaim.PreparedDevice;
import io.slurmkube.dra.slice.ResourceSlices;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The comparison on recorded outputs: the slice and CDI spec are built as the plugin builds them
 * from the CSV and -L output, and held against the XML, as is or changed the way a broken plugin
 * or driver would change it.
 */
class DeviceComparisonTest {

  static final String DRIVER = "gpu.slurmkube.io";
  static final CdiSpecs CDI = new CdiSpecs(Path.of("/nonexistent"), DRIVER);

  /** What the plugin would publish for these outputs, compared with {@code xml}. */
  static CheckReport compare(String query, String list, String xml) throws Exception {
    return compare(query, list, xml, spec -> {});
  }

  interface SpecChange {
    void apply(ObjectNode spec);
  }

  static CheckReport compare(String query, String list, String xml, SpecChange change) throws Exception {
    NvidiaSmi.Output q = new NvidiaSmi.Output(0, query, "");
    Inventory inventory = NvidiaSmi.inventory(q, NvidiaSmi.needsMigListing(q) ? new NvidiaSmi.Output(0, list, "") : null);
    ResourceSlice slice = ResourceSlices.build(DRIVER, "node-a", null, inventory.gpus(), 1);
    List<PreparedDevice> devices = inventory.gpus().stream()
        .map(g -> new PreparedDevice("gpus", "node-a", g.name(), g.uuid(), g.index(), g.model(), CDI.deviceId("uid-1", g.name())))
        .toList();
    ObjectNode spec = (ObjectNode) new ObjectMapper().readTree(CDI.render(new PreparedClaim("uid-1", "ns", "c", devices, List.of())));
    change.apply(spec);
    return DeviceComparison.compare(slice, spec, CDI.kind(), "uid-1", inventory.problems(), NvidiaSmiXml.parse(xml));
  }

  static CheckReport recorded(String name) throws Exception {
    return compare(Recordings.read(name, Recording.QUERY), Recordings.read(name, Recording.LIST), Recordings.read(name, Recording.XML));
  }

  static List<String> failed(CheckReport report) {
    return report.failures().stream().map(c -> c.subject() + " | " + c.field() + " | " + c.detail()).toList();
  }

  static Stream<String> recordings() throws Exception {
    return Recordings.names();
  }

  @ParameterizedTest
  @MethodSource("recordings")
  void everyRecordingAgreesWithItself(String name) throws Exception {
    CheckReport report = recorded(name);

    assertThat(failed(report)).isEmpty();
    assertThat(report.summary()).startsWith("device-check: ").contains(" checks passed");
  }

  @Test
  void eachFieldOfAWholeGpuIsCompared() throws Exception {
    CheckReport report = recorded("h100-80gb");

    String gpu = "gpu-0 (GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e)";
    assertThat(report.checks()).extracting(Check::subject, Check::field).contains(
        tuple("node", "GPU count"),
        tuple("GPU 0 (GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e)", "MIG mode"),
        tuple(gpu, "uuid"),
        tuple(gpu, "product name"),
        tuple(gpu, "memory"),
        tuple(gpu, "index"),
        tuple(gpu, "CDI device"));
    // The plugin's CDI spec has no device nodes yet: the minor number is shown, not compared.
    assertThat(report.checks()).filteredOn(c -> c.field().equals("minor number")).singleElement().satisfies(c -> {
      assertThat(c.status()).isEqualTo(Status.SKIP);
      assertThat(c.detail()).contains("/dev/nvidia0");
    });
    assertThat(report.summary()).endsWith(", 1 skipped");
  }

  @Test
  void aDifferentUuidFailsNamingTheDeviceAndTheField() throws Exception {
    String xml = Recordings.read("h100-80gb", Recording.XML)
        .replace("<uuid>GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e</uuid>", "<uuid>GPU-00000000-0000-0000-0000-000000000000</uuid>");

    CheckReport report = compare(Recordings.read("h100-80gb", Recording.QUERY), null, xml);

    assertThat(report.passed()).isFalse();
    assertThat(failed(report)).contains("gpu-0 (GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e) | uuid | the slice says "
        + "GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e, nvidia-smi -q -x says GPU-00000000-0000-0000-0000-000000000000");
    assertThat(report.summary()).startsWith("device-check: FAILED: ").contains("gpu-0 (GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e) uuid");
  }

  @Test
  void aGpuThatDiscoveryMissedFails() throws Exception {
    String name = "a100-mig-and-whole";
    String query = Recordings.read(name, Recording.QUERY).lines().limit(1).map(l -> l + "\n").findFirst().orElseThrow();

    CheckReport report = compare(query, Recordings.read(name, Recording.LIST), Recordings.read(name, Recording.XML));

    assertThat(failed(report)).containsExactly(
        "node | GPU count | 1 GPU(s) in the slice (whole or as MIG devices), 2 in nvidia-smi -q -x",
        "GPU 1 (GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d) | published | no device gpu-1 in the slice for this NVIDIA A100-SXM4-40GB");
  }

  @Test
  void aGpuThatNvidiaSmiDoesNotReportFails() throws Exception {
    String name = "a100-mig-and-whole";
    String xml = Recordings.read(name, Recording.XML);
    String withoutSecond = xml.substring(0, xml.indexOf("\t<gpu id=\"00000000:0F:00.0\">")) + "</nvidia_smi_log>\n";

    CheckReport report = compare(Recordings.read(name, Recording.QUERY), Recordings.read(name, Recording.LIST), withoutSecond);

    assertThat(failed(report)).containsExactly(
        "node | GPU count | 2 GPU(s) in the slice (whole or as MIG devices), 1 in nvidia-smi -q -x",
        "gpu-1 (GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d) | published | in the slice, but nvidia-smi -q -x reports no such device");
  }

  @Test
  void migModeOnWithNoMigDevicesDiscoveredFails() throws Exception {
    // nvidia-smi -L lists no instance of GPU 0, while -q -x shows three.
    String name = "a100-mig-and-whole";
    String list = Recordings.read(name, Recording.LIST).lines().filter(l -> l.startsWith("GPU")).map(l -> l + "\n")
        .reduce("", String::concat);

    CheckReport report = compare(Recordings.read(name, Recording.QUERY), list, Recordings.read(name, Recording.XML));

    assertThat(failed(report)).contains(
        "GPU 0 (GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77) | MIG devices | nvidia-smi -q -x lists 3 MIG device(s) but the slice has none",
        "node | MIG device count | 0 in the slice, 3 on GPUs in MIG mode in nvidia-smi -q -x");
    assertThat(failed(report)).anySatisfy(f -> assertThat(f).startsWith("discovery | problem | GPU 0").contains("no MIG instances"));
  }

  @Test
  void aGpuInMigModePublishedWholeFails() throws Exception {
    // The driver switched GPU 1 to MIG mode after the CSV said Disabled (or the plugin misread it).
    String name = "a100-mig-and-whole";
    String xml = Recordings.read(name, Recording.XML);
    int second = xml.indexOf("\t<gpu id=\"00000000:0F:00.0\">");
    xml = xml.substring(0, second) + xml.substring(second).replaceFirst("<current_mig>Disabled</current_mig>", "<current_mig>Enabled</current_mig>");

    CheckReport report = compare(Recordings.read(name, Recording.QUERY), Recordings.read(name, Recording.LIST), xml);

    assertThat(failed(report)).contains(
        "GPU 1 (GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d) | MIG mode | Enabled in nvidia-smi -q -x; yet the slice publishes it whole as gpu-1");
  }

  @Test
  void memoryMayDifferByRoundingForAWholeGpuAndByTheProfileNameForMig() throws Exception {
    String name = "a100-mig-and-whole";
    String query = Recordings.read(name, Recording.QUERY);
    String list = Recordings.read(name, Recording.LIST);
    String xml = Recordings.read(name, Recording.XML);

    // The recorded 3g.20gb has 19968 MiB against the slice's 20480: accepted.
    assertThat(recorded(name).checks()).filteredOn(c -> c.subject().startsWith("gpu-0-mig-0") && c.field().equals("memory"))
        .singleElement().satisfies(c -> {
          assertThat(c.status()).isEqualTo(Status.OK);
          assertThat(c.detail()).contains("20480 MiB", "19968 MiB", "3g.20gb");
        });
    assertThat(compare(query.replace("40960, Disabled", "40961, Disabled"), list, xml).passed()).isTrue();
    assertThat(failed(compare(query.replace("40960, Disabled", "40962, Disabled"), list, xml))).containsExactly(
        "gpu-1 (GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d) | memory | the slice says 40962 MiB, nvidia-smi -q -x says 40960 MiB");
    assertThat(failed(compare(query, list, xml.replace("<total>19968 MiB</total>", "<total>16000 MiB</total>"))))
        .singleElement().asString().startsWith("gpu-0-mig-0 (MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f) | memory | ");
  }

  @Test
  void aDifferentProductNameFails() throws Exception {
    String xml = Recordings.read("h100-80gb", Recording.XML).replace("NVIDIA H100 80GB HBM3", "NVIDIA H100 PCIe");

    assertThat(failed(compare(Recordings.read("h100-80gb", Recording.QUERY), null, xml))).singleElement().asString()
        .contains("| product name | the slice says NVIDIA H100 80GB HBM3, nvidia-smi -q -x says NVIDIA H100 PCIe");
  }

  @Test
  void aMigUuidIsComparedWhereNvidiaSmiWritesOne() throws Exception {
    String name = "a100-mig-and-whole";
    String xml = Recordings.read(name, Recording.XML).replace("<index>1</index>", "<index>1</index><uuid>MIG-other</uuid>");

    assertThat(failed(compare(Recordings.read(name, Recording.QUERY), Recordings.read(name, Recording.LIST), xml)))
        .containsExactly("gpu-0-mig-1 (MIG-0e3f8b7a-1d2c-5b4a-8f9e-7d6c5b4a3f2e) | uuid | the slice says "
            + "MIG-0e3f8b7a-1d2c-5b4a-8f9e-7d6c5b4a3f2e, nvidia-smi -q -x says MIG-other");
  }

  @Test
  void everySliceDeviceNeedsACdiDeviceAndViceVersa() throws Exception {
    String name = "a100-mig-and-whole";
    CheckReport report = compare(Recordings.read(name, Recording.QUERY), Recordings.read(name, Recording.LIST),
        Recordings.read(name, Recording.XML), spec -> {
          ArrayNode devices = (ArrayNode) spec.get("devices");
          devices.remove(3);
          ((ObjectNode) devices.get(0)).put("name", "uid-1-gpu-7");
        });

    assertThat(failed(report)).contains(
        "gpu-0-mig-0 (MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f) | CDI device | the CDI spec has no device uid-1-gpu-0-mig-0",
        "gpu-1 (GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d) | CDI device | the CDI spec has no device uid-1-gpu-1",
        "CDI spec | device uid-1-gpu-7 | matches no device of the slice");
  }

  @Test
  void deviceNodesInTheCdiSpecMustBeTheGpusMinorNumber() throws Exception {
    String name = "a100-mig-and-whole";
    // GPU 1 has minor number 0 (GPU 0, in MIG mode, has 1): the index is not the minor number.
    SpecChange byMinor = spec -> node(spec, "/dev/nvidia0");
    SpecChange byIndex = spec -> node(spec, "/dev/nvidia1");
    String query = Recordings.read(name, Recording.QUERY);
    String list = Recordings.read(name, Recording.LIST);
    String xml = Recordings.read(name, Recording.XML);

    CheckReport right = compare(query, list, xml, byMinor);
    assertThat(right.passed()).isTrue();
    var minorChecks = right.checks().stream().filter(c -> c.field().equals("minor number")).toList();
    assertThat(minorChecks).filteredOn(c -> c.status() == Status.OK).singleElement()
        .satisfies(c -> assertThat(c.subject()).startsWith("gpu-1 "));
    // MIG instances get no node from the plugin: nothing to compare.
    assertThat(minorChecks).filteredOn(c -> c.status() == Status.SKIP).hasSize(3)
        .allSatisfy(c -> assertThat(c.detail()).startsWith("a MIG instance"));

    assertThat(failed(compare(query, list, xml, byIndex))).singleElement().asString()
        .contains("| minor number | CDI device nodes [/dev/nvidia1], nvidia-smi -q -x: /dev/nvidia0");
  }

  /** Gives the whole GPU gpu-1 of the spec the device node {@code path}. */
  private static void node(JsonNode spec, String path) {
    for (JsonNode d : spec.get("devices")) {
      if (d.get("name").asText().endsWith("-gpu-1")) {
        ((ObjectNode) d.get("containerEdits")).putArray("deviceNodes").addObject().put("path", path);
      }
    }
  }

  @Test
  void discoveryProblemsFailTheCheck() throws Exception {
    String name = "h100-80gb";
    String query = Recordings.read(name, Recording.QUERY) + "garbage line\n";

    assertThat(failed(compare(query, null, Recordings.read(name, Recording.XML)))).singleElement().asString()
        .startsWith("discovery | problem | unexpected nvidia-smi line");
  }
}
