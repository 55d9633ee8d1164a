package io.slurmkube.dra.slice;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.slurmkube.dra.discovery.Gpu;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourceSlicesTest {

  static final Gpu WHOLE = Gpu.whole(1, "GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d", "NVIDIA A100-SXM4-40GB", 40960);
  static final Gpu MIG = new Gpu("gpu-0-mig-2", 0, "MIG-9a8b7c6d-5e4f-5a3b-9c2d-1e0f9a8b7c6d", "NVIDIA A100-SXM4-40GB",
      5120, "1g.5gb", "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77");

  @Test
  void oneSliceForTheNodeWithOnePoolNamedAfterIt() {
    ResourceSlice slice = ResourceSlices.build("gpu.slurmkube.io", "node-a", "uid-1", List.of(WHOLE), 3);

    assertThat(slice.getMetadata().getName()).isEqualTo("node-a-gpu.slurmkube.io");
    assertThat(slice.getSpec().getDriver()).isEqualTo("gpu.slurmkube.io");
    assertThat(slice.getSpec().getNodeName()).isEqualTo("node-a");
    assertThat(slice.getSpec().getPool().getName()).isEqualTo("node-a");
    assertThat(slice.getSpec().getPool().getGeneration()).isEqualTo(3);
    assertThat(slice.getSpec().getPool().getResourceSliceCount()).isEqualTo(1);
    assertThat(slice.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getKind()).isEqualTo("Node");
      assertThat(o.getName()).isEqualTo("node-a");
      assertThat(o.getUid()).isEqualTo("uid-1");
    });
  }

  @Test
  void aWholeGpuCarriesModelUuidIndexTypeAndMemory() {
    Device device = ResourceSlices.build("gpu.slurmkube.io", "node-a", null, List.of(WHOLE), 1).getSpec().getDevices().get(0);

    assertThat(device.getName()).isEqualTo("gpu-1");
    assertThat(device.getAttributes()).containsOnlyKeys("model", "uuid", "index", "type");
    assertThat(device.getAttributes().get("model").getString()).isEqualTo("NVIDIA A100-SXM4-40GB");
    assertThat(device.getAttributes().get("uuid").getString()).isEqualTo("GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d");
    assertThat(device.getAttributes().get("index").getInt()).isEqualTo(1L);
    assertThat(device.getAttributes().get("type").getString()).isEqualTo("gpu");
    assertThat(Quantity.getAmountInBytes(device.getCapacity().get("memory").getValue()))
        .isEqualByComparingTo(Quantity.getAmountInBytes(new Quantity("40Gi")));
  }

  @Test
  void aMigInstanceNamesItsProfileAndParent() {
    Device device = ResourceSlices.build("gpu.slurmkube.io", "node-a", null, List.of(MIG), 1).getSpec().getDevices().get(0);

    assertThat(device.getName()).isEqualTo("gpu-0-mig-2");
    assertThat(device.getAttributes().get("type").getString()).isEqualTo("mig");
    assertThat(device.getAttributes().get("migProfile").getString()).isEqualTo("1g.5gb");
    assertThat(device.getAttributes().get("parentUuid").getString()).isEqualTo("GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77");
    assertThat(device.getAttributes().get("index").getInt()).isZero();
  }

  @Test
  void sameDevicesIgnoresTheGenerationButNotTheDevices() {
    ResourceSlice one = ResourceSlices.build("gpu.slurmkube.io", "node-a", null, List.of(WHOLE, MIG), 1);

    assertThat(ResourceSlices.sameDevices(one, ResourceSlices.build("gpu.slurmkube.io", "node-a", null, List.of(WHOLE, MIG), 7)))
        .isTrue();
    assertThat(ResourceSlices.sameDevices(one, ResourceSlices.build("gpu.slurmkube.io", "node-a", null, List.of(WHOLE), 1)))
        .isFalse();
  }
}
