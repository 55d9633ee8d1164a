package io.slurmkube.dra.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Parsing nvidia-smi outputs in the format it prints (samples under resources/nvidia-smi). */
class NvidiaSmiTest {

  static String sample(String name) {
    try (InputStream in = NvidiaSmiTest.class.getResourceAsStream("/nvidia-smi/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static NvidiaSmi.Output ok(String name) {
    return new NvidiaSmi.Output(0, sample(name), "");
  }

  @Test
  void wholeGpusBecomeOneDeviceEachWithTheirAttributes() throws Exception {
    Inventory inventory = NvidiaSmi.inventory(ok("query-two-a100.csv"), null);

    assertThat(inventory.gpus()).containsExactly(
        new Gpu("gpu-0", 0, "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77", "NVIDIA A100-SXM4-40GB", 40960, null, null),
        new Gpu("gpu-1", 1, "GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d", "NVIDIA A100-SXM4-40GB", 40960, null, null));
    assertThat(inventory.problems()).isEmpty();
    assertThat(inventory.source()).isEqualTo("nvidia-smi");
  }

  @Test
  void aGpuWithoutMigSupportIsAWholeGpu() throws Exception {
    Inventory inventory = NvidiaSmi.inventory(ok("query-geforce-no-mig.csv"), null);

    assertThat(inventory.gpus()).singleElement().satisfies(g -> {
      assertThat(g.name()).isEqualTo("gpu-0");
      assertThat(g.model()).isEqualTo("NVIDIA GeForce RTX 3090");
      assertThat(g.memoryMiB()).isEqualTo(24576);
      assertThat(g.isMig()).isFalse();
    });
  }

  @Test
  void aGpuInMigModeIsPublishedAsItsMigInstances() throws Exception {
    NvidiaSmi.Output query = ok("query-one-mig-one-whole.csv");
    assertThat(NvidiaSmi.needsMigListing(query)).isTrue();

    Inventory inventory = NvidiaSmi.inventory(query, ok("list-one-mig-one-whole.txt"));

    assertThat(inventory.gpus()).extracting(Gpu::name)
        .containsExactly("gpu-0-mig-0", "gpu-0-mig-1", "gpu-0-mig-2", "gpu-1");
    Gpu first = inventory.gpus().get(0);
    assertThat(first.uuid()).isEqualTo("MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f");
    assertThat(first.migProfile()).isEqualTo("3g.20gb");
    assertThat(first.memoryMiB()).isEqualTo(20 * 1024);
    assertThat(first.parentUuid()).isEqualTo("GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77");
    assertThat(first.index()).isZero();
    assertThat(inventory.gpus().get(2).memoryMiB()).isEqualTo(5 * 1024);
    assertThat(inventory.gpus().get(3).isMig()).isFalse();
    assertThat(inventory.problems()).isEmpty();
  }

  @Test
  void noMigListingIsNeededWhenNoGpuIsInMigMode() throws Exception {
    assertThat(NvidiaSmi.needsMigListing(ok("query-two-a100.csv"))).isFalse();
  }

  @Test
  void aGpuInMigModeWithoutInstancesIsLeftOutWithAReason() throws Exception {
    Inventory inventory = NvidiaSmi.inventory(ok("query-mig-without-instances.csv"), ok("list-mig-without-instances.txt"));

    assertThat(inventory.gpus()).isEmpty();
    assertThat(inventory.problems()).singleElement().asString()
        .contains("GPU 0", "MIG mode", "no MIG instances");
  }

  @Test
  void aGpuReportingAnErrorIsLeftOutAndTheOthersArePublished() throws Exception {
    Inventory inventory = NvidiaSmi.inventory(ok("query-unknown-error.csv"), null);

    assertThat(inventory.gpus()).extracting(Gpu::name).containsExactly("gpu-1");
    assertThat(inventory.problems()).singleElement().asString()
        .contains("GPU 0", "[Unknown Error]", "not published");
  }

  @Test
  void aDriverThatIsNotLoadedIsAnErrorThatSaysSo() {
    NvidiaSmi.Output failed = new NvidiaSmi.Output(9, sample("driver-not-loaded.txt"), "");

    assertThatThrownBy(() -> NvidiaSmi.inventory(failed, null))
        .isInstanceOf(DiscoveryException.class)
        .hasMessageContaining("exit 9")
        .hasMessageContaining("couldn't communicate with the NVIDIA driver");
  }

  @Test
  void noDevicesIsAnEmptyInventoryNotAnError() throws Exception {
    Inventory inventory = NvidiaSmi.inventory(new NvidiaSmi.Output(6, sample("no-devices.txt"), ""), null);

    assertThat(inventory.gpus()).isEmpty();
  }

  @Test
  void aFailingMigListingIsAnError() {
    NvidiaSmi.Output list = new NvidiaSmi.Output(15, "", "Unable to determine the device handle for GPU0000:07:00.0: Unknown Error\n");

    assertThatThrownBy(() -> NvidiaSmi.inventory(ok("query-one-mig-one-whole.csv"), list))
        .isInstanceOf(DiscoveryException.class)
        .hasMessageContaining("nvidia-smi -L failed (exit 15): Unable to determine the device handle");
  }

  @Test
  void garbageLinesAreReportedAndSkipped() throws Exception {
    NvidiaSmi.Output query = new NvidiaSmi.Output(0,
        "Failed to initialize NVML: Driver/library version mismatch\n" + sample("query-geforce-no-mig.csv"), "");

    Inventory inventory = NvidiaSmi.inventory(query, null);

    assertThat(inventory.gpus()).extracting(Gpu::name).containsExactly("gpu-0");
    assertThat(inventory.problems()).singleElement().asString().contains("Driver/library version mismatch");
  }

  @Test
  void memoryWithUnitsIsUnderstoodToo() throws Exception {
    NvidiaSmi.Output query = new NvidiaSmi.Output(0,
        "0, GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77, Tesla T4, 15360 MiB, Disabled\n", "");

    assertThat(NvidiaSmi.inventory(query, null).gpus()).extracting(Gpu::memoryMiB).containsExactly(15360L);
  }
}
