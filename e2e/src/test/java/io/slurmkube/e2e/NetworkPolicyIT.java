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
 * MariaDB, slurmdbd, slurmctld, the queue reader or slurmrestd (its SYN is dropped, where a closed
 * port would refuse), while Slurm still works through
 * every path the policies leave open (the operator, in its own namespace, reads the queue to scale
 * up and drains and deletes nodes through slurmrestd to scale down; sbatch, srun and sacct from
 * the login pod).
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
    // Pods of the same namespace that are none of the cluster's components: one to probe from, one
    // (selected by no policy) to show the probe's network works.
    for (String name : new String[] {"stranger", "open"}) {
      client.pods().inNamespace(NS).resource(new PodBuilder()
          .withNewMetadata().withName(name).withLabels(Map.of("app", name)).endMetadata()
          .withNewSpec()
            .addNewContainer().withName("echo").withImage(IMAGE).withImagePullPolicy("Never").endContainer()
          .endSpec()
          .build()).create();
    }
    for (String name : new String[] {"stranger", "open"}) {
      client.pods().inNamespace(NS).withName(name).waitUntilReady(2, java.util.concurrent.TimeUnit.MINUTES);
    }
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

  enum Tcp { CONNECTED, DROPPED, REFUSED }

  /**
   * What a TCP connection from the pod to host:port meets: a policy drops the SYN (no answer within
   * 5 s), unlike a port where nothing listens, which refuses at once.
   */
  static Tcp connect(String pod, String host, int port) throws Exception {
    var result = slurm.exec(pod, "bash", "-c", "timeout 5 bash -c '</dev/tcp/" + host + "/" + port + "'");
    return switch (result.code()) {
      case 0 -> Tcp.CONNECTED;
      case 124 -> Tcp.DROPPED;
      default -> Tcp.REFUSED;
    };
  }

  static String podOf(String component) {
    return client.pods().inNamespace(NS).withLabel("app.kubernetes.io/component", component).list().getItems().stream()
        .filter(p -> "Running".equals(p.getStatus().getPhase()) && p.getMetadata().getDeletionTimestamp() == null)
        .findFirst().orElseThrow().getMetadata().getName();
  }

  @Test
  void aStrangerReachesNoneOfTheClusterWhileSlurmWorks() throws Exception {
    String database = "demo-db-0." + svc("demo-db");
    String controller = "demo-controller-0." + svc("demo-controller");
    // The stranger has a network (a pod no policy selects takes it), and the cluster's own pods get through.
    String open = client.pods().inNamespace(NS).withName("open").get().getStatus().getPodIP();
    assertThat(connect("stranger", open, 8080)).as("stranger -> a pod without policy").isEqualTo(Tcp.CONNECTED);
    assertThat(connect(podOf("accounting"), database, 3306)).as("slurmdbd -> MariaDB").isEqualTo(Tcp.CONNECTED);
    assertThat(connect(slurm.loginPod(), svc("demo-restapi"), 6820)).as("login -> slurmrestd").isEqualTo(Tcp.CONNECTED);
    assertThat(connect(slurm.loginPod(), controller, 6817)).as("login -> slurmctld").isEqualTo(Tcp.CONNECTED);

    assertThat(connect("stranger", database, 3306)).as("stranger -> MariaDB").isEqualTo(Tcp.DROPPED);
    assertThat(connect("stranger", svc("demo-accounting"), 6819)).as("stranger -> slurmdbd").isEqualTo(Tcp.DROPPED);
    assertThat(connect("stranger", controller, 6817)).as("stranger -> slurmctld").isEqualTo(Tcp.DROPPED);
    assertThat(connect("stranger", controller, 6821)).as("stranger -> queue reader").isEqualTo(Tcp.DROPPED);
    assertThat(connect("stranger", svc("demo-restapi"), 6820)).as("stranger -> slurmrestd").isEqualTo(Tcp.DROPPED);
    // The login pod is a Slurm client, not the database's.
    assertThat(connect(slurm.loginPod(), database, 3306)).as("login -> MariaDB").isEqualTo(Tcp.DROPPED);

    // Slurm still works: the operator (namespace slurmkube-system) reads the queue and scales the
    // node set up; the job runs (and its own sacct reaches slurmdbd, else the job fails), srun
    // reaches a node and back, and accounting has the job.
    long job = slurm.sbatch("-J", "netpol", "-o", "/tmp/netpol-%j.out", "--wrap",
        "hostname && sacct -n -X -j $SLURM_JOB_ID -o JobID");
    await("job COMPLETED").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(slurm.jobState(job)).isEqualTo("COMPLETED"));
    assertThat(slurm.login("srun", "-N1", "hostname").strip()).startsWith("demo-cpu-");
    assertThat(slurm.login("scontrol", "ping")).contains("UP");
    // The scale-down drains and deletes the Slurm node through slurmrestd: the operator's other path in.
    await("node set back at 0 with no Slurm node records").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          assertThat(slurm.nodePods()).isEmpty();
          assertThat(slurm.slurmNodes()).isEmpty();
        });
  }
}
