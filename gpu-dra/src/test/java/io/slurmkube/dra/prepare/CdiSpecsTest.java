package io.slurmkube.dra.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CdiSpecsTest {

  @TempDir Path dir;

  CdiSpecs cdi() {
    return new CdiSpecs(dir.resolve("cdi"), "gpu.slurmkube.io");
  }

  static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void theSpecHasOneCdiDeviceForEachGpuAndTheClaimEnvironment() throws Exception {
    CdiSpecs cdi = cdi();
    PreparedClaim claim = Claims.twoGpus(cdi);

    cdi.write(claim);

    JsonNode spec = new ObjectMapper().readTree(cdi.file(Claims.UID).toFile());
    assertThat(spec.get("cdiVersion").asText()).isEqualTo("0.6.0");
    assertThat(spec.get("kind").asText()).isEqualTo("gpu.slurmkube.io/gpu");
    assertThat(spec.get("devices")).hasSize(2);
    // The IDs handed to the kubelet resolve to devices of this spec: <kind>=<device name>.
    for (int i = 0; i < 2; i++) {
      String id = claim.devices().get(i).cdiDeviceId();
      assertThat(id).isEqualTo(spec.get("kind").asText() + "=" + spec.get("devices").get(i).get("name").asText());
      assertThat(texts(spec.get("devices").get(i).get("containerEdits").get("env"))).isNotEmpty();
    }
    assertThat(spec.get("devices").get(0).get("containerEdits").has("deviceNodes")).isFalse();
    assertThat(texts(spec.get("containerEdits").get("env"))).contains(
        "SLURMKUBE_GPU_COUNT=2",
        "SLURMKUBE_GPU_DEVICES=gpu-0,gpu-2",
        "SLURMKUBE_GPU_UUIDS=GPU-aaaa,GPU-cccc",
        "SLURMKUBE_GPU_INDICES=0,2",
        "SLURMKUBE_GPU_CLAIM=team-a/train-gpus");
  }

  @Test
  void simulatedGpusGetACharacterDeviceEachThatTheRuntimeMakes() throws Exception {
    CdiSpecs cdi = new CdiSpecs(dir.resolve("cdi"), "gpu.slurmkube.io", DeviceNodes.simulated());
    cdi.write(Claims.twoGpus(cdi));

    JsonNode spec = new ObjectMapper().readTree(cdi.file(Claims.UID).toFile());
    // The GPUs of the claim are indices 0 and 2: each device names its own node, numbered by index.
    JsonNode second = spec.get("devices").get(1).get("containerEdits").get("deviceNodes");
    assertThat(second).hasSize(1);
    assertThat(second.get(0).get("path").asText()).isEqualTo("/dev/slurmkube-sim-gpu2");
    assertThat(second.get(0).get("type").asText()).isEqualTo("c");
    assertThat(second.get(0).get("major").asInt()).isEqualTo(195);
    assertThat(second.get(0).get("minor").asInt()).isEqualTo(2);
    assertThat(spec.get("containerEdits").has("deviceNodes")).isFalse();
  }

  @Test
  void cdiNamesAreValid() {
    // CDI: vendor [a-zA-Z0-9][a-zA-Z0-9_.-]*, class [a-zA-Z0-9][a-zA-Z0-9_-]*, name [a-zA-Z0-9][a-zA-Z0-9_.:-]*.
    assertThat(cdi().deviceId(Claims.UID, "gpu-0-mig-1"))
        .matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*/[a-zA-Z0-9][a-zA-Z0-9_-]*=[a-zA-Z0-9][a-zA-Z0-9_.:-]*");
  }

  @Test
  void removeDeletesTheSpecAndOnlyIt() throws Exception {
    CdiSpecs cdi = cdi();
    cdi.write(Claims.twoGpus(cdi));
    Path other = Files.writeString(dir.resolve("cdi/nvidia.com-gpu.yaml"), "cdiVersion: 0.5.0\n");

    cdi.remove(Claims.UID);
    cdi.remove(Claims.UID);

    assertThat(cdi.file(Claims.UID)).doesNotExist();
    assertThat(other).exists();
  }

  @Test
  void onlyThisDriversSpecsAreCountedAsItsClaims() throws Exception {
    CdiSpecs cdi = cdi();
    cdi.write(Claims.twoGpus(cdi));
    Files.writeString(dir.resolve("cdi/nvidia.com-gpu.yaml"), "garbage");
    Files.writeString(dir.resolve("cdi/gpu.slurmkube.io-claim_truncated.json"), "{\"cdiVer");

    assertThat(cdi.claimsWithSpecs()).containsExactlyInAnyOrder(Claims.UID, "truncated");
  }

  @Test
  void garbageOrADirectoryWhereTheSpecGoesIsReplaced() throws Exception {
    CdiSpecs cdi = cdi();
    Files.createDirectories(cdi.file(Claims.UID).resolve("junk"));

    cdi.write(Claims.twoGpus(cdi));

    assertThat(new ObjectMapper().readTree(cdi.file(Claims.UID).toFile()).get("kind").asText()).isEqualTo("gpu.slurmkube.io/gpu");
  }

  @Test
  void aCdiDirectoryThatIsAFileIsAnErrorNamingIt() throws Exception {
    Files.writeString(dir.resolve("cdi"), "not a directory");
    CdiSpecs cdi = cdi();

    assertThatThrownBy(() -> cdi.write(Claims.twoGpus(cdi))).hasMessageContaining(dir.resolve("cdi") + " is not a directory");
    assertThat(cdi.claimsWithSpecs()).isEmpty();
  }
}
