package io.slurmkube.dra.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.dra.discovery.Inventory;
import io.slurmkube.dra.discovery.SimulatedGpus;
import io.slurmkube.dra.prepare.ClaimPreparer.ClaimRef;
import io.slurmkube.dra.prepare.ClaimPreparer.Result;
import io.slurmkube.dra.prepare.PreparedClaim.PreparedDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ClaimPreparer alone: the API server is a map of claims here. */
class ClaimPreparerTest {

  static final String DRIVER = "gpu.slurmkube.io";
  static final String NODE = "node-a";
  static final Inventory GPUS = new SimulatedGpus(4, "Simulated A100", 40960).inventory(NODE);
  static final ClaimRef REF = new ClaimRef("team-a", "train-gpus", Claims.UID);

  @TempDir Path dir;
  final Map<String, ResourceClaim> apiServer = new HashMap<>();
  final List<String> lookups = new ArrayList<>();

  ClaimPreparer preparer() throws Exception {
    return new ClaimPreparer(DRIVER, NODE, () -> GPUS, (ns, name) -> {
      lookups.add(ns + "/" + name);
      return apiServer.get(ns + "/" + name);
    }, new ClaimStore(dir.resolve("state")), cdi(), info());
  }

  CdiSpecs cdi() {
    return new CdiSpecs(dir.resolve("cdi"), DRIVER);
  }

  DeviceInfoFiles info() {
    return new DeviceInfoFiles(dir.resolve("pods"));
  }

  static ResourceClaim allocated(String uid, String... devices) {
    ResourceClaimBuilder claim = new ResourceClaimBuilder()
        .withNewMetadata().withNamespace("team-a").withName("train-gpus").withUid(uid).endMetadata()
        .withNewStatus()
          .withNewAllocation().withNewDevices().endDevices().endAllocation()
          .addNewReservedFor().withResource("pods").withName("train-0").withUid(Claims.POD).endReservedFor()
        .endStatus();
    for (String device : devices) {
      String[] poolAndName = device.split("/");
      claim.editStatus().editAllocation().editDevices().addNewResult()
          .withRequest("gpus").withDriver(DRIVER).withPool(poolAndName[0]).withDevice(poolAndName[1])
          .endResult().endDevices().endAllocation().endStatus();
    }
    return claim.build();
  }

  @BeforeEach
  void claimWithTwoGpus() {
    apiServer.put("team-a/train-gpus", allocated(Claims.UID, NODE + "/gpu-1", NODE + "/gpu-3"));
  }

