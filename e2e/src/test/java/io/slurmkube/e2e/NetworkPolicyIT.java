package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's NetworkPolicies, enforced by the substrate's network plugin (kube-network-policies,
 * started by cluster.sh): a pod that is not one of the cluster's cannot open a connection to
 * MariaDB, slurmdbd, slurmctld, the queue reader or slurmrestd, while Slurm still works through
 * every path the policies leave open (the operator, in its own namespace, reads the queue to scale
 * up; sbatch, srun and sacct from the login pod).
 */
class NetworkPolicyIT {
  static final String NS = "e2e-netpol";
  static final String IMAGE = SubstrateIT.IMAGE;
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;

  @BeforeAll
  static void installAndCreateCluster() throws Exception {
    client = LocalCluster.client();
    DaemonSet enforcer = client.apps().daemonSets().inNamespace("kube-system").withName("kube-network-policies").get();
    assertThat(enforcer).as("the substrate's NetworkPolicy plugin (e2e/substrate/cluster.sh netpol starts it)").isNotNull();
    assertThat(enforcer.getStatus().getNumberReady()).as("kube-network-policies pods ready").isPositive();
    LocalCluster.buildAndLoadImage("e2e/images/echo", IMAGE);
    SlurmOnKubernetes.installOperator();
    slurm = new SlurmOnKubernetes(client, NS);
    slurm.freshNamespace();
    slurm.applyExample(15);
    await("SlurmCluster Ready").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).until(slurm::isReady);
    // A pod of the same namespace that is none of the cluster's components.
    client.pods().inNamespace(NS).resource(new PodBuilder()
        .withNewMetadata().withName("stranger").withLabels(Map.of("app", "stranger")).endMetadata()
        .withNewSpec()
          .addNewContainer().withName("echo").withImage(IMAGE).withImagePullPolicy("Never").endContainer()
        .endSpec()
        .build()).create();
    client.pods().inNamespace(NS).withName("stranger").waitUntilReady(2, java.util.concurrent.TimeUnit.MINUTES);
  }

  @AfterAll
  static void deleteCluster() {
    if (client != null) {
      client.namespaces().withName(NS).delete();
      client.close();
    }
  }

  static String svc(String name) {
    return name + "." + NS + ".svc.cluster.local";
  }

  /** Whether a TCP connection from the pod to host:port opens within 5 s (a dropped SYN times out). */
  static boolean connects(String pod, String host, int port) throws Exception {
    var result = slurm.exec(pod, "bash", "-c", "timeout 5 bash -c '</dev/tcp/" + host + "/" + port + "'");
    return result.code() == 0;
  }

  static String podOf(String component) {
    return client.pods().inNamespace(NS).withLabel("app.kubernetes.io/component", component).list().getItems().stream()
        .filter(p -> "Running".equals(p.getStatus().getPhase()) && p.getMetadata().getDeletionTimestamp() == null)
        .findFirst().orElseThrow().getMetadata().getName();
  }

  @Test
  void aStrangerReachesOnlySshWhileSlurmWorks() throws Exception {
    String database = "demo-db-0." + svc("demo-db");
    String controller = "demo-controller-0." + svc("demo-controller");
    // The stranger has a network (sshd is open to all), and the cluster's own pods get through.
    assertThat(connects("stranger", svc("demo-login"), 22)).as("stranger -> login sshd").isTrue();
    assertThat(connects(podOf("accounting"), database, 3306)).as("slurmdbd -> MariaDB").isTrue();
    assertThat(connects(slurm.loginPod(), svc("demo-restapi"), 6820)).as("login -> slurmrestd").isTrue();

    assertThat(connects("stranger", database, 3306)).as("stranger -> MariaDB").isFalse();
    assertThat(connects("stranger", svc("demo-accounting"), 6819)).as("stranger -> slurmdbd").isFalse();
    assertThat(connects("stranger", controller, 6817)).as("stranger -> slurmctld").isFalse();
    assertThat(connects("stranger", controller, 6821)).as("stranger -> queue reader").isFalse();
    assertThat(connects("stranger", svc("demo-restapi"), 6820)).as("stranger -> slurmrestd").isFalse();
    // The login pod is a Slurm client, not the database's.
    assertThat(connects(slurm.loginPod(), database, 3306)).as("login -> MariaDB").isFalse();

    // Slurm still works: the operator (namespace slurmkube-system) reads the queue and scales the
    // node set up; the job runs, srun reaches a node and back, and accounting has the job.
    long job = slurm.sbatch("-J", "netpol", "-o", "/tmp/netpol-%j.out", "--wrap", "hostname");
    await("job COMPLETED").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(slurm.jobState(job)).isEqualTo("COMPLETED"));
    assertThat(slurm.login("srun", "-N1", "hostname").strip()).startsWith("demo-cpu-");
    assertThat(slurm.login("scontrol", "ping")).contains("UP");
  }
}
