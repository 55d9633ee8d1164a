package io.slurmkube.dra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginConfigTest {

  @Test
  void defaultsPutTheSocketsWhereAStandardKubeletLooks() {
    PluginConfig config = PluginConfig.from(Map.of("NODE_NAME", "node-a"));

    assertThat(config.driverName()).isEqualTo("gpu.slurmkube.io");
    assertThat(config.registrationSocket()).isEqualTo(Path.of("/var/lib/kubelet/plugins_registry/gpu.slurmkube.io-reg.sock"));
    assertThat(config.draSocket()).isEqualTo(Path.of("/var/lib/kubelet/plugins/gpu.slurmkube.io/dra.sock"));
    assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/kubelet/plugins/gpu.slurmkube.io/state"));
    assertThat(config.cdiDir()).isEqualTo(Path.of("/var/run/cdi"));
    assertThat(config.simulated().count()).isZero();
    assertThat(config.publishInterval()).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void anotherKubeletDirMovesBothSocketsAndTheState() {
    PluginConfig config = PluginConfig.from(Map.of("NODE_NAME", "n", "KUBELET_DIR", "/var/lib/slurmkube-cluster/kubelet"));

    assertThat(config.registrationSocket())
        .isEqualTo(Path.of("/var/lib/slurmkube-cluster/kubelet/plugins_registry/gpu.slurmkube.io-reg.sock"));
    assertThat(config.draSocket()).isEqualTo(Path.of("/var/lib/slurmkube-cluster/kubelet/plugins/gpu.slurmkube.io/dra.sock"));
    assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/slurmkube-cluster/kubelet/plugins/gpu.slurmkube.io/state"));
  }

  @Test
  void flagsOverrideTheEnvironment() {
    PluginConfig config = PluginConfig.from(Map.of("NODE_NAME", "n", "SIMULATED_GPUS", "2"),
        "--simulated-gpus=4", "--simulated-gpu-memory=80Gi", "--simulated-gpu-model=Simulated H100", "--cdi-dir=/etc/cdi");

    assertThat(config.simulated().count()).isEqualTo(4);
    assertThat(config.simulated().memoryMiB()).isEqualTo(80 * 1024);
    assertThat(config.simulated().model()).isEqualTo("Simulated H100");
    assertThat(config.cdiDir()).isEqualTo(Path.of("/etc/cdi"));
  }

  @Test
  void badSettingsAreNamedInTheError() {
    assertThatThrownBy(() -> PluginConfig.from(Map.of()))
        .hasMessageContaining("NODE_NAME");
    assertThatThrownBy(() -> PluginConfig.from(Map.of("NODE_NAME", "n", "SIMULATED_GPUS", "four")))
        .hasMessageContaining("SIMULATED_GPUS").hasMessageContaining("four");
    assertThatThrownBy(() -> PluginConfig.from(Map.of("NODE_NAME", "n", "SIMULATED_GPU_MEMORY", "lots")))
        .hasMessageContaining("SIMULATED_GPU_MEMORY");
    assertThatThrownBy(() -> PluginConfig.from(Map.of("NODE_NAME", "n", "KUBELET_DIR", "kubelet")))
        .hasMessageContaining("KUBELET_DIR").hasMessageContaining("absolute");
    assertThatThrownBy(() -> PluginConfig.from(Map.of("NODE_NAME", "n"), "kubelet-dir"))
        .hasMessageContaining("kubelet-dir");
  }
}
