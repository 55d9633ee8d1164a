package io.slurmkube.dra.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.slurmkube.dra.GpuDraPlugin;
import io.slurmkube.dra.PluginConfig;
import io.slurmkube.dra.proto.registration.PluginInfo;
import io.slurmkube.dra.proto.v1.Claim;
import io.slurmkube.dra.proto.v1.NodePrepareResourceResponse;
import io.slurmkube.dra.proto.v1.Device.Builder;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin as the kubelet sees it: the test plays the kubelet over the plugin's real unix
 * sockets, and the claims live in a real kube-apiserver (started offline by kube-api-test from
 * the binaries e2e/substrate/build-tools.sh built).
 */
class PluginOverUnixSocketsIT {

  static final String NODE = "node-a";
  static final String NS = "team-a";
  static final String DRIVER = "gpu.slurmkube.io";
  static final String POD_UID = "5e0b5f3c-1d2e-4f60-8a9b-0c1d2e3f4a5b";

  static KubeAPIServer apiServer;
  static KubernetesClient client;

  @TempDir Path dir;
  final FakeKubelet kubelet = new FakeKubelet();
  GpuDraPlugin plugin;

  @BeforeAll
  static void startApiServer() {
    Path testDir = Path.of(System.getProperty("slurmkube.cache", "/var/cache/slurmkube"), "kube-api-test");
    String version = System.getProperty("kubernetes.version", "1.34.4");
    if (!Files.isExecutable(testDir.resolve("k8s/" + version + "-linux-amd64/kube-apiserver"))) {
      throw new IllegalStateException("no kube-apiserver " + version + " under " + testDir + ": run e2e/substrate/build-tools.sh");
    }
    apiServer = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withTestDir(testDir.toString())
        .withApiServerVersion(version)
        .withOfflineMode(true)
        .withUpdateKubeConfig(false)
        .withStartupTimeout(120_000)
        .build());
    apiServer.start();
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(apiServer.getKubeConfigYaml())).build();
    client.resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).create();
    client.resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
  }

  @AfterAll
  static void stopApiServer() {
    if (client != null) {
      client.close();
    }
    if (apiServer != null) {
      apiServer.stop();
    }
  }

  PluginConfig config() {
    Map<String, String> env = new HashMap<>();
    env.put("NODE_NAME", NODE);
    env.put("KUBELET_DIR", dir.resolve("kubelet").toString());
    env.put("CDI_DIR", dir.resolve("cdi").toString());
    env.put("DEVICE_INFO_DIR", dir.resolve("pods").toString());
    env.put("NVIDIA_SMI", dir.resolve("no-nvidia-smi").toString());
    env.put("SIMULATED_GPUS", "4");
    env.put("SIMULATED_GPU_MODEL", "Simulated A100");
    env.put("SIMULATED_GPU_MEMORY", "40Gi");
    env.put("PUBLISH_INTERVAL_SECONDS", "1");
    return PluginConfig.from(env);
  }

  void startPlugin() throws Exception {
    plugin = GpuDraPlugin.start(config(), client);
  }

  @BeforeEach
  void noSliceYet() {
    client.resources(ResourceSlice.class).delete();
  }

  @AfterEach
  void stop() throws Exception {
    if (plugin != null) {
      plugin.close();
    }
    kubelet.close();
    client.resources(ResourceClaim.class).inNamespace(NS).delete();
  }

  /** A claim for {@code devices} of this node, allocated and reserved for one pod. */
  ResourceClaim allocatedClaim(String name, String... devices) {
    ResourceClaim claim = client.resource(new ResourceClaimBuilder()
        .withNewMetadata().withNamespace(NS).withName(name).endMetadata()
        .withNewSpec().withNewDevices().addNewRequest().withName("gpus").withNewExactly()
          .withDeviceClassName(DRIVER).withAllocationMode("ExactCount").withCount((long) devices.length)
        .endExactly().endRequest().endDevices().endSpec()
        .build()).create();
    ResourceClaimStatusBuilder status = new ResourceClaimStatusBuilder()
        .withNewAllocation().withNewDevices().endDevices().endAllocation()
        .addNewReservedFor().withResource("pods").withName("train-0").withUid(POD_UID).endReservedFor();
    for (String device : devices) {
      status.editAllocation().editDevices().addNewResult()
          .withRequest("gpus").withDriver(DRIVER).withPool(NODE).withDevice(device)
          .endResult().endDevices().endAllocation();
    }
    claim.setStatus(status.build());
    return client.resource(claim).updateStatus();
  }

  static Claim ref(ResourceClaim claim) {
    return FakeKubelet.claim(claim.getMetadata().getNamespace(), claim.getMetadata().getName(), claim.getMetadata().getUid());
  }

  Path endpoint() {
    return Path.of(kubelet.getInfo(config().registrationSocket()).getEndpoint());
  }

  @Test
  void theKubeletFindsADraPluginForTheDriverWithItsEndpointAndServices() throws Exception {
    startPlugin();
    Path registrationSocket = dir.resolve("kubelet/plugins_registry/gpu.slurmkube.io-reg.sock");

    PluginInfo info = kubelet.getInfo(registrationSocket);

    assertThat(info.getType()).isEqualTo("DRAPlugin");
    assertThat(info.getName()).isEqualTo(DRIVER);
    assertThat(info.getEndpoint()).isEqualTo(dir.resolve("kubelet/plugins/gpu.slurmkube.io/dra.sock").toString());
    assertThat(Path.of(info.getEndpoint())).exists();
    // kubelet 1.34 takes the first of these that it knows.
    assertThat(info.getSupportedVersionsList()).containsExactly("v1.DRAPlugin", "v1beta1.DRAPlugin");

    kubelet.notifyRegistered(registrationSocket, true, "");
    assertThat(plugin.registration().lastStatus().getPluginRegistered()).isTrue();
  }

  @Test
  void theNodesFourSimulatedGpusArePublishedAndPutBackWhenDeleted() throws Exception {
    startPlugin();
    String sliceName = NODE + "-" + DRIVER;

    ResourceSlice slice = await().atMost(Duration.ofSeconds(30))
        .until(() -> client.resources(ResourceSlice.class).withName(sliceName).get(), s -> s != null);

    assertThat(slice.getSpec().getDriver()).isEqualTo(DRIVER);
    assertThat(slice.getSpec().getNodeName()).isEqualTo(NODE);
    assertThat(slice.getSpec().getPool().getName()).isEqualTo(NODE);
    assertThat(slice.getSpec().getDevices()).extracting(Device::getName).containsExactly("gpu-0", "gpu-1", "gpu-2", "gpu-3");
    Device first = slice.getSpec().getDevices().get(0);
    assertThat(first.getAttributes().get("model").getString()).isEqualTo("Simulated A100");
    assertThat(first.getAttributes().get("index").getInt()).isZero();
    assertThat(first.getAttributes().get("uuid").getString()).startsWith("GPU-");
    assertThat(first.getCapacity().get("memory").getValue().toString()).isEqualTo("40Gi");
    assertThat(slice.getMetadata().getOwnerReferences()).extracting(o -> o.getKind() + "/" + o.getName())
        .containsExactly("Node/" + NODE);

    // As the kubelet does when a driver stays away: the slice is wiped, and comes back.
    client.resources(ResourceSlice.class).withName(sliceName).delete();
    ResourceSlice again = await().atMost(Duration.ofSeconds(30))
        .until(() -> client.resources(ResourceSlice.class).withName(sliceName).get(),
            s -> s != null && !s.getMetadata().getUid().equals(slice.getMetadata().getUid()));
    assertThat(again.getSpec().getDevices()).hasSize(4);
    // Nothing changed, so a later round leaves it alone (no generation churn).
    Thread.sleep(2_500);
    assertThat(client.resources(ResourceSlice.class).withName(sliceName).get().getMetadata().getResourceVersion())
        .isEqualTo(again.getMetadata().getResourceVersion());
  }

  @Test
  void preparingAnAllocatedClaimOverV1ReturnsCdiDevicesAndTheFilesThePodNeeds() throws Exception {
    startPlugin();
    ResourceClaim claim = allocatedClaim("train-gpus", "gpu-1", "gpu-2");

    NodePrepareResourceResponse prepared = kubelet.prepareV1(endpoint(), ref(claim)).get(claim.getMetadata().getUid());

    String uid = claim.getMetadata().getUid();
    assertThat(prepared.getError()).isEmpty();
    assertThat(prepared.getDevicesList()).extracting(d -> d.getPoolName() + "/" + d.getDeviceName())
        .containsExactly(NODE + "/gpu-1", NODE + "/gpu-2");
    assertThat(prepared.getDevicesList()).allSatisfy(d -> assertThat(d.getRequestNamesList()).containsExactly("gpus"));
    assertThat(prepared.getDevicesList()).flatExtracting(d -> d.getCdiDeviceIdsList())
        .containsExactly("gpu.slurmkube.io/gpu=" + uid + "-gpu-1", "gpu.slurmkube.io/gpu=" + uid + "-gpu-2");
    Path spec = dir.resolve("cdi/gpu.slurmkube.io-claim_" + uid + ".json");
    assertThat(Files.readString(spec)).contains("\"kind\" : \"gpu.slurmkube.io/gpu\"", "SLURMKUBE_GPU_DEVICES=gpu-1,gpu-2");
    Path podFile = dir.resolve("pods").resolve(POD_UID).resolve("train-gpus.env");
    assertThat(Files.readAllLines(podFile)).contains("SLURMKUBE_GPU_DEVICES=gpu-1,gpu-2", "SLURMKUBE_GPU_INDICES=1,2",
        "SLURMKUBE_GPU_COUNT=2");

    // The kubelet may ask again (e.g. after its own restart): same answer.
    assertThat(kubelet.prepareV1(endpoint(), ref(claim)).get(uid)).isEqualTo(prepared);

    assertThat(kubelet.unprepareV1(endpoint(), ref(claim))).containsExactly(Map.entry(uid, ""));
    assertThat(spec).doesNotExist();
    assertThat(dir.resolve("pods").resolve(POD_UID)).doesNotExist();
    assertThat(kubelet.unprepareV1(endpoint(), ref(claim))).containsExactly(Map.entry(uid, ""));
  }

  @Test
  void theV1beta1ServiceGivesTheSameAnswers() throws Exception {
    startPlugin();
    ResourceClaim claim = allocatedClaim("beta-gpus", "gpu-3");
    String uid = claim.getMetadata().getUid();

    var prepared = kubelet.prepareV1beta1(endpoint(), NS, "beta-gpus", uid).get(uid);

    assertThat(prepared.getError()).isEmpty();
    assertThat(prepared.getDevicesList()).singleElement().satisfies(d -> {
      assertThat(d.getDeviceName()).isEqualTo("gpu-3");
      assertThat(d.getCdiDeviceIdsList()).containsExactly("gpu.slurmkube.io/gpu=" + uid + "-gpu-3");
    });
    assertThat(kubelet.unprepareV1beta1(endpoint(), NS, "beta-gpus", uid)).isEmpty();
    assertThat(dir.resolve("cdi/gpu.slurmkube.io-claim_" + uid + ".json")).doesNotExist();
  }

  @Test
  void claimErrorsReachTheKubeletPerClaim() throws Exception {
    startPlugin();
    ResourceClaim good = allocatedClaim("good", "gpu-0");
    Claim missing = FakeKubelet.claim(NS, "missing", "00000000-0000-0000-0000-000000000001");

    var results = kubelet.prepareV1(endpoint(), ref(good), missing);

    assertThat(results.get(good.getMetadata().getUid()).getError()).isEmpty();
    assertThat(results.get(missing.getUid()).getError()).isEqualTo("ResourceClaim team-a/missing does not exist");
    assertThat(results.get(missing.getUid()).getDevicesList()).isEmpty();
  }

  @Test
  void aRestartedPluginStillKnowsWhatItPreparedAndCanUndoIt() throws Exception {
    startPlugin();
    ResourceClaim claim = allocatedClaim("long-job", "gpu-0", "gpu-3");
    String uid = claim.getMetadata().getUid();
    NodePrepareResourceResponse before = kubelet.prepareV1(endpoint(), ref(claim)).get(uid);
    assertThat(before.getError()).isEmpty();

    plugin.close();
    assertThat(config().registrationSocket()).doesNotExist();
    // While the plugin is down the claim goes away from the API server; the node still has it.
    client.resource(claim).delete();
    startPlugin();

    assertThat(kubelet.prepareV1(endpoint(), ref(claim)).get(uid)).isEqualTo(before);
    assertThat(dir.resolve("pods").resolve(POD_UID).resolve("long-job.env")).exists();
    assertThat(kubelet.unprepareV1(endpoint(), ref(claim))).containsEntry(uid, "");
    assertThat(dir.resolve("cdi/gpu.slurmkube.io-claim_" + uid + ".json")).doesNotExist();
  }

  @Test
  void staleSocketsFromAKilledPluginDoNotStopTheNextOne() throws Exception {
    PluginConfig config = config();
    Files.createDirectories(config.draSocket().getParent());
    Files.createDirectories(config.registrationSocket().getParent());
    // A socket file left by a process that died without cleaning up, and a plain file.
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(config.draSocket()));
    }
    assertThat(config.draSocket()).exists();
    Files.writeString(config.registrationSocket(), "stale");

    startPlugin();

    assertThat(kubelet.getInfo(config.registrationSocket()).getName()).isEqualTo(DRIVER);
    ResourceClaim claim = allocatedClaim("after-crash", "gpu-2");
    assertThat(kubelet.prepareV1(endpoint(), ref(claim)).get(claim.getMetadata().getUid()).getError()).isEmpty();
  }

  @Test
  void aCorruptCdiDirectoryAndStateDoNotStopThePlugin() throws Exception {
    Path cdi = Files.createDirectories(dir.resolve("cdi"));
    Files.writeString(cdi.resolve("gpu.slurmkube.io-claim_11111111-2222-3333-4444-555555555555.json"), "{\"cdiVersion\": ");
    Files.createDirectories(cdi.resolve("gpu.slurmkube.io-claim_junk.json/inside"));
    Path foreign = Files.write(cdi.resolve("vendor.example-net.yaml"), new byte[] {0, (byte) 0xff, 0x13});
    Path state = Files.createDirectories(config().stateDir().resolve("claims"));
    Files.writeString(state.resolve("22222222-3333-4444-5555-666666666666.json"), "not json");

    startPlugin();

    ResourceClaim claim = allocatedClaim("despite-garbage", "gpu-1");
    String uid = claim.getMetadata().getUid();
    assertThat(kubelet.prepareV1(endpoint(), ref(claim)).get(uid).getError()).isEmpty();
    assertThat(cdi.resolve("gpu.slurmkube.io-claim_" + uid + ".json")).exists();
    // Our leftovers are cleaned up; what belongs to others is not touched.
    assertThat(cdi.resolve("gpu.slurmkube.io-claim_11111111-2222-3333-4444-555555555555.json")).doesNotExist();
    assertThat(foreign).exists();
    assertThat(state.resolve("22222222-3333-4444-5555-666666666666.json.corrupt")).exists();
  }

  @Test
  void aCdiDirectoryThatIsAFileFailsTheClaimNotThePlugin() throws Exception {
    Files.writeString(dir.resolve("cdi"), "someone wrote a file here");
    startPlugin();
    ResourceClaim claim = allocatedClaim("blocked", "gpu-0");
    String uid = claim.getMetadata().getUid();

    assertThat(kubelet.prepareV1(endpoint(), ref(claim)).get(uid).getError())
        .contains("cdi is not a directory");
    assertThat(kubelet.getInfo(config().registrationSocket()).getName()).isEqualTo(DRIVER);

    Files.delete(dir.resolve("cdi"));
    assertThat(kubelet.prepareV1(endpoint(), ref(claim)).get(uid).getError()).isEmpty();
  }
}
