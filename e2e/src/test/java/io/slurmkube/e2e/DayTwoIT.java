package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.testing.Conflicts;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Day 2 without losing a job, on the local cluster through the chart: node sets whose names
 * prefix one another, a job array, evictions, a rolling update and `kubectl drain`. Every job
 * must COMPLETE: none may be killed or requeued by what the test does to the cluster.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DayTwoIT {
  static final String NAMESPACE = "e2e-day2";
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;

  @BeforeAll
  static void installAndCreateCluster() throws Exception {
    client = LocalCluster.client();
    SlurmOnKubernetes.installOperator();
    slurm = new SlurmOnKubernetes(client, NAMESPACE, "ops", "cpu");
    slurm.createReady("/day2-cluster.yaml");
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (client != null) {
      LocalCluster.uncordonAll(client);
      client.namespaces().withName(NAMESPACE).delete();
      client.close();
    }
  }


  /** Waits until the job has ended and checks that it COMPLETED, was never requeued and ran once. */
  static void assertCompletedUntouched(long job) throws Exception {
    await("job " + job + " ends").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2))
        .until(() -> !List.of("PENDING", "RUNNING", "CONFIGURING", "COMPLETING").contains(slurm.controllerJobState(job)));
    String record = slurm.login("scontrol", "show", "job", "-o", Long.toString(job));
    assertThat(slurm.controllerJobState(job)).as("job %d: %s", job, record).isEqualTo("COMPLETED");
    assertThat(record).as("job %d was not requeued", job).contains("Restarts=0");
  }

  static void assertUpToDate(NodeSet nodeSet, String status, String reason) {
    assertThat(nodeSet.getStatus().conditions).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("UpToDate");
      assertThat(c.getStatus()).isEqualTo(status);
      assertThat(c.getReason()).isEqualTo(reason);
    });
  }

  static String runningOn(long job) throws Exception {
    await("job " + job + " RUNNING").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.queueState(job).equals("RUNNING"));
    return slurm.login("squeue", "-h", "-o", "%N", "-j", Long.toString(job)).strip();
  }

  @Test
  @Order(1)
  void nodeSetsWhoseNamesPrefixOneAnotherEachRunTheirOwnJobs() throws Exception {
    long onCpu = slurm.sbatch("-p", "cpu", "-J", "small", "--wrap", "sleep 2");
    long onBig = slurm.sbatch("-p", "big", "-c", "2", "-J", "big", "--wrap", "sleep 2");
    assertCompletedUntouched(onCpu);
    assertCompletedUntouched(onBig);
    assertThat(slurm.login("scontrol", "show", "job", "-o", Long.toString(onBig))).contains("NodeList=ops-cpu-big-0");
  }

  @Test
  @Order(2)
  void aJobArrayScalesItsNodeSetToItsMaxInOneDecision() throws Exception {
    long array = slurm.sbatch("-p", "cpu", "--array=0-7", "-J", "array", "--wrap", "sleep 5");
    await("the node set scales up for the array").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(() -> slurm.nodeSet().getSpec().replicas > 2);
    assertThat(client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> "ScaledUp".equals(e.getReason()) && "ops-cpu".equals(e.getInvolvedObject().getName()))
        .map(e -> e.getMessage()).toList())
        .as("one decision to the max for 8 pending tasks").anySatisfy(m -> assertThat(m).startsWith("replicas 2 -> 4"));
    await("every task COMPLETED").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
        assertThat(slurm.login("squeue", "-h", "-j", Long.toString(array))).isBlank());
    await("back at minReplicas").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.nodePods().size() == 2 && slurm.nodeSet().getSpec().replicas == 2);
  }

  @Test
  @Order(3)
  void anEvictionWaitsUntilSlurmHasDrainedTheNodeAndItsJobsHaveEnded() throws Exception {
    long job = slurm.sbatch("-p", "cpu", "-J", "protected", "--wrap", "sleep 30");
    String busyNode = runningOn(job);
    assertThat(client.policy().v1().podDisruptionBudget().inNamespace(NAMESPACE).withName("ops-cpu-jobs").get()).isNotNull();

    // Right as the job starts (no waiting for any label to follow Slurm), an eviction is refused.
    KubernetesClientException refused = slurm.evict(busyNode);
    assertThat(refused).as("eviction of busy pod %s", busyNode).isNotNull();
    assertThat(refused.getCode()).isEqualTo(429);
    assertThat(refused.getMessage()).contains("disruption budget");
    assertThat(slurm.queueState(job)).isEqualTo("RUNNING");

    // An idle pod that Slurm may still give a job to is protected too ...
    Pod idle = slurm.nodePods().stream().filter(p -> !p.getMetadata().getName().equals(busyNode)).findFirst().orElseThrow();
    String idleName = idle.getMetadata().getName();
    assertThat(slurm.evict(idleName)).as("eviction of idle, undrained pod %s", idleName).isNotNull();
    // ... until it is drained in Slurm (here by an administrator): then Slurm starts nothing there and it may go.
    slurm.login("scontrol", "update", "nodename=" + idleName, "state=drain", "reason=maintenance");
    try {
      await("the drained idle pod is marked evictable").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofSeconds(1))
          .until(() -> "true".equals(client.resource(idle).get().getMetadata().getLabels().get("slurmkube.io/evictable")));
      assertThat(slurm.evict(idleName)).as("eviction of drained idle pod %s", idleName).isNull();
      // The node set replaces it (with the lowest free ordinal, which may be another name).
      await("the evicted pod is replaced").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() ->
          slurm.nodePods().size() == 2
              && slurm.nodePods().stream().noneMatch(p -> p.getMetadata().getUid().equals(idle.getMetadata().getUid())));
      assertThat(client.resource(slurm.nodePods().stream().filter(p -> p.getMetadata().getName().equals(busyNode))
          .findFirst().orElseThrow()).get().getMetadata().getLabels()).doesNotContainEntry("slurmkube.io/evictable", "true");
      assertCompletedUntouched(job);
    } finally {
      slurm.exec(slurm.loginPod(), "scontrol", "update", "nodename=" + idleName, "state=resume");
    }
    await("two ready nodes again").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(slurm.nodeSet().getStatus().readyReplicas).isEqualTo(2));
  }

  @Test
  @Order(4)
  void aTemplateChangeRollsTheNodeSetWithoutKillingTheRunningJob() throws Exception {
    long job = slurm.sbatch("-p", "cpu", "-J", "long", "--wrap", "sleep 40");
    String busyNode = runningOn(job);
    String busyUid = client.pods().inNamespace(NAMESPACE).withName(busyNode).get().getMetadata().getUid();
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName("ops"), c -> {
      var template = new io.slurmkube.api.PodTemplate();
      template.spec.env.add(new io.fabric8.kubernetes.api.model.EnvVar("ROLLOUT", "2", null));
      c.getSpec().nodeSets.get(0).template = template;
      return c;
    });
    await("the rollout starts").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
        assertUpToDate(slurm.nodeSet(), "False", "RollingUpdate"));
    await("the busy node is drained for the update, its job still running").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
          assertThat(slurm.nodeState(busyNode)).contains("slurmkube: rolling update of NodeSet ops-cpu");
          assertThat(slurm.queueState(job)).isEqualTo("RUNNING");
        });
    assertThat(client.pods().inNamespace(NAMESPACE).withName(busyNode).get().getMetadata().getUid())
        .as("the pod with the job is not replaced while the job runs").isEqualTo(busyUid);
    assertCompletedUntouched(job);
    await("the rollout is done").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      NodeSet nodeSet = slurm.nodeSet();
      assertUpToDate(nodeSet, "True", "RolloutComplete");
      assertThat(nodeSet.getStatus().updatedReplicas).isEqualTo(nodeSet.getSpec().replicas);
      assertThat(slurm.nodePods()).hasSize(2).allSatisfy(p -> assertThat(p.getSpec().getContainers().get(0).getEnv())
          .anySatisfy(e -> assertThat(e.getName()).isEqualTo("ROLLOUT")));
    });
    assertThat(slurm.nodePods()).as("the pod that ran the job was replaced after it")
        .noneMatch(p -> p.getMetadata().getUid().equals(busyUid));
    // The new pods are Slurm nodes again, accepting jobs.
    assertCompletedUntouched(slurm.sbatch("-p", "cpu", "-J", "after-rollout", "--wrap", "true"));
  }

  @Test
  @Order(5)
  void kubectlDrainFinishesOnceTheRunningJobEndsAndKillsNone() throws Exception {
    long job = slurm.sbatch("-p", "cpu", "-J", "drained", "--wrap", "sleep 25");
    String busyNode = runningOn(job);
    String kubeNode = client.pods().inNamespace(NAMESPACE).withName(busyNode).get().getSpec().getNodeName();
    try {
      // What an administrator runs before maintenance; it blocks until the slurmd pods are gone.
      String out = LocalCluster.run(List.of("bash", "-c", "eval \"$(" + LocalCluster.projectRoot().resolve("e2e/substrate/cluster.sh")
          + " env)\" && kubectl drain " + kubeNode + " --pod-selector=slurmkube.io/nodeset=cpu,app.kubernetes.io/instance=ops"
          + " --ignore-daemonsets --delete-emptydir-data --timeout=240s 2>&1"));
      assertThat(out).contains("drained");
      assertCompletedUntouched(job);
      assertThat(client.pods().inNamespace(NAMESPACE).withName(busyNode).get())
          .as("the pod that ran the job has left the drained node")
          .satisfiesAnyOf(p -> assertThat(p).isNull(), p -> assertThat(p.getSpec().getNodeName()).isNull());
    } finally {
      LocalCluster.uncordonAll(client);
    }
    await("the node set is back at two ready pods").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(slurm.nodeSet().getStatus().readyReplicas).isEqualTo(2));
  }

  @Test
  @Order(6)
  void aMaxReplicasChangeReachesSlurmWithoutRestartingSlurmctld() throws Exception {
    Pod controller = client.pods().inNamespace(NAMESPACE).withName("ops-controller-0").get();
    // Slurm knows the node set's size by its FUTURE placeholders, one per possible node (maxReplicas
    // 4). (24.11 also refused a job larger than placeholders plus running nodes at submission;
    // 26.05 accepts it and leaves it pending: the placeholders are what both show.)
    assertThat(placeholders()).isEqualTo(4);

    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName("ops"), c -> {
      c.getSpec().nodeSets.get(0).maxReplicas = 6;
      return c;
    });
    // The kubelet refreshes the mounted configuration within about a minute; then slurmctld's
    // entrypoint creates the new placeholders, and Slurm takes a job of seven nodes.
    await("Slurm knows six possible nodes").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(3))
        .until(() -> placeholders() == 6);
    long[] accepted7 = {0};
    await("a 7-node job is accepted").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(3)).until(() -> {
      var accepted = slurm.exec(slurm.loginPod(), "sbatch", "--parsable", "-p", "cpu", "-N", "7", "--wrap", "true");
      if (accepted.code() == 0) {
        accepted7[0] = Long.parseLong(accepted.out().strip());
      }
      return accepted.code() == 0;
    });
    slurm.login("scancel", Long.toString(accepted7[0]));

    Pod after = client.pods().inNamespace(NAMESPACE).withName("ops-controller-0").get();
    assertThat(after.getMetadata().getUid()).as("the slurmctld pod is the same pod").isEqualTo(controller.getMetadata().getUid());
    // By name: the pod also runs the queue reader, and statuses come sorted by container name.
    assertThat(slurmctldRestarts(after)).as("slurmctld was not restarted").isEqualTo(slurmctldRestarts(controller));
  }

  /** The node set's FUTURE placeholder records, as scontrol shows them (--future: it hides them otherwise). */
  private static int placeholders() throws Exception {
    return (int) slurm.login("scontrol", "--future", "show", "nodes", "-o").lines()
        .filter(l -> l.startsWith("NodeName=ops-cpu-future-")).count();
  }

  private static int slurmctldRestarts(Pod pod) {
    return pod.getStatus().getContainerStatuses().stream().filter(s -> s.getName().equals("slurmctld")).findFirst()
        .orElseThrow().getRestartCount();
  }

  @Test
  @Order(7)
  void deletingTheNodeSetWaitsForItsRunningJobAndTheClusterMakesItAgain() throws Exception {
    long job = slurm.sbatch("-p", "cpu", "-J", "outlives-delete", "--wrap", "sleep 40");
    String busyNode = runningOn(job);
    String busyUid = client.pods().inNamespace(NAMESPACE).withName(busyNode).get().getMetadata().getUid();
    String nodeSetUid = slurm.nodeSet().getMetadata().getUid();

    // What `kubectl delete nodeset ops-cpu` sends (without its waiting for the object to go).
    client.resources(NodeSet.class).inNamespace(NAMESPACE).withName("ops-cpu").delete();
    await("the NodeSet is held, draining, while the job runs").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
          NodeSet deleting = slurm.nodeSet();
          assertThat(deleting.getMetadata().getUid()).isEqualTo(nodeSetUid);
          assertThat(deleting.getMetadata().getDeletionTimestamp()).isNotNull();
          assertThat(deleting.getStatus().conditions).anySatisfy(c -> {
            assertThat(c.getReason()).isEqualTo("Deleting");
            assertThat(c.getMessage()).contains("waiting for 1 job(s) (" + job + ") on " + busyNode);
          });
          assertThat(slurm.nodeState(busyNode)).contains("slurmkube: NodeSet ops-cpu is being deleted");
          assertThat(slurm.queueState(job)).isEqualTo("RUNNING");
        });
    assertThat(client.pods().inNamespace(NAMESPACE).withName(busyNode).get().getMetadata().getUid())
        .as("the pod with the job stays while the job runs").isEqualTo(busyUid);
    assertCompletedUntouched(job);

    // Still in spec.nodeSets: once the old NodeSet has gone, the cluster makes it again, whole.
    await("the old pod is gone and the NodeSet is made again").atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
          NodeSet again = slurm.nodeSet();
          assertThat(again).isNotNull();
          assertThat(again.getMetadata().getUid()).isNotEqualTo(nodeSetUid);
          assertThat(again.getMetadata().getDeletionTimestamp()).isNull();
          assertThat(again.getSpec().clusterName).isEqualTo("ops");
          assertThat(slurm.nodePods()).noneMatch(p -> p.getMetadata().getUid().equals(busyUid));
          assertThat(again.getStatus().readyReplicas).isEqualTo(2);
        });
    assertThat(client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> "ops-cpu".equals(e.getInvolvedObject().getName()) && "Deleted".equals(e.getReason())))
        .as("the old NodeSet let go once no pod and no job was left").isNotEmpty();
    assertCompletedUntouched(slurm.sbatch("-p", "cpu", "-J", "after-delete", "--wrap", "true"));
  }
}
