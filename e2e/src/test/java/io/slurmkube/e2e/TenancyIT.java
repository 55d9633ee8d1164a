package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.AccountingStatus;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.SshHostKeys;
import io.slurmkube.testing.Conflicts;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two teams on one cluster, examples/slurmcluster-teams.yaml installed through the chart: declared
 * users who log in over SSH with their own keys and whose jobs and files are theirs, accounts in
 * slurmdbd with a 3:1 fair share that orders jobs, a per-user limit the autoscaler does not scale
 * for, QOS preemption, and changes in Kubernetes that reach Slurm without restarting slurmctld.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenancyIT {
  static final String NAMESPACE = "e2e-teams";
  static KubernetesClient client;
  static SlurmOnKubernetes slurm;
  static SlurmOnKubernetes solo;
  /** Each user's private key (OpenSSH format), made with the JDK like the operator's host keys. */
  static final Map<String, String> privateKeys = new HashMap<>();
  static String controllerUid;

  @BeforeAll
  static void installAndCreateCluster() throws Exception {
    client = LocalCluster.client();
    SlurmOnKubernetes.installOperator();
    slurm = new SlurmOnKubernetes(client, NAMESPACE, "teams", "cpu");
    solo = new SlurmOnKubernetes(client, NAMESPACE, "teams", "solo");
    slurm.freshNamespace();
    SlurmCluster cluster;
    try (InputStream in = Files.newInputStream(LocalCluster.projectRoot().resolve("examples/slurmcluster-teams.yaml"))) {
      cluster = client.resources(SlurmCluster.class).load(in).item();
    }
    for (var user : cluster.getSpec().users) {
      var files = SshHostKeys.generate(new SecureRandom(), user.name + "@laptop");
      privateKeys.put(user.name, new String(files.get(SshHostKeys.ED25519), StandardCharsets.UTF_8));
      user.sshAuthorizedKeys = List.of(new String(files.get(SshHostKeys.ED25519 + ".pub"), StandardCharsets.UTF_8).strip());
    }
    cluster.getMetadata().setNamespace(NAMESPACE);
    client.resource(cluster).create();
    await("SlurmCluster teams Ready").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2)).until(slurm::isReady);
    await("slurmdbd holds the accounts, QOS and users").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> {
          AccountingStatus accounting = slurm.slurmCluster().getStatus().accounting;
          assertThat(accounting).isNotNull();
          assertThat(accounting.objects).extracting(o -> o.kind + "/" + o.name + "=" + o.state).containsExactly(
              "QOS/low=Applied", "QOS/high=Applied", "Account/physics=Applied", "Account/chemistry=Applied",
              "User/alice=Applied", "User/bob=Applied");
        });
    controllerUid = controllerPod().getMetadata().getUid();
  }

  @AfterAll
  static void deleteEverything() {
    if (client != null) {
      client.namespaces().withName(NAMESPACE).delete();
      client.close();
    }
  }

  static Pod controllerPod() {
    return client.pods().inNamespace(NAMESPACE).withName("teams-controller-0").get();
  }

  private static final String[] SSH = {"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
      "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"};

  /** {@code ssh <user>@<login pod>} with the key of {@code keyOf}, from the login pod itself. */
  static SlurmOnKubernetes.Exec ssh(String user, String keyOf, String command) throws Exception {
    String pod = slurm.loginPod();
    var write = slurm.exec(pod, "sh", "-c", "umask 077; printf '%s' \"$0\" > /tmp/key-" + keyOf, privateKeys.get(keyOf));
    assertThat(write.code()).isZero();
    String[] args = new String[SSH.length + 4];
    System.arraycopy(SSH, 0, args, 0, SSH.length);
    args[SSH.length] = "-i";
    args[SSH.length + 1] = "/tmp/key-" + keyOf;
    args[SSH.length + 2] = user + "@localhost";
    args[SSH.length + 3] = command;
    return slurm.exec(pod, Duration.ofSeconds(60), args);
  }

  static String asUser(String user, String command) throws Exception {
    var result = ssh(user, user, command);
    assertThat(result.code()).as("ssh %s@login %s: %s", user, command, result.err()).isZero();
    return result.out();
  }

  static long sbatchAs(String user, String args) throws Exception {
    return Long.parseLong(asUser(user, "sbatch --parsable " + args).strip().split(";")[0]);
  }

  static String sacct(long job, String format) throws Exception {
    return slurm.login("sacct", "-X", "-n", "-P", "-o", format, "-j", Long.toString(job)).strip();
  }

  @Test
  @Order(1)
  void eachUserLogsInWithTheirKeyRunsJobsAsThemselvesAndOwnsTheirFiles() throws Exception {
    assertThat(asUser("alice", "id -un; id -u; echo $HOME").lines()).containsExactly("alice", "2001", "/home/alice");
    long alices = sbatchAs("alice", "-p batch -o out-%j.txt --wrap 'id -un; id -u; echo made-by-alice > mine.txt'");
    long bobs = sbatchAs("bob", "-p batch -o out-%j.txt --wrap 'id -un; id -u'");
    // squeue names the users; accounting names their accounts.
    String queue = slurm.login("squeue", "-h", "-t", "all", "-o", "%i %u %a", "-j", alices + "," + bobs);
    assertThat(queue).contains(alices + " alice physics", bobs + " bob chemistry");
    await("both jobs COMPLETED").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.jobState(alices).equals("COMPLETED") && slurm.jobState(bobs).equals("COMPLETED"));
    assertThat(sacct(alices, "User,Account")).isEqualTo("alice|physics");
    assertThat(sacct(bobs, "User,Account")).isEqualTo("bob|chemistry");
    // The files are the users' own, in their homes on the shared /home.
    assertThat(slurm.login("cat", "/home/alice/out-" + alices + ".txt").lines()).containsExactly("alice", "2001");
    // (Debian's umask for a user with a group of their own is 002: files are 664, in a home of 700.)
    assertThat(slurm.login("stat", "-c", "%U %u %G %a", "/home/alice", "/home/alice/mine.txt", "/home/bob/out-" + bobs + ".txt")
        .lines()).containsExactly("alice 2001 alice 700", "alice 2001 alice 664", "bob 2002 bob 664");
  }

  @Test
  @Order(2)
  void aKeyLogsInOnlyItsOwnUserAndRootNotAtAll() throws Exception {
    assertThat(ssh("alice", "bob", "true").code()).as("alice with bob's key").isNotZero();
    assertThat(ssh("root", "alice", "true").code()).as("root with alice's key").isNotZero();
  }

  @Test
  @Order(3)
  void anUndeclaredUsersJobIsRefusedBySlurm() throws Exception {
    slurm.login("useradd", "-m", "-u", "3005", "mallory");
    var refused = slurm.exec(slurm.loginPod(), "su", "mallory", "-c", "sbatch -p batch --wrap true");
    System.out.println("sbatch of an undeclared user: " + refused.err().strip());
    assertThat(refused.code()).isNotZero();
    assertThat(refused.err()).contains("sbatch: error: Batch job submission failed:");
  }

  @Test
  @Order(4)
  void sshareShowsTheDeclaredThreeToOneShares() throws Exception {
    // root's own user association is a sibling of the accounts (share 1), so physics and chemistry
    // get 3/5 and 1/5 of root's: what is declared is their ratio.
    assertThat(shareRatio()).isCloseTo(3.0, org.assertj.core.data.Offset.offset(0.01));
  }

  /** physics' normalized share over chemistry's, as sshare shows them. */
  static double shareRatio() throws Exception {
    Map<String, String> shares = accountColumn("NormShares");
    System.out.println("sshare NormShares: " + shares);
    return Double.parseDouble(shares.get("physics")) / Double.parseDouble(shares.get("chemistry"));
  }

  /** One sshare column by account (the accounts' own lines, not their users'). */
  static Map<String, String> accountColumn(String column) throws Exception {
    Map<String, String> byAccount = new HashMap<>();
    for (String line : slurm.login("sshare", "-a", "-n", "-P", "-o", "Account,User," + column).strip().lines().toList()) {
      String[] parts = line.split("\\|", -1);
      if (parts[1].isEmpty()) {
        byAccount.put(parts[0].strip(), parts[2]);
      }
    }
    return byAccount;
  }

  @Test
  @Order(5)
  void afterChemistryUsedTheClusterAliceStartsFirstAlthoughSheSubmittedLater() throws Exception {
    // Chemistry uses the one-node set for a while; physics does not.
    long usage = sbatchAs("bob", "-p solo -o /dev/null --wrap 'sleep 45'");
    await("bob's usage job COMPLETED").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.jobState(usage).equals("COMPLETED"));
    await("chemistry's usage counted (PriorityCalcPeriod=1)").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(5))
        .until(() -> Double.parseDouble(accountColumn("RawUsage").getOrDefault("chemistry", "0")) > 0);
    Map<String, String> fairShare = accountColumn("FairShare");
    System.out.println("sshare FairShare after chemistry's usage: " + fairShare);

    // The node is busy; bob submits first, alice second, equal jobs.
    long blocker = slurm.sbatch("-p", "solo", "-o", "/dev/null", "--wrap", "sleep 20");
    await("the blocker RUNNING").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.queueState(blocker).equals("RUNNING"));
    long bobs = sbatchAs("bob", "-p solo -o /dev/null --wrap 'sleep 3'");
    long alices = sbatchAs("alice", "-p solo -o /dev/null --wrap 'sleep 3'");
    String sprio = slurm.login("sprio", "-h", "-n", "-o", "%i %u %F", "-j", bobs + "," + alices);
    System.out.println("sprio (job user normalized-fairshare):\n" + sprio);
    double bobFactor = factor(sprio, bobs);
    double aliceFactor = factor(sprio, alices);
    assertThat(aliceFactor).as("physics is below its share, chemistry above").isGreaterThan(bobFactor);

    await("both COMPLETED").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.jobState(bobs).equals("COMPLETED") && slurm.jobState(alices).equals("COMPLETED"));
    long aliceStart = java.time.LocalDateTime.parse(sacct(alices, "Start")).toEpochSecond(java.time.ZoneOffset.UTC);
    long bobStart = java.time.LocalDateTime.parse(sacct(bobs, "Start")).toEpochSecond(java.time.ZoneOffset.UTC);
    assertThat(aliceStart).as("alice's job (submitted second) started before bob's").isLessThan(bobStart);
  }

  static double factor(String sprio, long job) {
    return sprio.lines().map(String::strip).filter(l -> l.startsWith(job + " ")).findFirst()
        .map(l -> Double.parseDouble(l.split("\\s+")[2])).orElseThrow(() -> new AssertionError("no sprio line for " + job + ":\n" + sprio));
  }

  @Test
  @Order(6)
  void aMaxJobsLimitHoldsTheSecondJobAndTheNodeSetDoesNotScaleForIt() throws Exception {
    long first = sbatchAs("bob", "-p batch -o /dev/null --wrap 'sleep 60'");
    await("bob's first job RUNNING").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.queueState(first).equals("RUNNING"));
    int podsWithOneJob = slurm.nodePods().size();
    long second = sbatchAs("bob", "-p batch -o /dev/null --wrap 'sleep 5'");
    await("the second job waits for chemistry's MaxJobs=1").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.login("squeue", "-h", "-o", "%r", "-j", Long.toString(second)).strip().equals("AssocMaxJobsLimit"));
    await("the node set says a job waits for policy").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.nodeSet().getStatus().jobsWaitingForPolicy != null && slurm.nodeSet().getStatus().jobsWaitingForPolicy >= 1);
    // Twenty seconds more: the node set never grows for the held job (maxReplicas would allow it).
    for (int i = 0; i < 20; i++) {
      assertThat(slurm.nodeSet().getSpec().replicas).as("NodeSet replicas").isLessThanOrEqualTo(podsWithOneJob);
      assertThat(slurm.login("squeue", "-h", "-o", "%T", "-j", Long.toString(second)).strip()).isEqualTo("PENDING");
      Thread.sleep(1000);
    }
    System.out.println("NodeSet decision: " + slurm.nodeSet().getStatus().lastScaleDecision);
    slurm.login("scancel", Long.toString(first), Long.toString(second));
  }

  @Test
  @Order(7)
  void aHighQosJobRequeuesARunningLowQosJob() throws Exception {
    long low = sbatchAs("alice", "-p solo --qos=low -o /dev/null --wrap 'sleep 300'");
    await("the low-QOS job RUNNING").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .until(() -> slurm.queueState(low).equals("RUNNING"));
    long high = sbatchAs("bob", "-p solo --qos=high -o /dev/null --wrap 'sleep 5'");
    await("the high-QOS job RUNNING").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
        .until(() -> List.of("RUNNING", "COMPLETED").contains(slurm.queueState(high)));
    String preempted = slurm.login("scontrol", "show", "job", "-o", Long.toString(low));
    System.out.println("the low-QOS job after preemption: " + preempted);
    // Requeued, not cancelled: back to PENDING (or started again) with a restart counted.
    assertThat(preempted).containsPattern("JobState=(PENDING|RUNNING|REQUEUED)").contains("Restarts=1");
    slurm.login("scancel", Long.toString(low));
  }

  @Test
  @Order(8)
  void aFairShareChangedInKubernetesReachesSlurmWithoutRestartingSlurmctld() throws Exception {
    var clusters = client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName("teams");
    Conflicts.edit(clusters, c -> {
      c.getSpec().accounting.accounts.get(1).fairshare = 3;
      return c;
    });
    await("sshare shows physics and chemistry at 1:1").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(shareRatio()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.01)));
    Pod controller = controllerPod();
    assertThat(controller.getMetadata().getUid()).as("the same slurmctld pod").isEqualTo(controllerUid);
    assertThat(controller.getStatus().getContainerStatuses()).allSatisfy(s -> assertThat(s.getRestartCount()).isZero());
  }

  @Test
  @Order(9)
  void aRemovedUserLosesTheirAssociationAndLoginButKeepsTheirFiles() throws Exception {
    var clusters = client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName("teams");
    Conflicts.edit(clusters, c -> {
      c.getSpec().users.removeIf(u -> u.name.equals("bob"));
      return c;
    });
    await("bob's association is gone").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.login("sacctmgr", "-n", "-P", "show", "assoc", "user=bob", "format=User,Account").isBlank());
    // The kubelet refreshes the users' files within a minute or so; then bob is unknown on the pods.
    await("bob cannot log in").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(5))
        .until(() -> ssh("bob", "bob", "true").code() != 0);
    assertThat(slurm.exec(slurm.loginPod(), "id", "bob").code()).isNotZero();
    assertThat(slurm.login("stat", "-c", "%u", "/home/bob").strip()).as("bob's home stays, owned by his uid").isEqualTo("2002");
    assertThat(asUser("alice", "id -un").strip()).isEqualTo("alice");
    assertThat(slurm.slurmCluster().getStatus().accounting.createdUsers).containsExactly("alice");
  }
}
