package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.testing.Conflicts;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Upgrading Slurm by changing a cluster's images, as a platform team would. No two Slurm releases a
 * supported jump apart can be had from the package mirrors here (24.11 and 26.05 are three apart),
 * so the supported sequence runs with an image change within 26.05 (a rebuilt image under a new
 * tag): slurmdbd first, slurmctld next with its state, the node set last, while a job runs and
 * another waits for it. The refused jump runs for real: a 24.11 cluster asked for 26.05 images.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpgradeIT {
  static final String NAMESPACE = "e2e-upgrade";
  static final String OLD_NAMESPACE = "e2e-upgrade-old";
  static final String CONTROL = "slurmkube.local/slurmctld:26.05";
  static final String NODE = "slurmkube.local/slurmd:26.05";
  static final String CONTROL_REBUILT = "slurmkube.local/slurmctld:26.05-rebuilt";
  static final String NODE_REBUILT = "slurmkube.local/slurmd:26.05-rebuilt";
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;
  static SlurmOnKubernetes old;

  @BeforeAll
  static void installAndCreateClusters() throws Exception {
    client = LocalCluster.client();
    SlurmOnKubernetes.installOperator();
    // The same Dockerfiles built again under new tags: what a site's rebuilt images look like.
    LocalCluster.buildAndLoadImage("slurmctld-image", CONTROL_REBUILT);
    LocalCluster.buildAndLoadImage("slurmd-image", NODE_REBUILT);
    LocalCluster.buildAndLoadImage("slurmctld-image", "slurmkube.local/slurmctld:24.11", "24.11");
    LocalCluster.buildAndLoadImage("slurmd-image", "slurmkube.local/slurmd:24.11", "24.11");
    old = new SlurmOnKubernetes(client, OLD_NAMESPACE, "old", "cpu");
    old.createReady("/old-release-cluster.yaml");
    slurm = new SlurmOnKubernetes(client, NAMESPACE, "up", "cpu");
    slurm.createReady("/upgrade-cluster.yaml");
  }

  @AfterAll
  static void cleanUp() {
    if (client != null) {
      client.namespaces().withName(NAMESPACE).delete();
      client.namespaces().withName(OLD_NAMESPACE).delete();
      client.close();
    }
  }

  static String containerImage(io.fabric8.kubernetes.api.model.PodTemplateSpec template, String container) {
    return template.getSpec().getContainers().stream().filter(c -> c.getName().equals(container))
        .findFirst().orElseThrow().getImage();
  }

  static StatefulSet controller(String namespace, String cluster) {
    return client.apps().statefulSets().inNamespace(namespace).withName(cluster + "-controller").get();
  }

  static Deployment accounting(String namespace, String cluster) {
    return client.apps().deployments().inNamespace(namespace).withName(cluster + "-accounting").get();
  }

  static Pod controllerPod(String namespace, String cluster) {
    return client.pods().inNamespace(namespace).withName(cluster + "-controller-0").get();
  }

  @Test
  @Order(1)
  void aJumpOfThreeReleasesIsRefusedAndTheClusterKeepsRunning() throws Exception {
    assertThat(old.slurmCluster().getStatus().slurmRelease).isEqualTo("24.11");
    assertThat(old.login("sinfo", "--version").strip()).contains(" 24.11.");
    String controllerUid = controllerPod(OLD_NAMESPACE, "old").getMetadata().getUid();
    long job = old.sbatch("-J", "before", "--wrap", "sleep 1");
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(OLD_NAMESPACE).withName("old"), c -> {
      c.getSpec().image = CONTROL;
      c.getSpec().nodeImage = NODE;
      return c;
    });
    await("the upgrade is refused").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
        assertThat(old.slurmCluster().getStatus().upgrade)
            .contains("spec.image " + CONTROL)
            .contains("Slurm 24.11 cannot be upgraded to 26.05 directly")
            .contains("upgrade to 25.11 first"));
    assertThat(client.v1().events().inNamespace(OLD_NAMESPACE).list().getItems())
        .as("kubectl describe shows why").anySatisfy(e -> {
          assertThat(e.getReason()).isEqualTo("UpgradeRefused");
          assertThat(e.getType()).isEqualTo("Warning");
        });
    // Nothing moved: the daemons keep their 24.11 images and slurmctld was not restarted.
    Thread.sleep(10_000);
    assertThat(containerImage(controller(OLD_NAMESPACE, "old").getSpec().getTemplate(), "slurmctld"))
        .isEqualTo("slurmkube.local/slurmctld:24.11");
    assertThat(containerImage(accounting(OLD_NAMESPACE, "old").getSpec().getTemplate(), "slurmdbd"))
        .isEqualTo("slurmkube.local/slurmctld:24.11");
    assertThat(old.nodeSet().getSpec().image).isEqualTo("slurmkube.local/slurmd:24.11");
    assertThat(old.nodePods()).allSatisfy(p -> assertThat(p.getSpec().getContainers().get(0).getImage())
        .isEqualTo("slurmkube.local/slurmd:24.11"));
    assertThat(controllerPod(OLD_NAMESPACE, "old").getMetadata().getUid()).isEqualTo(controllerUid);
    await("the cluster still runs jobs").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> old.jobState(job).equals("COMPLETED"));
    // Back to a supported image: the refusal clears.
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(OLD_NAMESPACE).withName("old"), c -> {
      c.getSpec().image = "slurmkube.local/slurmctld:24.11";
      c.getSpec().nodeImage = "slurmkube.local/slurmd:24.11";
      return c;
    });
    await("the refusal clears").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
        .until(() -> old.slurmCluster().getStatus().upgrade == null);
    client.namespaces().withName(OLD_NAMESPACE).delete(); // its pods' CPU and memory for the next test
  }

  @Test
  @Order(2)
  void slurmctldServesThePendingJobsOfTheQueueAsOpenMetrics() throws Exception {
    long running = slurm.sbatch("-J", "holder", "--wrap", "sleep 30");
    long waiting = slurm.sbatch("-J", "waiter", "--dependency=afterok:" + running, "--wrap", "true");
    try {
      String url = "http://up-controller." + NAMESPACE + ".svc.cluster.local:6817/metrics/partitions";
      await("slurmctld's metrics show the pending job").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2))
          .untilAsserted(() -> {
            String metrics = slurm.login("curl", "-sf", url);
            assertThat(Metrics.value(metrics, "slurm_partition_jobs_pending", java.util.Map.of("partition", "cpu")))
                .as(metrics).isEqualTo(1.0);
          });
    } finally {
      slurm.login("scancel", Long.toString(running), Long.toString(waiting));
    }
  }

  @Test
  @Order(3)
  void anImageChangeMovesSlurmdbdThenSlurmctldThenTheNodeSetAndBothJobsComplete() throws Exception {
    long running = slurm.sbatch("-J", "running", "--wrap", "sleep 150");
    await("job " + running + " RUNNING").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.queueState(running).equals("RUNNING"));
    long queued = slurm.sbatch("-J", "queued", "--dependency=afterok:" + running, "--wrap", "echo after the upgrade");
    String controllerUid = controllerPod(NAMESPACE, "up").getMetadata().getUid();
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName("up"), c -> {
      c.getSpec().image = CONTROL_REBUILT;
      c.getSpec().nodeImage = NODE_REBUILT;
      return c;
    });
    // When each component was given the new image, seen by polling what a user would `kubectl get`
    // (nothing else in the loop: squeue blocks while slurmctld restarts).
    Instant accountingMoved = null;
    Instant controllerMoved = null;
    Instant nodeSetMoved = null;
    boolean accountingSettledFirst = false;
    boolean controllerSettledFirst = false;
    Instant deadline = Instant.now().plus(Duration.ofMinutes(6));
    while (nodeSetMoved == null && Instant.now().isBefore(deadline)) {
      Deployment dbd = accounting(NAMESPACE, "up");
      StatefulSet ctld = controller(NAMESPACE, "up");
      NodeSet nodes = slurm.nodeSet();
      Instant now = Instant.now();
      if (accountingMoved == null && CONTROL_REBUILT.equals(containerImage(dbd.getSpec().getTemplate(), "slurmdbd"))) {
        accountingMoved = now;
      }
      if (controllerMoved == null && CONTROL_REBUILT.equals(containerImage(ctld.getSpec().getTemplate(), "slurmctld"))) {
        controllerMoved = now;
        // slurmctld moves only once slurmdbd's new pod is available and its old one gone.
        var status = dbd.getStatus();
        accountingSettledFirst = CONTROL_REBUILT.equals(containerImage(dbd.getSpec().getTemplate(), "slurmdbd"))
            && Integer.valueOf(1).equals(status.getUpdatedReplicas()) && Integer.valueOf(1).equals(status.getAvailableReplicas())
            && Integer.valueOf(1).equals(status.getReplicas());
      }
      if (nodeSetMoved == null && NODE_REBUILT.equals(nodes.getSpec().image)) {
        nodeSetMoved = now;
        // The node set moves only once slurmctld's new pod is ready.
        var status = ctld.getStatus();
        Pod pod = controllerPod(NAMESPACE, "up");
        controllerSettledFirst = controllerMoved != null && status.getCurrentRevision() != null
            && status.getCurrentRevision().equals(status.getUpdateRevision())
            && Integer.valueOf(1).equals(status.getReadyReplicas()) && pod != null
            && CONTROL_REBUILT.equals(pod.getSpec().getContainers().get(0).getImage());
      }
      Thread.sleep(200);
    }
    assertThat(accountingMoved).as("slurmdbd got the new image").isNotNull();
    assertThat(controllerMoved).as("slurmctld got the new image").isNotNull();
    assertThat(nodeSetMoved).as("the node set got the new image").isNotNull();
    assertThat(accountingMoved).as("slurmdbd before slurmctld").isBefore(controllerMoved);
    assertThat(accountingSettledFirst).as("slurmdbd's new pod was available before slurmctld moved").isTrue();
    assertThat(controllerMoved).as("slurmctld before the node set").isBefore(nodeSetMoved);
    assertThat(controllerSettledFirst).as("slurmctld's new pod was ready before the node set moved").isTrue();
    assertThat(slurm.queueState(running)).as("the running job survived slurmctld's restart").isEqualTo("RUNNING");
    assertThat(controllerPod(NAMESPACE, "up").getMetadata().getUid()).as("slurmctld restarted on its new image")
        .isNotEqualTo(controllerUid);

    // slurmctld kept its state across its restart: both jobs end COMPLETED, the first never requeued.
    await("both jobs complete").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(3))
        .until(() -> slurm.jobState(queued).equals("COMPLETED"));
    assertThat(slurm.jobState(running)).isEqualTo("COMPLETED");
    assertThat(slurm.login("scontrol", "show", "job", "-o", Long.toString(running))).contains("Restarts=0");
    await("every pod runs its new image").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          assertThat(slurm.nodePods()).isNotEmpty().allSatisfy(p ->
              assertThat(p.getSpec().getContainers().get(0).getImage()).isEqualTo(NODE_REBUILT));
          assertThat(client.pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/component", "login").list()
              .getItems()).allSatisfy(p -> assertThat(p.getSpec().getContainers().get(0).getImage()).isEqualTo(NODE_REBUILT));
          assertThat(slurm.slurmCluster().getStatus().upgrade).isNull();
        });
    // The upgraded cluster runs new work.
    long after = slurm.sbatch("-J", "after", "--wrap", "true");
    await("a job after the upgrade completes").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.jobState(after).equals("COMPLETED"));
    List<String> nodes = slurm.slurmNodes();
    assertThat(nodes).isNotEmpty();
  }
}
