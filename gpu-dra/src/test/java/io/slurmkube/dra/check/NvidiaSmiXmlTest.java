package io.slurmkube.dra.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slurmkube.dra.check.NvidiaSmiXml.XmlGpu;
import io.slurmkube.dra.check.NvidiaSmiXml.XmlMigDevice;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class NvidiaSmiXmlTest {

  static NvidiaSmiXml recorded(String name) {
    return NvidiaSmiXml.parse(Recordings.read(name, Recording.XML));
  }

  @Test
  void aWholeGpuWithItsFieldsAndNotThoseOfNestedSections() {
    NvidiaSmiXml xml = recorded("h100-80gb");

    assertThat(xml.driverVersion()).isEqualTo("580.159.04");
    assertThat(xml.gpus()).singleElement().satisfies(g -> {
      assertThat(g.index()).isZero();
      assertThat(g.busId()).isEqualTo("00000000:00:07.0");
      assertThat(g.uuid()).isEqualTo("GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e");
      assertThat(g.productName()).isEqualTo("NVIDIA H100 80GB HBM3");
      // fb_memory_usage, not bar1_memory_usage (131072) nor cc_protected_memory_usage (0).
      assertThat(g.memoryMiB()).hasValue(81559);
      assertThat(g.migMode()).isEqualTo("Disabled");
      assertThat(g.migEnabled()).isFalse();
      assertThat(g.minorNumber()).contains(0);
      assertThat(g.migDevices()).isEmpty();
    });
  }

  @Test
  void migDevicesWithTheirOwnMemoryAndGpusInDocumentOrder() {
    NvidiaSmiXml xml = recorded("a100-mig-and-whole");

    assertThat(xml.gpus()).extracting(XmlGpu::index).containsExactly(0, 1);
    XmlGpu mig = xml.gpus().get(0);
    assertThat(mig.migEnabled()).isTrue();
    assertThat(mig.minorNumber()).contains(1);
    assertThat(mig.memoryMiB()).hasValue(40960);
    assertThat(mig.migDevices()).containsExactly(
        new XmlMigDevice(0, "2", "0", OptionalLong.of(19968), Optional.empty()),
        new XmlMigDevice(1, "3", "0", OptionalLong.of(9856), Optional.empty()),
        new XmlMigDevice(2, "9", "0", OptionalLong.of(4864), Optional.empty()));
    assertThat(xml.gpus().get(1).migDevices()).isEmpty();
    assertThat(xml.gpus().get(1).minorNumber()).contains(0);
  }

  @Test
  void aGpuWithoutMigSupportSaysNA() {
    XmlGpu gpu = recorded("geforce-no-mig").gpus().get(0);

    assertThat(gpu.migMode()).isEqualTo("N/A");
    assertThat(gpu.migEnabled()).isFalse();
  }

  @Test
  void aMigUuidIsReadWhereTheDriverWritesOne() {
    NvidiaSmiXml xml = NvidiaSmiXml.parse("""
        <nvidia_smi_log><gpu id="0"><uuid>GPU-1</uuid><minor_number>N/A</minor_number>
          <fb_memory_usage><total>N/A</total></fb_memory_usage>
          <mig_mode><current_mig>Enabled</current_mig></mig_mode>
          <mig_devices><mig_device><index>4</index><uuid>MIG-7</uuid></mig_device></mig_devices>
        </gpu></nvidia_smi_log>""");

    XmlGpu gpu = xml.gpus().get(0);
    assertThat(gpu.uuid()).isEqualTo("GPU-1");
    assertThat(gpu.minorNumber()).isEmpty();
    assertThat(gpu.memoryMiB()).isEmpty();
    assertThat(gpu.migDevices()).singleElement().satisfies(m -> {
      assertThat(m.index()).isEqualTo(4);
      assertThat(m.uuid()).contains("MIG-7");
      assertThat(m.memoryMiB()).isEmpty();
    });
    assertThat(xml.driverVersion()).isEqualTo("unknown");
  }

  @Test
  void noGpusIsAnEmptyLog() {
    assertThat(NvidiaSmiXml.parse("<nvidia_smi_log><attached_gpus>0</attached_gpus></nvidia_smi_log>").gpus()).isEmpty();
  }

  @Test
  void somethingElseIsAnErrorThatSaysWhat() {
    assertThatThrownBy(() -> NvidiaSmiXml.parse("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not well-formed XML");
    assertThatThrownBy(() -> NvidiaSmiXml.parse("<html/>"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("root element is <html>");
  }

  @Test
  void externalEntitiesAreNotRead() {
    String xml = """
        <?xml version="1.0"?>
        <!DOCTYPE nvidia_smi_log [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
        <nvidia_smi_log><driver_version>&secret;</driver_version></nvidia_smi_log>""";

    // Either refused or left unexpanded; never the file's content.
    try {
      assertThat(NvidiaSmiXml.parse(xml).driverVersion()).isIn("", "unknown");
    } catch (IllegalArgumentException refused) {
      assertThat(refused).hasMessageContaining("not well-formed XML");
    }
  }
}
