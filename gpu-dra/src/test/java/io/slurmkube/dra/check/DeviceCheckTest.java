package io.slurmkube.dra.check;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The whole check, run against a fake nvidia-smi (a shell script replaying a recording). */
class DeviceCheckTest {

  @TempDir Path dir;

  record Run(int exitCode, String output) {}

  static Run check(Map<String, String> environment, String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = DeviceCheck.run(args, environment, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return new Run(code, bytes.toString(StandardCharsets.UTF_8));
  }

  static Stream<String> recordings() throws IOException {
    return Recordings.names();
  }

  @ParameterizedTest
  @MethodSource("recordings")
  void aRecordedMachinePassesAndIsRecordedAgainAsItWas(String name) throws Exception {
    Path smi = Recordings.fakeNvidiaSmi(dir.resolve("bin"), Recordings.dir(name));
    Path record = dir.resolve("record");

    Run run = check(Map.of("PATH", "/nonexistent:" + smi.getParent()), "--node=gpu-node-1", "--record=" + record,
        "--proc-gpus=" + Recordings.dir(name).resolve(Recording.PROC_GPUS), "--dev=" + dir.resolve("no-dev"));

    assertThat(run.output()).contains("== the ResourceSlice the plugin would publish", "kind: \"ResourceSlice\"",
        "name: \"gpu-node-1-gpu.slurmkube.io\"", "== the CDI spec the plugin would write", "\"kind\" : \"gpu.slurmkube.io/gpu\"");
    assertThat(run.output()).containsPattern("(?m)^device-check: \\d+ checks passed");
    assertThat(run.exitCode()).as(run.output()).isZero();
    // What was recorded is what nvidia-smi printed: a real machine's recording replays the same.
    for (String file : new String[] {Recording.QUERY, Recording.LIST, Recording.XML}) {
      String original = Recordings.read(name, file);
      if (original != null) {
        assertThat(record.resolve(file)).hasContent(original);
      }
    }
    assertThat(Files.readString(record.resolve(Recording.COMMANDS))).contains("$ " + smi + " -q -x\nexit 0");
    // The driver's per-GPU records are kept too, as they were.
    try (var buses = Files.list(Recordings.dir(name).resolve(Recording.PROC_GPUS))) {
      for (Path bus : buses.toList()) {
        assertThat(record.resolve(Recording.PROC_GPUS).resolve(bus.getFileName().toString()).resolve("information"))
            .hasSameTextualContentAs(bus.resolve("information"));
      }
    }
    assertThat(record.resolve(DeviceCheck.SLICE_FILE)).content().contains("kind: \"ResourceSlice\"");
    assertThat(record.resolve("cdi/gpu.slurmkube.io-claim_device-check.json")).exists();
    assertThat(Files.readString(record.resolve(DeviceCheck.REPORT_FILE))).containsPattern("(?m)^device-check: \\d+ checks passed")
        .doesNotContain("FAIL");
  }

  @Test
  void aMigMachineShowsItsMigDevicesInTheSliceAndCdiSpec() throws Exception {
    Path smi = Recordings.fakeNvidiaSmi(dir.resolve("bin"), Recordings.dir("a100-mig-and-whole"));

    Run run = check(Map.of(), "--nvidia-smi=" + smi, "--node=n1", "--record=" + dir.resolve("record"),
        "--proc-gpus=" + Recordings.dir("a100-mig-and-whole").resolve(Recording.PROC_GPUS), "--dev=" + dir.resolve("no-dev"));

    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("name: \"gpu-0-mig-2\"", "migProfile:", "\"name\" : \"device-check-gpu-0-mig-2\"",
        "SLURMKUBE_GPU_UUIDS=MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f,");
    // GPU 1's minor number is 0 (the driver numbered the GPUs the other way round): its node is
    // /dev/nvidia0, not /dev/nvidia1. MIG instances get none.
    assertThat(run.output()).contains(
        "ok    gpu-1 (GPU-8f1c2a3e-0b6e-4f5d-9a1c-2e3f4a5b6c7d): minor number: CDI device nodes [/dev/nvidia0], nvidia-smi -q -x: /dev/nvidia0",
        "skip  gpu-0-mig-0 (MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f): minor number: a MIG instance");
    assertThat(Files.readString(dir.resolve("record").resolve(Recording.COMMANDS))).contains(" -L\nexit 0");
  }

  @Test
  void aMismatchFailsWithExitCodeOneAndSaysWhere() throws Exception {
    Path recording = Recordings.copy("h100-80gb", dir);
    Path xml = recording.resolve(Recording.XML);
    Files.writeString(xml, Files.readString(xml).replace("<total>81559 MiB</total>", "<total>80000 MiB</total>"));
    Path smi = Recordings.fakeNvidiaSmi(dir.resolve("bin"), recording);

    Run run = check(Map.of(), "--nvidia-smi=" + smi, "--record=" + dir.resolve("record"));

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.output()).contains(
        "FAIL  gpu-0 (GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e): memory: the slice says 81559 MiB, nvidia-smi -q -x says 80000 MiB",
        "device-check: FAILED: 1 of ");
    assertThat(Files.readString(dir.resolve("record").resolve(DeviceCheck.REPORT_FILE))).contains("device-check: FAILED");
  }

  @Test
  void aFailingNvidiaSmiFailsTheCheckButItsOutputIsKept() throws Exception {
    Path smi = dir.resolve("nvidia-smi");
    Files.writeString(smi, "#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"\nexit 9\n");
    Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));

    Run run = check(Map.of(), "--nvidia-smi=" + smi, "--record=" + dir.resolve("record"));

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.output()).contains("FAIL  discovery: nvidia-smi: ", "exit 9", "couldn't communicate",
        "FAIL  nvidia-smi -q -x: output: nvidia-smi -q -x exited with 9", "device-check: FAILED: 2 of 2 checks");
    assertThat(dir.resolve("record").resolve(Recording.XML)).content().contains("couldn't communicate");
  }

  @Test
  void withoutNvidiaSmiItFailsAndSaysWhereItLooked() {
    Run run = check(Map.of("PATH", dir.toString()));

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.output()).startsWith("device-check: FAILED: nvidia-smi: 'nvidia-smi' is not an executable on the PATH (" + dir);
  }

  @Test
  void anUnknownFlagIsAUsageError() {
    Run run = check(Map.of(), "--kubelet-dir=/var/lib/kubelet");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.output()).contains("unexpected argument '--kubelet-dir=/var/lib/kubelet'");
  }

  @Test
  void theCdiSpecPrintedIsTheOneWritten() throws Exception {
    Path smi = Recordings.fakeNvidiaSmi(dir.resolve("bin"), Recordings.dir("h100-80gb"));
    Path record = dir.resolve("record");

    check(Map.of(), "--nvidia-smi=" + smi, "--record=" + record);

    var spec = new ObjectMapper().readTree(record.resolve("cdi/gpu.slurmkube.io-claim_device-check.json").toFile());
    assertThat(spec.get("devices").get(0).get("name").asText()).isEqualTo("device-check-gpu-0");
    assertThat(spec.get("containerEdits").get("env").toString()).contains("GPU-6b3f8e2a-41d7-9c05-e8a2-3d94f1b07c6e");
  }
}
