package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.PartitionSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A GPU node set through the real scheduler and kubelet: the chart's GPU DRA plugin publishes four
 * simulated GPUs, each slurmd pod claims two, Slurm sees gres gpu:2, and a {@code --gpus=2} job
 * sees exactly the devices its pod was allocated.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlurmGpuIT {
  static final String NS = "e2e-gpu";
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;

  @BeforeAll
  static void installWithGpus() throws Exception {
    client = LocalCluster.client();
    LocalCluster.run(List.of(LocalCluster.projectRoot().resolve("e2e/install-slurmkube.sh").toString(),
        "--set", "gpuDra.enabled=true", "--set", "gpuDra.simulatedGpus=4",
        "--set", "gpuDra.kubeletDir=/var/lib/slurmkube-cluster/kubelet"));
    await("the plugin publishes 4 GPUs").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> client.resources(ResourceSlice.class).list().getItems().stream()
            .filter(s -> "gpu.slurmkube.io".equals(s.getSpec().getDriver()))
            .mapToInt(s -> s.getSpec().getDevices().size()).sum() == 4);

    // GPU node pods read the plugin's per-pod device file through a hostPath: baseline refuses them.
    client.namespaces().resource(SlurmOnKubernetes.namespace(NS, SlurmOnKubernetes.PRIVILEGED)).serverSideApply();
    var spec = new SlurmClusterSpec();
    spec.image = "slurmkube.local/slurmctld:26.05";
    spec.nodeImage = "slurmkube.local/slurmd:26.05";
    spec.imagePullPolicy = "Never";
    spec.accounting.mode = io.slurmkube.api.AccountingSpec.Mode.None;
    var gpu = new NodeSetSpec();
    gpu.name = "gpu";
    gpu.replicas = 1;
    gpu.gpus = 2;
    gpu.cpus = 2; // two one-CPU jobs at once
    gpu.cpuRequest = "250m";
    gpu.memoryMiB = 512;
    spec.nodeSets.add(gpu);
    // Two Unix users (no accounting: Slurm only needs the uid) whose jobs share the 2-GPU pod.
    for (String[] user : new String[][] {{"ada", "3101"}, {"grace", "3102"}}) {
      var u = new io.slurmkube.api.UserSpec();
      u.name = user[0];
      u.uid = Long.parseLong(user[1]);
      spec.users.add(u);
    }
    var partition = new PartitionSpec();
    partition.name = "gpu";
    partition.nodeSets = List.of("gpu");
    partition.isDefault = true;
    spec.partitions.add(partition);
    var cluster = new SlurmCluster();
    cluster.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("demo").withNamespace(NS).build());
    cluster.setSpec(spec);
    client.resource(cluster).create();
    slurm = new SlurmOnKubernetes(client, NS).withPodSecurity(SlurmOnKubernetes.PRIVILEGED);
    await("SlurmCluster Ready").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).until(slurm::isReady);
  }

  @AfterAll
  static void removeGpuPlugin() throws Exception {
    if (client == null) {
      return;
    }
    client.namespaces().withName(NS).delete();
    await().atMost(Duration.ofMinutes(2)).until(() -> client.namespaces().withName(NS).get() == null);
    // One DRA plugin per node: leave none behind for other tests.
    SlurmOnKubernetes.installOperator();
    client.close();
  }

  NodeSet gpuNodeSet() {
    return client.resources(NodeSet.class).inNamespace(NS).withName("demo-gpu").get();
  }

  @Test
  @Order(1)
  void slurmSeesTheTwoGpusItsPodClaimed() {
    await("the GPU node registers with gpu:2").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(slurm.login("sinfo", "-N", "-h", "-o", "%N %G").strip())
            .isEqualTo("demo-gpu-0 gpu:2"));
    // containerd 2 applied the plugin's CDI spec; the per-pod file is only the fallback.
    assertThat(client.pods().inNamespace(NS).withName("demo-gpu-0").getLog()).contains("GPUs from CDI: SLURMKUBE_GPU_DEVICES=gpu-");
  }

  @Test
  @Order(2)
  void aGpuJobSeesExactlyTheAllocatedDevices() throws Exception {
    long job = slurm.sbatch("--gpus=2", "-o", "/tmp/gpu-%j.out", "--wrap",
        "echo SLURM_JOB_GPUS=$SLURM_JOB_GPUS; cat /var/run/slurmkube/gpus/*.env");
    await("the GPU job COMPLETED").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.controllerJobState(job).equals("COMPLETED"));
    String jobOutput = execOnNode("demo-gpu-0", "cat", "/tmp/gpu-" + job + ".out");
    ResourceClaim claim = client.resources(ResourceClaim.class).inNamespace(NS).list().getItems().stream()
        .filter(c -> c.getMetadata().getName().startsWith("demo-gpu-0")).findFirst().orElseThrow();
    List<String> allocated = claim.getStatus().getAllocation().getDevices().getResults().stream()
        .map(r -> r.getDevice()).sorted().toList();
    assertThat(allocated).hasSize(2);
    String devicesLine = jobOutput.lines().filter(l -> l.startsWith("SLURMKUBE_GPU_DEVICES=")).findFirst().orElseThrow();
    assertThat(Arrays.stream(devicesLine.substring(devicesLine.indexOf('=') + 1).split(",")).sorted().toList())
        .isEqualTo(allocated);
    String jobGpus = jobOutput.lines().filter(l -> l.startsWith("SLURM_JOB_GPUS=")).findFirst().orElseThrow();
    assertThat(jobGpus.substring(jobGpus.indexOf('=') + 1).split(",")).hasSize(2);
  }

  /**
   * Per-job isolation without privilege: two {@code --gpus=1} jobs of two users run at once on the
   * 2-GPU pod; each is given one GPU, a different one, and can open only that device node (the
   * cluster's Prolog gives it to the job's user; the Epilog gives it back to root).
   */
  @Test
  @Order(3)
  void twoUsersJobsOnOnePodEachOpenOnlyTheirOwnGpu() throws Exception {
    String script = "echo START=$(date +%s.%N); echo GPUS=$SLURM_JOB_GPUS; echo CUDA=$CUDA_VISIBLE_DEVICES;"
        + " for d in /dev/slurmkube-gpu*; do [ -r $d ] && [ -w $d ] && echo OPENS=$d; done; sleep 6; echo END=$(date +%s.%N)";
    var seen = slurm.jobsOfUsers(List.of("ada", "grace"), "demo-gpu-0", "--gpus=1 --cpus-per-task=1 --mem=64M", script);
    var ada = seen.get("ada");
    var grace = seen.get("grace");
    // They ran at the same time, on one GPU each, a different one, and each could open only its own.
    assertThat(Double.parseDouble(ada.get("START"))).isLessThan(Double.parseDouble(grace.get("END")));
    assertThat(Double.parseDouble(grace.get("START"))).isLessThan(Double.parseDouble(ada.get("END")));
    for (var values : List.of(ada, grace)) {
      assertThat(values.get("GPUS")).matches("[01]");
      assertThat(values.get("OPENS")).isEqualTo("/dev/slurmkube-gpu" + values.get("GPUS"));
    }
    assertThat(ada.get("GPUS")).isNotEqualTo(grace.get("GPUS"));
    // Both ended (their Epilog may still be running as the state turns): both GPUs are root's alone again.
    await("the Epilog gave both GPUs back to root").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertThat(execOnNode("demo-gpu-0", "sh", "-c",
            "stat -L -c '%u %a' /dev/slurmkube-gpu0 /dev/slurmkube-gpu1").lines()).containsExactly("0 600", "0 600"));
  }

  @Test
  @Order(4)
  void aPodThatCannotGetGpusStaysPendingAndTheNodeSetSaysWhy() {
    client.resources(NodeSet.class).inNamespace(NS).withName("demo-gpu").scale(3);
    await("the third pod is Pending for lack of GPUs").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          var pod = client.pods().inNamespace(NS).withName("demo-gpu-2").get();
          assertThat(pod).isNotNull();
          assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
          assertThat(gpuNodeSet().getStatus().conditions)
              .anySatisfy(c -> assertThat(c.getMessage()).contains("cannot allocate all claims"));
        });
  }

  private String execOnNode(String pod, String... command) throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    try (var watch = client.pods().inNamespace(NS).withName(pod).writingOutput(out).exec(command)) {
      watch.exitCode().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