  @Test
  void preparingReturnsOneCdiDeviceForEachAllocatedGpuAndWritesTheFiles() throws Exception {
    Result result = preparer().prepare(List.of(REF)).get(Claims.UID);

    assertThat(result.error()).isEmpty();
    assertThat(result.devices()).extracting(PreparedDevice::device, PreparedDevice::pool, PreparedDevice::request)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("gpu-1", NODE, "gpus"),
            org.assertj.core.groups.Tuple.tuple("gpu-3", NODE, "gpus"));
    assertThat(result.devices()).extracting(PreparedDevice::cdiDeviceId)
        .containsExactly(cdi().deviceId(Claims.UID, "gpu-1"), cdi().deviceId(Claims.UID, "gpu-3"));
    assertThat(cdi().file(Claims.UID)).exists();
    String uuids = GPUS.gpus().get(1).uuid() + "," + GPUS.gpus().get(3).uuid();
    assertThat(Files.readString(info().file(Claims.POD, "train-gpus")))
        .contains("SLURMKUBE_GPU_DEVICES=gpu-1,gpu-3\n", "SLURMKUBE_GPU_UUIDS=" + uuids + "\n", "SLURMKUBE_GPU_INDICES=1,3\n");
  }

  @Test
  void preparingAgainGivesTheSameAnswerWithoutAskingTheApiServer() throws Exception {
    ClaimPreparer preparer = preparer();
    Result first = preparer.prepare(List.of(REF)).get(Claims.UID);
    apiServer.clear();

    Result second = preparer.prepare(List.of(REF)).get(Claims.UID);

    assertThat(second).isEqualTo(first);
    assertThat(lookups).hasSize(1);
  }

  @Test
  void aRestartedPreparerRemembersAndRepairsItsFiles() throws Exception {
    Result first = preparer().prepare(List.of(REF)).get(Claims.UID);
    apiServer.clear();
    Files.writeString(cdi().file(Claims.UID), "{ truncated");
    Files.delete(info().file(Claims.POD, "train-gpus"));

    ClaimPreparer restarted = preparer();
    restarted.restore();

    assertThat(Files.readString(cdi().file(Claims.UID))).contains("\"cdiVersion\"");
    assertThat(info().file(Claims.POD, "train-gpus")).exists();
    assertThat(restarted.prepare(List.of(REF)).get(Claims.UID)).isEqualTo(first);
  }

  @Test
  void restoreRemovesSpecsOfClaimsThatAreNotPrepared() throws Exception {
    Files.createDirectories(dir.resolve("cdi"));
    Files.writeString(cdi().file("leftover-uid"), "{}");
    Path foreign = Files.writeString(dir.resolve("cdi/vendor.example-net.json"), "{}");

    preparer().restore();

    assertThat(cdi().file("leftover-uid")).doesNotExist();
    assertThat(foreign).exists();
  }

  @Test
  void unpreparingRemovesEverythingAndIsIdempotent() throws Exception {
    ClaimPreparer preparer = preparer();
    preparer.prepare(List.of(REF));

    assertThat(preparer.unprepare(List.of(REF))).containsEntry(Claims.UID, "");
    assertThat(preparer.unprepare(List.of(REF))).containsEntry(Claims.UID, "");

    assertThat(cdi().file(Claims.UID)).doesNotExist();
    assertThat(dir.resolve("pods").resolve(Claims.POD)).doesNotExist();
    assertThat(preparer.preparedClaims()).isEmpty();
    assertThat(preparer().preparedClaims()).isEmpty();
  }

  @Test
  void problemsWithTheClaimAreErrorsForTheKubeletNamingTheClaim() throws Exception {
    ClaimPreparer preparer = preparer();
    apiServer.clear();
    assertThat(preparer.prepare(List.of(REF)).get(Claims.UID).error())
        .isEqualTo("ResourceClaim team-a/train-gpus does not exist");

    apiServer.put("team-a/train-gpus", allocated("another-uid", NODE + "/gpu-1"));
    assertThat(preparer.prepare(List.of(REF)).get(Claims.UID).error())
        .contains("has UID another-uid, not " + Claims.UID);

    ResourceClaim unallocated = allocated(Claims.UID);
    unallocated.getStatus().setAllocation(null);
    apiServer.put("team-a/train-gpus", unallocated);
    assertThat(preparer.prepare(List.of(REF)).get(Claims.UID).error()).endsWith("is not allocated");

    apiServer.put("team-a/train-gpus", allocated(Claims.UID, NODE + "/gpu-9"));
    assertThat(preparer.prepare(List.of(REF)).get(Claims.UID).error())
        .contains("device gpu-9, which is not among the GPUs of node node-a");

    apiServer.put("team-a/train-gpus", allocated(Claims.UID, "node-b/gpu-0"));
    assertThat(preparer.prepare(List.of(REF)).get(Claims.UID).error()).contains("from pool node-b");

    assertThat(preparer.preparedClaims()).isEmpty();
    assertThat(cdi().file(Claims.UID)).doesNotExist();
  }

  @Test
  void anApiServerErrorIsAClaimErrorNotACrash() throws Exception {
    ClaimPreparer preparer = new ClaimPreparer(DRIVER, NODE, () -> GPUS, (ns, name) -> {
      throw new KubernetesClientException("connection refused");
    }, new ClaimStore(dir.resolve("state")), cdi(), info());

    assertThat(preparer.prepare(List.of(REF)).get(Claims.UID).error())
        .isEqualTo("cannot read ResourceClaim team-a/train-gpus from the API server: connection refused");
  }

  @Test
  void devicesOfOtherDriversAreLeftToThem() throws Exception {
    ResourceClaim claim = allocated(Claims.UID, NODE + "/gpu-0");
    claim.getStatus().getAllocation().getDevices().getResults().add(new io.fabric8.kubernetes.api.model.resource.v1
        .DeviceRequestAllocationResultBuilder().withRequest("nic").withDriver("net.example.com").withPool(NODE)
        .withDevice("eth1").build());
    apiServer.put("team-a/train-gpus", claim);

    Result result = preparer().prepare(List.of(REF)).get(Claims.UID);

    assertThat(result.devices()).extracting(PreparedDevice::device).containsExactly("gpu-0");
  }

  @Test
  void aCdiDirectoryThatIsAFileFailsTheClaimUntilItIsRepaired() throws Exception {
    Files.writeString(dir.resolve("cdi"), "oops");
    ClaimPreparer preparer = preparer();
    preparer.restore();

    assertThat(preparer.prepare(List.of(REF)).get(Claims.UID).error())
        .contains("cannot prepare ResourceClaim team-a/train-gpus", "is not a directory");

    Files.delete(dir.resolve("cdi"));
    assertThat(preparer.prepare(List.of(REF)).get(Claims.UID).error()).isEmpty();
    assertThat(cdi().file(Claims.UID)).exists();
  }
}
