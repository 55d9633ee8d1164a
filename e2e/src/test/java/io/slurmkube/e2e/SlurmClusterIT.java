package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.NodeSet;
import io.slurmkube.testing.Conflicts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What users come for, on the local Kubernetes with the operator installed by its chart: sbatch
 * from a login pod, node sets that follow the queue, and no job lost to a scale-down, a
 * slurmctld restart or an operator restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlurmClusterIT {
  static final Duration SCALE_DOWN_DELAY = Duration.ofSeconds(15);
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;
  static Prometheus prometheus;

  @BeforeAll
  static void installAndCreateCluster() throws Exception {
    client = LocalCluster.client();
    SlurmOnKubernetes.installOperator();
    prometheus = Prometheus.scrapingTheOperator(client);
    slurm = new SlurmOnKubernetes(client, "e2e-slurm");
    slurm.applyExample((int) SCALE_DOWN_DELAY.toSeconds());
    await("SlurmCluster Ready").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).until(slurm::isReady);
  }

  @AfterAll
  static void deleteCluster() throws Exception {
    if (prometheus != null) {
      prometheus.close();
    }
    if (client != null) {
      client.namespaces().withName("e2e-slurm").delete();
      client.close();
    }
  }

  private static void awaitNodeSetEmptyAndNoRecords() {
    await("node set back at 0 with no Slurm node records").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          assertThat(slurm.nodePods()).isEmpty();
          assertThat(slurm.nodeSet().getStatus().replicas).isZero();
          assertThat(slurm.slurmNodes()).isEmpty();
        });
  }

  @Test
  @Order(1)
  void scalesFromZeroRunsEveryJobAndReturnsToZero() throws Exception {
    assertThat(slurm.nodePods()).isEmpty();
    List<Long> jobs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      jobs.add(slurm.sbatch("-J", "short-" + i, "-o", "/tmp/short-%j.out", "--wrap", "hostname; sleep 2"));
    }
    await("the node set scales up").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .until(() -> slurm.nodeSet().getSpec().replicas > 0);
    await("every job COMPLETED").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          for (long id : jobs) {
            assertThat(slurm.jobState(id)).as("job %d", id).isEqualTo("COMPLETED");
          }
        });
    NodeSet nodeSet = slurm.nodeSet();
    assertThat(nodeSet.getSpec().replicas).isLessThanOrEqualTo(3);
    assertThat(client.v1().events().inNamespace(slurm.namespace).list().getItems())
        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("ScaledUp"));
    // What Prometheus would see: the scale-up, and the jobs' waits up to it and to RUNNING.
    var nodeSetLabels = Map.of("namespace", slurm.namespace, "cluster", "demo", "nodeset", "cpu");
    assertThat(slurm.operatorMetric("slurmkube_scale_decisions_total", Map.of("namespace", slurm.namespace,
        "cluster", "demo", "nodeset", "cpu", "direction", "up"))).isGreaterThanOrEqualTo(1.0);
    assertThat(slurm.operatorMetric("slurmkube_job_submit_to_scale_decision_seconds_count", nodeSetLabels))
        .isGreaterThanOrEqualTo(1.0);
    assertThat(slurm.operatorMetric("slurmkube_job_submit_to_running_seconds_count",
        Map.of("namespace", slurm.namespace, "cluster", "demo"))).isGreaterThanOrEqualTo(1.0);
    awaitNodeSetEmptyAndNoRecords();
    await("the scale-down in the operator's metrics").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> {
          assertThat(slurm.operatorMetric("slurmkube_node_removals_total", nodeSetLabels)).isGreaterThanOrEqualTo(1.0);
          assertThat(slurm.operatorMetric("slurmkube_nodeset_replicas_current", nodeSetLabels)).isEqualTo(0.0);
        });
    // No job came after the scale-down began: no drain was called off, so none may have been undone.
    assertThat(client.v1().events().inNamespace(slurm.namespace).list().getItems())
        .noneSatisfy(e -> assertThat(e.getReason()).isEqualTo("NodeResumed"));
  }

  @Test
  @Order(2)
  void aRunningJobIsNeverKilledByAScaleDown() throws Exception {
    long longJob = slurm.sbatch("-J", "long", "-o", "/tmp/long-%j.out", "--wrap", "sleep 40");
    await("the long job runs").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.queueState(longJob).equals("RUNNING"));
    String node = slurm.login("squeue", "-h", "-o", "%N", "-j", Long.toString(longJob)).strip();

    // An administrator (or HPA) scales the node set to zero while the job runs.
    client.resources(NodeSet.class).inNamespace(slurm.namespace).withName("demo-cpu").scale(0);
    await("the node is drained, not deleted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertThat(slurm.nodeState(node)).contains("drain").contains("slurmkube: scale-down"));
    assertThat(slurm.nodePods()).extracting(p -> p.getMetadata().getName()).contains(node);
    assertThat(slurm.queueState(longJob)).isEqualTo("RUNNING");

    await("the long job COMPLETED").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.jobState(longJob).equals("COMPLETED"));
    awaitNodeSetEmptyAndNoRecords();
  }

  @Test
  @Order(3)
  void queuedAndRunningJobsSurviveTheLossOfTheControllerPod() throws Exception {
    long running = slurm.sbatch("-J", "survivor", "-o", "/tmp/survivor-%j.out", "--wrap", "sleep 30");
    long held = slurm.sbatch("-J", "held", "--hold", "--wrap", "true");
    await("the job runs").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.queueState(running).equals("RUNNING"));
    Pod controller = client.pods().inNamespace(slurm.namespace).withName("demo-controller-0").get();
    client.resource(controller).withGracePeriod(0).delete();
    await("a new controller pod").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).until(() -> {
      Pod p = client.pods().inNamespace(slurm.namespace).withName("demo-controller-0").get();
      return p != null && !p.getMetadata().getUid().equals(controller.getMetadata().getUid())
          && p.getStatus().getContainerStatuses().stream().allMatch(s -> Boolean.TRUE.equals(s.getReady()));
    });
    assertThat(slurm.queueState(held)).isEqualTo("PENDING");
    // The operator's metrics show the held job for what it is: pending, and not for want of nodes.
    await("the held job in the operator's metrics").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(slurm.operatorMetric("slurmkube_jobs_pending", Map.of("namespace", slurm.namespace,
            "cluster", "demo", "partition", "batch", "reason", "held"))).isEqualTo(1.0));
    // And a real Prometheus, scraping the operator, answers PromQL about the queue.
    await("the held job through PromQL").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(prometheus.value("slurmkube_jobs_pending{namespace=\"" + slurm.namespace
            + "\",cluster=\"demo\",reason=\"held\"}")).isEqualTo(1.0));
    // Test 1's scale-up, counted in the operator and summed by PromQL over the label sets.
    assertThat(prometheus.value("sum(slurmkube_scale_decisions_total{namespace=\"" + slurm.namespace + "\",direction=\"up\"})"))
        .isGreaterThanOrEqualTo(1.0);
    // What the operator costs the API server, by request: its pod creates for that scale-up are there.
    assertThat(prometheus.value("sum(slurmkube_kubernetes_requests_total{verb=\"create\",resource=\"/pods\",code=\"201\"})"))
        .isGreaterThanOrEqualTo(1.0);
    // The chart's Grafana dashboard: each of its queries, for this cluster, is PromQL the real Prometheus evaluates.
    var dashboard = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        LocalCluster.projectRoot().resolve("charts/slurmkube-operator/dashboards/slurmkube.json").toFile());
    int queries = 0;
    for (var panel : dashboard.path("panels")) {
      for (var target : panel.path("targets")) {
        String promql = target.path("expr").asText().replace("$namespace", slurm.namespace).replace("$cluster", "demo");
        assertThat(prometheus.query(promql)).as("dashboard panel %s: %s", panel.path("title").asText(), promql).isNotNull();
        queries++;
      }
    }
    assertThat(queries).isGreaterThanOrEqualTo(8);
    assertThat(slurm.queueState(running)).isIn("RUNNING", "COMPLETING", "COMPLETED");
    await("the running job COMPLETED").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.jobState(running).equals("COMPLETED"));
    slurm.login("scancel", Long.toString(held));
    awaitNodeSetEmptyAndNoRecords();
  }

  @Test
  @Order(4)
  void anOperatorRestartMidScaleConvergesWithoutOrphans() throws Exception {
    List<Long> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(slurm.sbatch("-J", "restart-" + i, "-o", "/tmp/restart-%j.out", "--wrap", "sleep 5"));
    }
    await("scale-up started").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .until(() -> !slurm.nodePods().isEmpty());
    client.pods().inNamespace("slurmkube-system").withLabel("app.kubernetes.io/name", "slurmkube-operator")
        .withGracePeriod(0).delete();
    await("every job COMPLETED").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          for (long id : jobs) {
            assertThat(slurm.jobState(id)).as("job %d", id).isEqualTo("COMPLETED");
          }
        });
    awaitNodeSetEmptyAndNoRecords();
    assertThat(client.pods().inNamespace(slurm.namespace).withLabel("app.kubernetes.io/component", "node").list().getItems())
        .as("no slurmd pod without its NodeSet").isEmpty();
  }

  @Test
  @Order(5)
  void aPartitionChangeReachesSlurmWithoutRestartingTheController() throws Exception {
    String controllerUid = client.pods().inNamespace(slurm.namespace).withName("demo-controller-0").get()
        .getMetadata().getUid();
    Conflicts.edit(client.resources(io.slurmkube.api.SlurmCluster.class).inNamespace(slurm.namespace).withName("demo"), c -> {
      c.getSpec().partitions.get(0).maxTime = "90";
      return c;
    });
    // The kubelet refreshes the mounted ConfigMap within about a minute; then `scontrol reconfigure`.
    await("slurmctld reconfigured").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(3))
        .untilAsserted(() -> assertThat(slurm.login("scontrol", "show", "partition", "batch")).contains("MaxTime=01:30:00"));
    assertThat(client.pods().inNamespace(slurm.namespace).withName("demo-controller-0").get().getMetadata().getUid())
        .as("slurmctld's pod was not replaced").isEqualTo(controllerUid);
  }

  @Test
  @Order(6)
  void aUserLogsInOverSshWithTheirKeyAndNeverWithAPassword() throws Exception {
    slurm.login("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e-user", "-f", "/tmp/e2e-key");
    String privateKey = slurm.login("cat", "/tmp/e2e-key");
    String publicKey = slurm.login("cat", "/tmp/e2e-key.pub").strip();
    // Until users can be declared (issue 11) root is the only account, so this cluster allows it.
    Conflicts.edit(client.resources(io.slurmkube.api.SlurmCluster.class).inNamespace(slurm.namespace).withName("demo"), c -> {
      c.getSpec().login.sshAuthorizedKeys = List.of(publicKey);
      c.getSpec().login.allowRootLogin = true;
      c.getSpec().login.replicas = 2;
      return c;
    });
    assertThat(client.services().inNamespace(slurm.namespace).withName("demo-login").get().getSpec().getPorts())
        .anySatisfy(p -> assertThat(p.getPort()).isEqualTo(22));
    var pods = new java.util.concurrent.atomic.AtomicReference<List<Pod>>();
    await("two login pods that take the key log their user in").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          List<Pod> logins = loginPods(publicKey, true);
          assertThat(logins).as("running login pods with the key and root allowed").hasSize(2);
          for (Pod login : logins) {
            // The user ssh-es from the login pod itself, with the private key in a file of their own.
            var session = sshAsRoot(login.getMetadata().getName(), privateKey, "sinfo", "-h", "-o", "%P");
            assertThat(session.code()).as("ssh with the key: %s", session.err()).isZero();
            assertThat(session.out()).contains("batch");
          }
          pods.set(logins);
        });
    String pod = pods.get().get(0).getMetadata().getName();
    var noKey = slurm.exec(pod, concat(SSH, "-o", "PubkeyAuthentication=no", "-o", "PasswordAuthentication=yes",
        "root@localhost", "true"));
    assertThat(noKey.code()).isNotZero();
    assertThat(noKey.err()).contains("Permission denied (publickey)");

    // One host key for the cluster: what a client sees from each replica is the Secret's key.
    String hostKey = new String(java.util.Base64.getDecoder().decode(client.secrets().inNamespace(slurm.namespace)
        .withName("demo-ssh-host-keys").get().getData().get("ssh_host_ed25519_key.pub"))).split(" ")[1];
    assertThat(hostKeysSeenFrom(pod, pods.get())).containsOnly(hostKey).hasSize(1);

    List<String> firstPods = pods.get().stream().map(p -> p.getMetadata().getUid()).toList();
    // Root login off: the pods roll (new pods, so this is also a restart) and refuse root's key.
    Conflicts.edit(client.resources(io.slurmkube.api.SlurmCluster.class).inNamespace(slurm.namespace).withName("demo"), c -> {
      c.getSpec().login.allowRootLogin = false;
      return c;
    });
    await("login pods that refuse root").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          List<Pod> logins = loginPods(publicKey, false);
          assertThat(logins).as("running login pods with root not allowed").hasSize(2);
          for (Pod login : logins) {
            var refused = sshAsRoot(login.getMetadata().getName(), privateKey, "true");
            assertThat(refused.code()).isNotZero();
            assertThat(refused.err()).contains("Permission denied (publickey)");
          }
          pods.set(logins);
        });
    assertThat(pods.get()).extracting(p -> p.getMetadata().getUid()).doesNotContainAnyElementsOf(firstPods);
    assertThat(hostKeysSeenFrom(pods.get().get(0).getMetadata().getName(), pods.get()))
        .as("the same host key after the login pods were replaced").containsOnly(hostKey).hasSize(1);
  }

  private static final String[] SSH = {"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
      "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5"};

  /** Running login pods of the current template: with this key, and root allowed or not. */
  private static List<Pod> loginPods(String publicKey, boolean rootAllowed) {
    return client.pods().inNamespace(slurm.namespace).withLabel("app.kubernetes.io/component", "login").list()
        .getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && "Running".equals(p.getStatus().getPhase()))
        .filter(p -> hasEnv(p, "SSH_AUTHORIZED_KEYS", publicKey) && hasEnv(p, "SSH_ALLOW_ROOT_LOGIN", Boolean.toString(rootAllowed)))
        .toList();
  }

  private static boolean hasEnv(Pod pod, String name, String value) {
    return pod.getSpec().getContainers().get(0).getEnv().stream().anyMatch(e -> e.getName().equals(name) && value.equals(e.getValue()));
  }

  private static SlurmOnKubernetes.Exec sshAsRoot(String pod, String privateKey, String... command) throws Exception {
    assertThat(slurm.exec(pod, "sh", "-c", "umask 077; printf '%s' \"$0\" > /tmp/user-key", privateKey).code()).isZero();
    return slurm.exec(pod, concat(concat(SSH, "-i", "/tmp/user-key", "root@localhost"), command));
  }

  /** The ed25519 host keys that ssh-keyscan, run in one pod, gets from each pod's sshd. */
  private static java.util.Set<String> hostKeysSeenFrom(String pod, List<Pod> targets) throws Exception {
    var keys = new java.util.HashSet<String>();
    for (Pod target : targets) {
      var scan = slurm.exec(pod, "ssh-keyscan", "-T", "5", "-t", "ed25519", target.getStatus().getPodIP());
      assertThat(scan.code()).as("ssh-keyscan %s: %s", target.getMetadata().getName(), scan.err()).isZero();
      String line = scan.out().lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst()
          .orElseThrow(() -> new AssertionError("no host key from " + target.getMetadata().getName() + ": " + scan.err()));
      keys.add(line.split(" ")[2]);
    }
    return keys;
  }

  private static String[] concat(String[] first, String... rest) {
    String[] all = java.util.Arrays.copyOf(first, first.length + rest.length);
    System.arraycopy(rest, 0, all, first.length, rest.length);
    return all;
  }
}
