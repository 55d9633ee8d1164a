package io.slurmkube.dra.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery as the plugin runs it: a real nvidia-smi executable (a script here), or simulation. */
class GpuDiscoveryTest {

  static final SimulatedGpus FOUR = new SimulatedGpus(4, "Simulated A100", 40960);

  @TempDir Path dir;

  /** An nvidia-smi that answers the query with {@code query} and -L with {@code list}. */
  Path fakeNvidiaSmi(String query, String list, int exitCode) throws IOException {
    Files.writeString(dir.resolve("query.out"), query);
    Files.writeString(dir.resolve("list.out"), list);
    Path script = dir.resolve("nvidia-smi");
    Files.writeString(script, "#!/bin/sh\n"
        + "case \"$1\" in -L) cat '" + dir.resolve("list.out") + "' ;; *) cat '" + dir.resolve("query.out") + "' ;; esac\n"
        + "exit " + exitCode + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  @Test
  void nvidiaSmiWinsOverTheSimulatedInventoryWhenItExists() throws Exception {
    Path smi = fakeNvidiaSmi(NvidiaSmiTest.sample("query-one-mig-one-whole.csv"),
        NvidiaSmiTest.sample("list-one-mig-one-whole.txt"), 0);

    Inventory inventory = new GpuDiscovery(Optional.of(smi), FOUR, "node-a").discover();

    assertThat(inventory.source()).isEqualTo("nvidia-smi");
    assertThat(inventory.gpus()).extracting(Gpu::name).containsExactly("gpu-0-mig-0", "gpu-0-mig-1", "gpu-0-mig-2", "gpu-1");
  }

  @Test
  void aFailingNvidiaSmiIsReportedWithItsMessage() throws Exception {
    Path smi = fakeNvidiaSmi(NvidiaSmiTest.sample("driver-not-loaded.txt"), "", 9);

    assertThatThrownBy(() -> new GpuDiscovery(Optional.of(smi), FOUR, "node-a").discover())
        .isInstanceOf(DiscoveryException.class)
        .hasMessageContaining("exit 9")
        .hasMessageContaining("couldn't communicate with the NVIDIA driver");
  }

  @Test
  void withoutNvidiaSmiTheSimulatedGpusArePublished() throws Exception {
    Inventory inventory = new GpuDiscovery(Optional.empty(), FOUR, "node-a").discover();

    assertThat(inventory.source()).isEqualTo("simulated");
    assertThat(inventory.gpus()).extracting(Gpu::name).containsExactly("gpu-0", "gpu-1", "gpu-2", "gpu-3");
    assertThat(inventory.gpus()).allSatisfy(g -> {
      assertThat(g.model()).isEqualTo("Simulated A100");
      assertThat(g.memoryMiB()).isEqualTo(40960);
      assertThat(g.uuid()).matches("GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    });
    assertThat(inventory.gpus()).extracting(Gpu::uuid).doesNotHaveDuplicates();
  }

  @Test
  void simulatedUuidsAreStableOnANodeAndDifferBetweenNodes() throws Exception {
    var a1 = new GpuDiscovery(Optional.empty(), FOUR, "node-a").discover().gpus();
    var a2 = new GpuDiscovery(Optional.empty(), FOUR, "node-a").discover().gpus();
    var b = new GpuDiscovery(Optional.empty(), FOUR, "node-b").discover().gpus();

    assertThat(a1).isEqualTo(a2);
    assertThat(a1.get(0).uuid()).isNotEqualTo(b.get(0).uuid());
  }

  @Test
  void neitherNvidiaSmiNorSimulationMeansNoGpusAndSaysWhy() throws Exception {
    Inventory inventory = new GpuDiscovery(Optional.empty(), new SimulatedGpus(0, "x", 1), "node-a").discover();

    assertThat(inventory.gpus()).isEmpty();
    assertThat(inventory.problems()).singleElement().asString().contains("no nvidia-smi");
  }

  @Test
  void nvidiaSmiIsFoundOnThePathOnlyWhenExecutable() throws Exception {
    Path smi = fakeNvidiaSmi("", "", 0);
    Path other = Files.createDirectory(dir.resolve("other"));
    Files.writeString(other.resolve("nvidia-smi"), "not executable");

    assertThat(GpuDiscovery.findExecutable("nvidia-smi", other + ":" + dir)).contains(smi);
    assertThat(GpuDiscovery.findExecutable("nvidia-smi", other.toString())).isEmpty();
    assertThat(GpuDiscovery.findExecutable(smi.toString(), null)).contains(smi);
    assertThat(GpuDiscovery.findExecutable("/nonexistent/nvidia-smi", "/usr/bin")).isEmpty();
  }
}
