package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.TemplateVolumeMount;
import io.slurmkube.testing.Conflicts;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A team's real work, as a user on the login pod does it, on examples/slurmcluster-mpi.yaml
 * installed through the chart: a job script in the shared home, an MPI job over two slurmd pods of
 * the team's own image, output that is still there after the node pods are gone, templates that
 * reach the pods, bad templates refused, and a home that outlives its cluster.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealWorkIT {
  static final String NAMESPACE = "e2e-work";
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;
  static long mpiJob;

  @BeforeAll
  static void installAndCreateCluster() throws Exception {
    client = LocalCluster.client();
    SlurmOnKubernetes.installOperator();
    slurm = new SlurmOnKubernetes(client, NAMESPACE, "work", "mpi");
    slurm.freshNamespace();
    try (InputStream in = Files.newInputStream(LocalCluster.projectRoot().resolve("examples/slurmcluster-mpi.yaml"))) {
      for (HasMetadata object : client.load(in).items()) {
        client.resource(object).inNamespace(NAMESPACE).create();
      }
    }
    await("SlurmCluster work Ready").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2)).until(slurm::isReady);
  }

  @AfterAll
  static void deleteEverything() {
    if (client != null) {
      client.namespaces().withName(NAMESPACE).delete();
      client.close();
    }
  }

  @Test
  @Order(1)
  void anMpiJobOnTwoNodesLeavesItsOutputInTheUsersHomeAfterTheNodesAreGone() throws Exception {
    PersistentVolumeClaim home = client.persistentVolumeClaims().inNamespace(NAMESPACE).withName("work-home").get();
    assertThat(home.getStatus().getPhase()).isEqualTo("Bound");
    assertThat(slurm.nodePods()).isEmpty();

    // The user writes the job script in their home directory on the login pod and submits it there.
    String script = Files.readString(LocalCluster.projectRoot().resolve("examples/mpi-job.sh"));
    slurm.login("sh", "-c", "mkdir -p /home/e2e && printf '%s' \"$0\" > /home/e2e/job.sh", script);
    mpiJob = Long.parseLong(slurm.login("sh", "-c", "cd /home/e2e && sbatch --parsable job.sh").strip().split(";")[0]);

    AtomicInteger mostPods = new AtomicInteger();
    List<Pod> seen = new ArrayList<>();
    await("the MPI job COMPLETED").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2)).until(() -> {
      List<Pod> pods = slurm.nodePods();
      mostPods.accumulateAndGet(pods.size(), Math::max);
      if (seen.isEmpty() && pods.size() == 2) {
        seen.addAll(pods);
      }
      String state = slurm.jobState(mpiJob);
      assertThat(state).as("job %d", mpiJob).doesNotStartWith("FAILED").doesNotStartWith("CANCELLED")
          .doesNotStartWith("TIMEOUT").doesNotStartWith("NODE_FAIL");
      return state.equals("COMPLETED");
    });
    assertThat(mostPods.get()).as("the node set scaled 0 -> 2").isEqualTo(2);

    // The node set's template reached its pods: the team's image, a volume, an env var, a node selector, a label.
    assertThat(seen).hasSize(2).allSatisfy(pod -> {
      var slurmd = pod.getSpec().getContainers().get(0);
      assertThat(slurmd.getImage()).isEqualTo("slurmkube.local/slurmd-mpi:26.05");
      assertThat(slurmd.getEnv()).extracting(EnvVar::getName).contains("OMP_NUM_THREADS");
      assertThat(slurmd.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/scratch", "/home", "/datasets");
      assertThat(pod.getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
      assertThat(pod.getSpec().getNodeSelector()).containsEntry("kubernetes.io/os", "linux");
      assertThat(pod.getMetadata().getLabels()).containsEntry("team", "ml");
    });

    await("the node set back at 0").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          assertThat(client.pods().inNamespace(NAMESPACE).withLabel("slurmkube.io/nodeset", "mpi").list().getItems()).isEmpty();
          assertThat(slurm.nodeSet().getStatus().replicas).isZero();
        });

    // With every node pod gone, the output is where the user submitted from.
    String out = slurm.login("cat", "/home/e2e/slurm-" + mpiJob + ".out");
    System.out.println("--- /home/e2e/slurm-" + mpiJob + ".out on the login pod, after the node pods are gone ---\n" + out);
    Set<String> hosts = new HashSet<>();
    out.lines().filter(l -> l.matches("rank \\d of 4 on \\S+: .*")).forEach(l -> hosts.add(l.replaceAll("^rank \\d of 4 on (\\S+):.*", "$1")));
    for (int rank = 0; rank < 4; rank++) {
      assertThat(out).contains("rank " + rank + " of 4 on ");
    }
    assertThat(out.lines().filter(l -> l.contains("allreduce sum=10 expected=10 ranks=4 OK"))).hasSize(4);
    assertThat(hosts).as("ranks ran on two node pods").hasSize(2);
    assertThat(out).contains("3 peers joined");
    assertThat(out.lines().filter(l -> l.contains("master said welcome"))).hasSize(3);
    for (int rank = 0; rank < 4; rank++) {
      assertThat(slurm.login("cat", "/home/e2e/results-" + mpiJob + "/rank-" + rank + ".txt")).contains("OK");
    }
    assertThat(slurm.login("cat", "/home/e2e/results-" + mpiJob + "/done")).contains("all ranks done");
  }

  @Test
  @Order(2)
  void aBadTemplateIsRefusedAtApplyWithTheFieldNamed() {
    var clusters = client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName("work");
    assertThatThrownBy(() -> Conflicts.edit(clusters, c -> {
      c.getSpec().nodeSets.get(0).template.spec.hostname = "my-node";
      return c;
    })).isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.nodeSets[0].template.spec.hostname")
        .hasMessageContaining("the operator names each pod after its Slurm node");
    assertThatThrownBy(() -> Conflicts.edit(clusters, c -> {
      c.getSpec().nodeSets.get(0).template.spec.volumeMounts.add(new TemplateVolumeMount("scratch", "/etc/slurm"));
      return c;
    })).isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.nodeSets[0].template.spec.volumeMounts[1].mountPath")
        .hasMessageContaining("a directory Slurm needs");
  }

  @Test
  @Order(3)
  void deletingTheClusterKeepsTheUsersFiles() throws Exception {
    client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName("work").delete();
    await("the cluster's pods are gone").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .until(() -> client.pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/instance", "work").list().getItems().isEmpty());
    PersistentVolumeClaim home = client.persistentVolumeClaims().inNamespace(NAMESPACE).withName("work-home").get();
    assertThat(home).as("retainPolicy Retain keeps /home").isNotNull();
    assertThat(home.getMetadata().getDeletionTimestamp()).isNull();

    // Anyone may still read the files: a plain pod mounts the claim.
    Pod reader = client.resource(new PodBuilder()
        .withNewMetadata().withName("home-reader").withNamespace(NAMESPACE).endMetadata()
        .withNewSpec()
          .withRestartPolicy("Never")
          .addNewContainer().withName("cat").withImage("slurmkube.local/slurmd:26.05").withImagePullPolicy("Never")
            .withCommand("cat", "/home/e2e/slurm-" + mpiJob + ".out")
            .addNewVolumeMount().withName("home").withMountPath("/home").endVolumeMount()
          .endContainer()
          .addNewVolume().withName("home").withNewPersistentVolumeClaim().withClaimName("work-home").endPersistentVolumeClaim().endVolume()
        .endSpec().build()).create();
    await("the reader pod ran").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .until(() -> "Succeeded".equals(client.resource(reader).get().getStatus().getPhase()));
    assertThat(client.pods().inNamespace(NAMESPACE).withName("home-reader").getLog()).contains("allreduce sum=10");
  }
}
