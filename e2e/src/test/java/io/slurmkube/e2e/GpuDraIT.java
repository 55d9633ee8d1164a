package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplateBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The GPU DRA plugin on the local cluster, deployed from gpu-dra/deploy with 4 simulated GPUs: it
 * registers with the real kubelet, its ResourceSlice appears, the real scheduler allocates a pod's
 * claim for 2 GPUs, the kubelet has the plugin prepare it, and the pod prints the devices it got.
 * A claim for more GPUs than exist leaves its pod Pending with the scheduler's reason.
 *
 * <p>The devices reach the container twice: through CDI (containerd 2 applies the plugin's spec:
 * environment and device nodes), and through the plugin's per-pod device file, the fallback for
 * runtimes without CDI.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GpuDraIT {

  static final String NS = "gpu-dra-it";
  static final String DRIVER = "gpu.slurmkube.io";
  static final String DAEMONSET = "gpu-dra-plugin";
  static final String CLUSTER_RBAC_NAME = "gpu-dra-it-plugin";
  static final Path KUBELET_DIR = Path.of(System.getProperty("e2e.kubeletDir", "/var/lib/slurmkube-cluster/kubelet"));
  static final Path CDI_DIR = Path.of("/var/run/cdi");
  static final Path DEVICE_INFO_DIR = Path.of("/var/run/slurmkube-gpu");
  /** Where the workload pods see their device files. */
  static final String DEVICES_MOUNT = "/var/run/slurmkube/gpus";

  static KubernetesClient client;
  static String image;
  static String nodeName;
  static boolean createdDeviceClass;

  @BeforeAll
  static void deployPlugin() throws Exception {
    client = LocalCluster.client();
    nodeName = client.nodes().list().getItems().get(0).getMetadata().getName();
    refuseToRunNextToAnotherPlugin();
    image = buildImage();

    // The plugin's DaemonSet (kubelet directories) and the pods reading its device files use hostPaths.
    client.namespaces().resource(SlurmOnKubernetes.namespace(NS, SlurmOnKubernetes.PRIVILEGED)).serverSideApply();
    for (HasMetadata object : deployManifests()) {
      if (object instanceof DeviceClass deviceClass) {
        if (client.resource(deviceClass).get() == null) {
          client.resource(deviceClass).create();
          createdDeviceClass = true;
        }
      } else {
        client.resource(object).forceConflicts().serverSideApply();
      }
    }
    client.apps().daemonSets().inNamespace(NS).withName(DAEMONSET).waitUntilCondition(
        ds -> ds != null && ds.getStatus() != null && Integer.valueOf(1).equals(ds.getStatus().getNumberReady())
            && Integer.valueOf(1).equals(ds.getStatus().getUpdatedNumberScheduled()),
        3, TimeUnit.MINUTES);
  }

  @AfterAll
  static void removePlugin() {
    if (client == null) {
      return;
    }
    client.pods().inNamespace(NS).withGracePeriod(1).delete();
    client.apps().daemonSets().inNamespace(NS).withName(DAEMONSET).delete();
    client.pods().inNamespace(NS).withLabel("app.kubernetes.io/name", DAEMONSET)
        .waitUntilCondition(p -> p == null, 2, TimeUnit.MINUTES);
    // The kubelet would wipe the slice 30 s after the plugin is gone; do not leave it to chance.
    client.resources(ResourceSlice.class).withField("spec.driver", DRIVER).delete();
    client.namespaces().withName(NS).delete();
    client.rbac().clusterRoleBindings().withName(CLUSTER_RBAC_NAME).delete();
    client.rbac().clusterRoles().withName(CLUSTER_RBAC_NAME).delete();
    if (createdDeviceClass) {
      client.resources(DeviceClass.class).withName(DRIVER).delete();
    }
    client.close();
  }

  @Test
  @Order(1)
  void thePluginRegistersWithTheKubelet() {
    String log = await(Duration.ofMinutes(1), GpuDraIT::pluginLog, l -> l.contains("the kubelet registered DRA driver"));

    // Only the kubelet calls NotifyRegistrationStatus, after GetInfo on the registration socket.
    assertThat(log).contains("the kubelet registered DRA driver " + DRIVER + " at "
        + KUBELET_DIR.resolve("plugins").resolve(DRIVER).resolve("dra.sock"));
    assertThat(KUBELET_DIR.resolve("plugins_registry").resolve(DRIVER + "-reg.sock")).exists();
  }

  @Test
  @Order(2)
  void theResourceSliceShowsTheFourSimulatedGpus() {
    ResourceSlice slice = await(Duration.ofMinutes(1), GpuDraIT::slice, s -> s != null);

    assertThat(slice.getSpec().getNodeName()).isEqualTo(nodeName);
    assertThat(slice.getSpec().getPool().getName()).isEqualTo(nodeName);
    assertThat(slice.getSpec().getDevices()).extracting(d -> d.getName())
        .containsExactly("gpu-0", "gpu-1", "gpu-2", "gpu-3");
    assertThat(slice.getSpec().getDevices()).allSatisfy(d -> {
      assertThat(d.getAttributes().get("model").getString()).isEqualTo("Simulated A100");
      assertThat(d.getAttributes().get("uuid").getString()).startsWith("GPU-");
      assertThat(d.getCapacity().get("memory").getValue().toString()).isEqualTo("40Gi");
    });
    assertThat(slice.getSpec().getDevices()).extracting(d -> d.getAttributes().get("index").getInt())
        .containsExactly(0L, 1L, 2L, 3L);
  }

  @Test
  @Order(3)
  void aPodClaimingTwoGpusGetsThemPreparedAndSeesExactlyThem() {
    createClaimTemplate("two-gpus", 2);
    createPod("two-gpu-job", "two-gpus");

    Pod pod = client.pods().inNamespace(NS).withName("two-gpu-job")
        .waitUntilCondition(p -> p != null && "Running".equals(p.getStatus().getPhase()), 3, TimeUnit.MINUTES);
    String log = await(Duration.ofSeconds(30), () -> podLog("two-gpu-job"), l -> l.contains("DONE"));
    System.out.println("--- what the pod saw ---\n" + log);

    ResourceClaim claim = claimOf(pod);
    List<DeviceRequestAllocationResult> allocated = claim.getStatus().getAllocation().getDevices().getResults();
    assertThat(allocated).hasSize(2).allSatisfy(r -> {
      assertThat(r.getDriver()).isEqualTo(DRIVER);
      assertThat(r.getPool()).isEqualTo(nodeName);
    });
    List<String> devices = allocated.stream().map(DeviceRequestAllocationResult::getDevice).toList();
    Map<String, String> uuids = new LinkedHashMap<>();
    slice().getSpec().getDevices().forEach(d -> uuids.put(d.getName(), d.getAttributes().get("uuid").getString()));

    Map<String, String> seen = section(log, "FILES");
    assertThat(seen).containsEntry("SLURMKUBE_GPU_COUNT", "2")
        .containsEntry("SLURMKUBE_GPU_DEVICES", String.join(",", devices))
        .containsEntry("SLURMKUBE_GPU_UUIDS", String.join(",", devices.stream().map(uuids::get).toList()))
        .containsEntry("SLURMKUBE_GPU_CLAIM", NS + "/" + claim.getMetadata().getName());
    // containerd 2 applied the CDI spec: the same environment, and one device node per GPU, made by
    // the runtime (the container has no MKNOD use of its own and nothing on the host).
    assertThat(section(log, "ENV")).isEqualTo(seen);
    assertThat(log.lines().filter(l -> l.startsWith("CHARACTER DEVICE ")).map(l -> l.substring("CHARACTER DEVICE ".length())))
        .containsExactlyInAnyOrderElementsOf(devices.stream().map(d -> "/dev/slurmkube-sim-gpu" + d.substring("gpu-".length())).toList());

    // The CDI spec the kubelet's CDI device IDs point at is on the node.
    Path spec = CDI_DIR.resolve(DRIVER + "-claim_" + claim.getMetadata().getUid() + ".json");
    assertThat(spec).exists();
    assertThat(contents(spec)).contains("\"kind\" : \"gpu.slurmkube.io/gpu\"",
        "\"name\" : \"" + claim.getMetadata().getUid() + "-" + devices.get(0) + "\"");
  }

  @Test
  @Order(4)
  void aRestartedPluginUnpreparesWhatItsPredecessorPrepared() {
    Pod job = client.pods().inNamespace(NS).withName("two-gpu-job").get();
    ResourceClaim claim = claimOf(job);
    Path spec = CDI_DIR.resolve(DRIVER + "-claim_" + claim.getMetadata().getUid() + ".json");
    Path podDevices = DEVICE_INFO_DIR.resolve(job.getMetadata().getUid());
    assertThat(spec).exists();
    assertThat(podDevices).exists();

    Pod old = pluginPod();
    client.resource(old).delete();
    await(Duration.ofMinutes(2), GpuDraIT::pluginPodOrNull,
        p -> p != null && !p.getMetadata().getUid().equals(old.getMetadata().getUid())
            && pluginLog().contains("the kubelet registered DRA driver"));
    assertThat(pluginLog()).contains("1 prepared claims restored from disk");

    client.resource(job).withGracePeriod(1).delete();
    client.resource(claim).waitUntilCondition(c -> c == null, 2, TimeUnit.MINUTES);

    assertThat(pluginLog()).contains("unprepared claim " + NS + "/" + claim.getMetadata().getName());
    assertThat(spec).doesNotExist();
    assertThat(podDevices).doesNotExist();
  }

  @Test
  @Order(5)
  void aClaimForMoreGpusThanExistStaysUnallocatedAndThePodPendingWithTheReason() {
    createClaimTemplate("five-gpus", 5);
    createPod("greedy-job", "five-gpus");

    Pod pod = client.pods().inNamespace(NS).withName("greedy-job").waitUntilCondition(
        p -> p != null && p.getStatus().getConditions().stream().anyMatch(c -> "PodScheduled".equals(c.getType())),
        2, TimeUnit.MINUTES);
    PodCondition scheduled = pod.getStatus().getConditions().stream()
        .filter(c -> "PodScheduled".equals(c.getType())).findFirst().orElseThrow();
    System.out.println("--- why the pod is Pending ---\n" + scheduled.getReason() + ": " + scheduled.getMessage());

    assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(scheduled.getStatus()).isEqualTo("False");
    assertThat(scheduled.getReason()).isEqualTo("Unschedulable");
    assertThat(scheduled.getMessage()).contains("cannot allocate all claims");
    ResourceClaim claim = claimOf(pod);
    assertThat(claim.getStatus() == null || claim.getStatus().getAllocation() == null)
        .as("claim %s is not allocated", claim.getMetadata().getName()).isTrue();
  }

  // ---- deployment

  /** Builds the plugin jar (unless it is up to date) and its image, tagged by content. */
  static String buildImage() throws Exception {
    Path root = LocalCluster.projectRoot();
    Path module = root.resolve("gpu-dra");
    Path jar = module.resolve("target/gpu-dra.jar");
    if (!Files.exists(jar) || newestSource(module).isAfter(Files.getLastModifiedTime(jar).toInstant())) {
      LocalCluster.run(List.of(root.resolve("mvnw").toString(), "-B", "-ntp", "-q", "-f", root.resolve("pom.xml").toString(),
          "-pl", "gpu-dra", "-DskipTests", "package"));
    }
    // A build context with only what the image needs, so the image cache key is its content.
    Path context = root.resolve("e2e/target/gpu-dra-image");
    deleteTree(context);
    Files.createDirectories(context.resolve("target/lib"));
    Files.copy(module.resolve("Dockerfile"), context.resolve("Dockerfile"));
    Files.copy(jar, context.resolve("target/gpu-dra.jar"));
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    digest.update(Files.readAllBytes(module.resolve("Dockerfile")));
    digest.update(Files.readAllBytes(jar));
    try (Stream<Path> libs = Files.list(module.resolve("target/lib"))) {
      for (Path lib : libs.sorted().toList()) {
        Files.copy(lib, context.resolve("target/lib").resolve(lib.getFileName()));
        digest.update(lib.getFileName().toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    String tag = "slurmkube.local/gpu-dra:it-" + HexFormat.of().formatHex(digest.digest()).substring(0, 12);
    LocalCluster.buildAndLoadImage(context.toString(), tag);
    return tag;
  }

  /**
   * The manifests of gpu-dra/deploy as a user would adapt them here: this cluster's kubelet dir,
   * the test namespace, cluster-wide RBAC under the test's own names, 4 simulated GPUs.
   */
  static List<HasMetadata> deployManifests() throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(LocalCluster.projectRoot().resolve("gpu-dra/deploy"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        String yaml = Files.readString(file).replace("/var/lib/kubelet", KUBELET_DIR.toString());
        objects.addAll(client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items());
      }
    }
    objects.removeIf(o -> o.getKind().equals("Namespace"));
    for (HasMetadata object : objects) {
      if (object.getMetadata().getNamespace() != null) {
        object.getMetadata().setNamespace(NS);
      }
      if (object instanceof ClusterRole role) {
        role.getMetadata().setName(CLUSTER_RBAC_NAME);
      } else if (object instanceof ClusterRoleBinding binding) {
        binding.getMetadata().setName(CLUSTER_RBAC_NAME);
        binding.getRoleRef().setName(CLUSTER_RBAC_NAME);
        binding.getSubjects().forEach(s -> s.setNamespace(NS));
      } else if (object instanceof DaemonSet daemonSet) {
        var container = daemonSet.getSpec().getTemplate().getSpec().getContainers().get(0);
        container.setImage(image);
        container.setImagePullPolicy("Never");
        setEnv(container.getEnv(), "SIMULATED_GPUS", "4");
        setEnv(container.getEnv(), "SIMULATED_GPU_MODEL", "Simulated A100");
        setEnv(container.getEnv(), "SIMULATED_GPU_MEMORY", "40Gi");
      }
    }
    return objects;
  }

  static void setEnv(List<EnvVar> env, String name, String value) {
    env.stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow().setValue(value);
  }

  /** Two plugins of one driver on one node would take each other's sockets. */
  static void refuseToRunNextToAnotherPlugin() {
    List<String> others = client.apps().daemonSets().inAnyNamespace().list().getItems().stream()
        .filter(ds -> !NS.equals(ds.getMetadata().getNamespace()))
        .filter(ds -> ds.getSpec().getTemplate().getSpec().getContainers().stream()
            .anyMatch(c -> c.getImage() != null && c.getImage().contains("gpu-dra")))
        .map(ds -> ds.getMetadata().getNamespace() + "/" + ds.getMetadata().getName())
        .toList();
    assertThat(others).as("another GPU DRA plugin runs on the cluster; this test needs the node's plugin sockets to itself")
        .isEmpty();
  }

  // ---- workload

  static void createClaimTemplate(String name, int gpus) {
    client.resource(new ResourceClaimTemplateBuilder()
        .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .withNewSpec().withNewSpec().withNewDevices().addNewRequest().withName("gpus").withNewExactly()
          .withDeviceClassName(DRIVER).withAllocationMode("ExactCount").withCount((long) gpus)
        .endExactly().endRequest().endDevices().endSpec().endSpec()
        .build()).create();
  }

  /**
   * A pod that prints the devices it got, from the per-pod device file (mounted with
   * subPathExpr, so it sees only its own) and from its environment, then waits.
   */
  static void createPod(String name, String claimTemplate) {
    String script = "echo FILES; cat " + DEVICES_MOUNT + "/*.env; echo ENV; env | grep '^SLURMKUBE_GPU_' | sort; echo END;"
        + " for d in /dev/slurmkube-sim-gpu*; do [ -c \"$d\" ] && echo \"CHARACTER DEVICE $d\"; done; echo DONE;"
        + " exec sleep 3600";
    client.resource(new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .withNewSpec()
          .withRestartPolicy("Never")
          .withTerminationGracePeriodSeconds(1L)
          .addNewResourceClaim().withName("gpus").withResourceClaimTemplateName(claimTemplate).endResourceClaim()
          .addNewContainer()
            .withName("job").withImage(image).withImagePullPolicy("Never")
            .withCommand("sh", "-c", script)
            .addNewEnv().withName("POD_UID").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.uid")
              .endFieldRef().endValueFrom().endEnv()
            .withNewResources().addNewClaim().withName("gpus").endClaim().endResources()
            .addNewVolumeMount().withName("gpu-devices").withMountPath(DEVICES_MOUNT).withSubPathExpr("$(POD_UID)")
              .withReadOnly(true).endVolumeMount()
          .endContainer()
          .addNewVolume().withName("gpu-devices").withNewHostPath().withPath(DEVICE_INFO_DIR.toString())
            .withType("DirectoryOrCreate").endHostPath().endVolume()
        .endSpec()
        .build()).create();
  }

  /** The ResourceClaim generated for the pod's "gpus" claim. */
  static ResourceClaim claimOf(Pod pod) {
    String name = await(Duration.ofMinutes(1), () -> {
      Pod now = client.resource(pod).get();
      return now.getStatus().getResourceClaimStatuses() == null || now.getStatus().getResourceClaimStatuses().isEmpty()
          ? null : now.getStatus().getResourceClaimStatuses().get(0).getResourceClaimName();
    }, n -> n != null);
    return client.resources(ResourceClaim.class).inNamespace(NS).withName(name).get();
  }

  /** KEY=VALUE lines between a marker line and the next marker. */
  static Map<String, String> section(String log, String marker) {
    Map<String, String> values = new LinkedHashMap<>();
    boolean inside = false;
    for (String line : log.lines().toList()) {
      if (line.equals("FILES") || line.equals("ENV") || line.equals("END")) {
        inside = line.equals(marker);
      } else if (inside && line.contains("=") && !line.startsWith("#")) {
        values.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
      }
    }
    return values;
  }

  // ---- helpers

  static ResourceSlice slice() {
    return client.resources(ResourceSlice.class).withField("spec.driver", DRIVER).list().getItems().stream()
        .filter(s -> nodeName.equals(s.getSpec().getNodeName())).findFirst().orElse(null);
  }

  static Pod pluginPodOrNull() {
    return client.pods().inNamespace(NS).withLabel("app.kubernetes.io/name", DAEMONSET).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && "Running".equals(p.getStatus().getPhase()))
        .findFirst().orElse(null);
  }

  static Pod pluginPod() {
    return await(Duration.ofMinutes(1), GpuDraIT::pluginPodOrNull, p -> p != null);
  }

  static String pluginLog() {
    Pod pod = pluginPodOrNull();
    return pod == null ? "" : client.pods().inNamespace(NS).withName(pod.getMetadata().getName()).getLog();
  }

  static String podLog(String name) {
    return client.pods().inNamespace(NS).withName(name).getLog();
  }

  static String contents(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static <T> T await(Duration timeout, java.util.function.Supplier<T> probe, Predicate<T> done) {
    Instant deadline = Instant.now().plus(timeout);
    T value = probe.get();
    while (!done.test(value)) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("still not there after " + timeout + ": " + value);
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      value = probe.get();
    }
    return value;
  }

  static Instant newestSource(Path module) throws IOException {
    try (Stream<Path> files = Stream.concat(Files.walk(module.resolve("src")), Stream.of(module.resolve("pom.xml")))) {
      return files.filter(Files::isRegularFile).map(f -> {
        try {
          return Files.getLastModifiedTime(f).toInstant();
        } catch (IOException e) {
          return Instant.MAX;
        }
      }).max(Instant::compareTo).orElse(Instant.MAX);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
