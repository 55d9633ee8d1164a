package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.NodeSet;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A GPU node set whose devices come from another project's DRA driver: the upstream example
 * driver (built from its Go module, installed with its own chart) publishes four simulated devices
 * of the DeviceClass gpu.example.com and hands them to a container through CDI only as
 * GPU_DEVICE_n variables. The slurmd pod claims two, in a namespace that enforces baseline (no
 * hostPath: nothing of our own plugin is involved), registers gres/gpu:2, and each --gpus=1 job
 * sees one of the devices its pod was allocated.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OtherDraDriverIT {
  static final String NS = "e2e-other-dra";
  static final String DRIVER_SCRIPT = "e2e/substrate/dra-example-driver.sh";
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;

  @BeforeAll
  static void installTheExampleDriverAndACluster() throws Exception {
    client = LocalCluster.client();
    LocalCluster.run(List.of(LocalCluster.projectRoot().resolve(DRIVER_SCRIPT).toString(), "up", "4"));
    SlurmOnKubernetes.installOperator();
    slurm = new SlurmOnKubernetes(client, NS, "lab", "accel");
    slurm.createReady("/example-driver-cluster.yaml");
  }

  @AfterAll
  static void removeTheExampleDriver() throws Exception {
    if (client == null) {
      return;
    }
    client.namespaces().withName(NS).delete();
    await().atMost(Duration.ofMinutes(2)).until(() -> client.namespaces().withName(NS).get() == null);
    LocalCluster.run(List.of(LocalCluster.projectRoot().resolve(DRIVER_SCRIPT).toString(), "down"));
    client.close();
  }

  @Test
  @Order(1)
  void slurmSeesTheTwoDevicesThePodClaimedFromTheOtherDriver() throws Exception {
    await("the node registers with gpu:2").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(slurm.login("sinfo", "-p", "accel", "-N", "-h", "-o", "%N %G").strip())
            .isEqualTo("lab-accel-0 gpu:2"));
    Pod pod = client.pods().inNamespace(NS).withName("lab-accel-0").get();
    // Admitted under baseline: no hostPath, the devices came through CDI alone.
    assertThat(pod.getSpec().getVolumes()).noneSatisfy(v -> assertThat(v.getHostPath()).isNotNull());
    assertThat(client.pods().inNamespace(NS).withName("lab-accel-0").getLog())
        .contains("GPUs: 2 of DeviceClass gpu.example.com")
        .contains("GPUs from the container's GPU_DEVICE_<n> variables of driver gpu.example.com");
  }

  /**
   * Two users' {@code --gpus=1} jobs at once on the 2-device pod: each is given one device, a
   * different one of the two the driver allocated to the pod, and its user owns only that one.
   * (The stand-in devices cannot be opened by anyone, root included: the container's device
   * cgroup does not allow them, and access(2) asks it too. So ownership is what is checked.)
   */
  @Test
  @Order(2)
  void eachJobSeesOneOfThePodsDevicesAndOwnsOnlyThatOne() throws Exception {
    String script = "echo START=$(date +%s.%N); echo GPUS=$SLURM_JOB_GPUS;"
        + " echo DEVICE=$(basename $(readlink -f /dev/slurmkube-gpu$SLURM_JOB_GPUS));"
        + " for d in /dev/slurmkube-gpu*; do [ $(stat -L -c %u:%a $d) = $(id -u):600 ] && echo OWNS=$d; done;"
        + " sleep 6; echo END=$(date +%s.%N)";
    var seen = slurm.jobsOfUsers(List.of("kim", "ravi"), "lab-accel-0", "--gpus=1 --cpus-per-task=1 --mem=64M", script);
    var results = client.resources(ResourceClaim.class).inNamespace(NS).list().getItems().stream()
        .filter(c -> c.getMetadata().getName().startsWith("lab-accel-0"))
        .flatMap(c -> c.getStatus().getAllocation().getDevices().getResults().stream()).toList();
    assertThat(results).extracting(r -> r.getDriver()).containsExactly("gpu.example.com", "gpu.example.com");
    List<String> allocated = results.stream().map(r -> r.getDevice()).sorted().toList();

    var kim = seen.get("kim");
    var ravi = seen.get("ravi");
    assertThat(Double.parseDouble(kim.get("START"))).isLessThan(Double.parseDouble(ravi.get("END")));
    assertThat(Double.parseDouble(ravi.get("START"))).isLessThan(Double.parseDouble(kim.get("END")));
    for (var values : List.of(kim, ravi)) {
      assertThat(values.get("GPUS")).matches("[01]");
      assertThat(values.get("OWNS")).isEqualTo("/dev/slurmkube-gpu" + values.get("GPUS"));
    }
    // Between them, exactly the two devices the driver gave the pod.
    assertThat(List.of(kim.get("DEVICE"), ravi.get("DEVICE")).stream().sorted().toList()).isEqualTo(allocated);
  }

  /** A node set that claims from a DeviceClass the cluster does not have: its pod waits, and the NodeSet says why. */
  @Test
  @Order(3)
  void aNodeSetOfAMissingDeviceClassSaysWhyItsPodWaits() {
    client.resources(NodeSet.class).inNamespace(NS).withName("lab-h100").scale(1);
    await("the h100 pod is Pending and the NodeSet names the missing class").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
          var pod = client.pods().inNamespace(NS).withName("lab-h100-0").get();
          assertThat(pod).isNotNull();
          assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
          var nodeSet = client.resources(NodeSet.class).inNamespace(NS).withName("lab-h100").get();
          assertThat(nodeSet.getStatus().conditions).anySatisfy(c -> assertThat(c.getMessage()).contains("device class gpu.nvidia.com does not exist"));
        });
  }
}
