package io.slurmkube.dra.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.dra.prepare.PreparedClaim.PreparedDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NvidiaDeviceNodesTest {

  @TempDir Path dir;

  static final String GPU_A = "GPU-aaaaaaaa-0000-0000-0000-000000000000";
  static final String GPU_B = "GPU-bbbbbbbb-0000-0000-0000-000000000000";

  Path proc() throws Exception {
    Path proc = dir.resolve("gpus");
    // nvidia-smi indexes by PCI bus (A is index 0, B index 1); the driver numbered them the other way.
    write(proc.resolve("0000:07:00.0"), "Model: \t\t NVIDIA A100\nGPU UUID: \t " + GPU_A + "\nBus Location: \t 0000:07:00.0\nDevice Minor: \t 1\n");
    write(proc.resolve("0000:0f:00.0"), "Model: \t\t NVIDIA A100\nGPU UUID: \t " + GPU_B + "\nBus Location: \t 0000:0f:00.0\nDevice Minor: \t 0\n");
    write(proc.resolve("0000:aa:00.0"), "Model: \t\t no uuid line\nDevice Minor: \t 7\n");
    return proc;
  }

  static void write(Path bus, String information) throws Exception {
    Files.createDirectories(bus);
    Files.writeString(bus.resolve("information"), information);
  }

  static PreparedDevice device(String name, String uuid, int index) {
    return new PreparedDevice("gpus", "node-a", name, uuid, index, "NVIDIA A100", "gpu.slurmkube.io/gpu=x-" + name);
  }

  @Test
  void eachGpuGetsTheNodeOfItsMinorNumberNotOfItsIndex() throws Exception {
    var nodes = new NvidiaDeviceNodes(proc(), dir.resolve("dev"));

    assertThat(nodes.minorNumbers()).isEqualTo(Map.of(GPU_A, 1, GPU_B, 0));
    assertThat(nodes.of(device("gpu-0", GPU_A, 0))).containsExactly(Map.of("path", "/dev/nvidia1"));
    assertThat(nodes.of(device("gpu-1", GPU_B, 1))).containsExactly(Map.of("path", "/dev/nvidia0"));
  }

  @Test
  void aGpuTheDriverHasNoRecordOfAndAMigInstanceGetNoNode() throws Exception {
    var nodes = new NvidiaDeviceNodes(proc(), dir.resolve("dev"));

    assertThat(nodes.of(device("gpu-5", "GPU-cccccccc-0000-0000-0000-000000000000", 5))).isEmpty();
    assertThat(nodes.of(device("gpu-0-mig-1", "MIG-dddddddd-0000-0000-0000-000000000000", 0))).isEmpty();
    assertThat(new NvidiaDeviceNodes(dir.resolve("no-driver"), dir.resolve("dev")).of(device("gpu-0", GPU_A, 0))).isEmpty();
  }

  @Test
  void onlyTheControlNodesTheHostHasAreShared() throws Exception {
    Path dev = Files.createDirectories(dir.resolve("dev"));
    Files.writeString(dev.resolve("nvidiactl"), "");
    Files.writeString(dev.resolve("nvidia-uvm"), "");

    assertThat(new NvidiaDeviceNodes(proc(), dev).shared())
        .containsExactly(Map.of("path", "/dev/nvidiactl"), Map.of("path", "/dev/nvidia-uvm"));
  }

  @Test
  void theSpecNamesThoseNodes() throws Exception {
    CdiSpecs cdi = new CdiSpecs(dir.resolve("cdi"), "gpu.slurmkube.io", new NvidiaDeviceNodes(proc(), dir.resolve("dev")));
    var claim = new PreparedClaim("uid-1", "team", "c", List.of(device("gpu-1", GPU_B, 1)), List.of());

    var spec = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cdi.render(claim));
    assertThat(spec.get("devices").get(0).get("containerEdits").get("deviceNodes").toString())
        .isEqualTo("[{\"path\":\"/dev/nvidia0\"}]");
  }
}
