package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.testing.Conflicts;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A rotation of the Slurm auth key, asked for as a user would (an annotation on the SlurmCluster),
 * through the chart on the local cluster, while a job runs from before the first phase to after
 * the last: the job COMPLETES untouched, slurmctld is never restarted, and afterwards only the new
 * key works: new jobs run, accounting answers, the login pod was restarted with the new key. The
 * operator is restarted in the middle and carries on. The operator runs at the chart's most verbose
 * level, trace, and last every log of the run is searched for the keys, the password and any JWT.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthKeyRotationE2EIT {
  static final String NAMESPACE = "e2e-keys";
  static final String CLUSTER = "keys";
  static final String REQUEST = "slurmkube.io/rotate-auth-key";
  static final String OPERATOR_NAMESPACE = "slurmkube-system";
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;
  /** The auth key before the rotation: it must not be in the logs either. */
  static byte[] keyBefore;

  @BeforeAll
  static void installAndCreateCluster() throws Exception {
    client = LocalCluster.client();
    // Trace: the level that would print HTTP headers and bodies if anything let them through.
    SlurmOnKubernetes.installOperator("--set", "logLevel=trace");
    slurm = new SlurmOnKubernetes(client, NAMESPACE, CLUSTER, "cpu");
    slurm.createReady("/rotate-cluster.yaml");
  }

  @AfterAll
  static void cleanUp() {
    if (client != null) {
      client.namespaces().withName(NAMESPACE).delete();
      client.close();
    }
  }

  @Test
  @Order(1)
  void aRotationReachesEveryComponentWhileAJobRunsAndOnlyTheNewKeyRemains() throws Exception {
    Secret before = keySecret();
    keyBefore = Base64.getDecoder().decode(before.getData().get("slurm.key"));
    Pod controller = controllerPod();
    String loginBefore = slurm.loginPod();
    // The job runs until the test says the rotation is over: it spans every phase.
    long job = slurm.sbatch("-J", "through-rotation", "--output=/home/rotation-%j.out",
        "--wrap", "while [ ! -e /home/rotation-over ]; do sleep 2; done; echo finished");
    await("job " + job + " RUNNING").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.queueState(job).equals("RUNNING"));

    annotate("first");
    // Each change of phase, in order: the status may already read Stable before the request is seen.
    List<String> phases = new java.util.ArrayList<>();
    await("the rotation completes").atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(2)).until(() -> {
      var status = slurm.slurmCluster().getStatus().authKey;
      boolean changed = status != null && status.phase != null
          && (phases.isEmpty() || !phases.get(phases.size() - 1).equals(status.phase)) && phases.add(status.phase);
      if (changed && status.phase.equals("SwitchingKey") && !phases.subList(0, phases.size() - 1).contains("SwitchingKey")) {
        // The operator restarted mid-rotation resumes it from the key Secret.
        client.pods().inNamespace("slurmkube-system").withLabel("app.kubernetes.io/name", "slurmkube-operator").delete();
      }
      return status != null && "Stable".equals(status.phase) && "first".equals(status.request) && status.lastRotated != null;
    });
    assertThat(phases).as("the phases status showed").containsSubsequence("AddingKey", "SwitchingKey", "DroppingOldKey", "Stable");

    // Only the new key remains: slurm.key changed, the key set holds one key, the default.
    Secret after = keySecret();
    assertThat(after.getData().get("slurm.key")).isNotEqualTo(before.getData().get("slurm.key"));
    assertThat(after.getData()).doesNotContainKey("slurm.key.next");
    var keys = new ObjectMapper().readTree(Base64.getDecoder().decode(after.getData().get("slurm.jwks"))).path("keys");
    assertThat(keys.size()).isEqualTo(1);
    assertThat(keys.get(0).path("use").asText()).isEqualTo("default");
    assertThat(Base64.getUrlDecoder().decode(keys.get(0).path("k").asText()))
        .isEqualTo(Base64.getDecoder().decode(after.getData().get("slurm.key")));

    // slurmctld took every phase in without a restart; the login pod was restarted for them.
    Pod controllerNow = controllerPod();
    assertThat(controllerNow.getMetadata().getUid()).as("slurmctld pod").isEqualTo(controller.getMetadata().getUid());
    assertThat(controllerNow.getStatus().getContainerStatuses()).allSatisfy(c -> assertThat(c.getRestartCount()).isZero());
    assertThat(slurm.loginPod()).isNotEqualTo(loginBefore);

    // The job ran through it all and ends as it should, never requeued.
    assertThat(slurm.queueState(job)).isEqualTo("RUNNING");
    assertThat(slurm.slurmNodes()).allSatisfy(n -> assertThat(n).doesNotContain("down", "not_responding", "fail"));
    slurm.login("touch", "/home/rotation-over");
    await("job " + job + " ends").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> !List.of("PENDING", "RUNNING", "COMPLETING").contains(slurm.controllerJobState(job)));
    String record = slurm.login("scontrol", "show", "job", "-o", Long.toString(job));
    assertThat(slurm.controllerJobState(job)).as(record).isEqualTo("COMPLETED");
    assertThat(record).contains("Restarts=0");
    assertThat(slurm.login("cat", "/home/rotation-" + job + ".out")).contains("finished");

    // With the new key alone: a new job runs, accounting (slurmdbd, restarted per phase) records both.
    long next = slurm.sbatch("--wrap", "hostname");
    await("job " + next + " COMPLETED in accounting").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.jobState(next).equals("COMPLETED"));
    assertThat(slurm.jobState(job)).isEqualTo("COMPLETED");

    // Each step was told once.
    var reasons = client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> CLUSTER.equals(e.getInvolvedObject().getName()) && e.getReason().startsWith("AuthKeyRotat"))
        .map(e -> e.getReason()).toList();
    assertThat(reasons).containsExactlyInAnyOrder("AuthKeyRotationStarted", "AuthKeyRotationPhase",
        "AuthKeyRotationPhase", "AuthKeyRotated");

    // The same request again is not a new rotation.
    String version = keySecret().getMetadata().getResourceVersion();
    annotate("first");
    Thread.sleep(10_000);
    assertThat(keySecret().getMetadata().getResourceVersion()).isEqualTo(version);
    assertThat(slurm.slurmCluster().getStatus().authKey.phase).isEqualTo("Stable");
  }

  @Test
  @Order(2)
  void noLogOfTheRunHoldsAKeyThePasswordOrAJwt() throws Exception {
    LogScanResult result = scanLogs();
    assertThat(result.forms).as("forms of secret looked for").isGreaterThanOrEqualTo(10);
    assertThat(result.operatorAtTrace).as("the operator logged at trace").isTrue();
    assertThat(result.logs).as("container logs read").isGreaterThanOrEqualTo(6);
    assertThat(result.findings).as("secrets found in " + result.logs + " logs").isEmpty();
  }

  record LogScanResult(int forms, int logs, boolean operatorAtTrace, List<String> findings) {}

  /**
   * Every container log of the operator and the cluster (the instance before the last restart too)
   * against every Secret of the cluster (auth key and key set, JWT key, database password, SSH host
   * keys) and the auth key the rotation replaced.
   */
  static LogScanResult scanLogs() throws Exception {
    var scan = new SecretLogScan();
    if (keyBefore != null) {
      scan.add("slurm.key before the rotation", keyBefore);
    }
    for (Secret secret : client.secrets().inNamespace(NAMESPACE).list().getItems()) {
      if (secret.getData() != null) {
        secret.getData().forEach((key, value) ->
            scan.add(secret.getMetadata().getName() + "/" + key, Base64.getDecoder().decode(value)));
      }
    }
    Secret keys = keySecret();
    for (var jwk : new ObjectMapper().readTree(Base64.getDecoder().decode(keys.getData().get("slurm.jwks"))).path("keys")) {
      scan.add("slurm.jwks k", Base64.getUrlDecoder().decode(jwk.path("k").asText()));
    }
    assertThat(client.secrets().inNamespace(NAMESPACE).withName(CLUSTER + "-db-password").get()).as("database Secret").isNotNull();
    assertThat(client.secrets().inNamespace(NAMESPACE).withName(CLUSTER + "-jwt-key").get()).as("JWT key Secret").isNotNull();

    List<String> findings = new java.util.ArrayList<>();
    int logs = 0;
    boolean operatorAtTrace = false;
    for (String namespace : List.of(OPERATOR_NAMESPACE, NAMESPACE)) {
      for (Pod pod : client.pods().inNamespace(namespace).list().getItems()) {
        var statuses = new java.util.ArrayList<io.fabric8.kubernetes.api.model.ContainerStatus>();
        if (pod.getStatus().getInitContainerStatuses() != null) {
          statuses.addAll(pod.getStatus().getInitContainerStatuses());
        }
        if (pod.getStatus().getContainerStatuses() != null) {
          statuses.addAll(pod.getStatus().getContainerStatuses());
        }
        for (var container : statuses) {
          var target = client.pods().inNamespace(namespace).withName(pod.getMetadata().getName())
              .inContainer(container.getName());
          String name = namespace + "/" + pod.getMetadata().getName() + "/" + container.getName();
          String log = target.getLog();
          findings.addAll(scan.findings(name, log));
          logs++;
          operatorAtTrace |= namespace.equals(OPERATOR_NAMESPACE) && log.contains("[TRACE]");
          if (container.getRestartCount() != null && container.getRestartCount() > 0) {
            findings.addAll(scan.findings(name + " (previous)", target.terminated().getLog()));
            logs++;
          }
        }
      }
    }
    return new LogScanResult(scan.size(), logs, operatorAtTrace, findings);
  }

  static void annotate(String value) {
    Conflicts.edit(client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName(CLUSTER),
        c -> {
          var annotations = new java.util.HashMap<String, String>(
              c.getMetadata().getAnnotations() == null ? java.util.Map.of() : c.getMetadata().getAnnotations());
          annotations.put(REQUEST, value);
          c.getMetadata().setAnnotations(annotations);
          return c;
        });
  }

  static Secret keySecret() {
    return client.secrets().inNamespace(NAMESPACE).withName(CLUSTER + "-auth-key").get();
  }

  static Pod controllerPod() {
    return client.pods().inNamespace(NAMESPACE).withName(CLUSTER + "-controller-0").get();
  }
}
