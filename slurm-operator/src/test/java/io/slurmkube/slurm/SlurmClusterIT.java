package io.slurmkube.slurm;

import static io.slurmkube.slurm.SlurmTestCluster.CPU_NODE;
import static io.slurmkube.slurm.SlurmTestCluster.GPU_NODE;
import static io.slurmkube.slurm.SlurmTestCluster.awaitTrue;
import static io.slurmkube.slurm.SlurmTestCluster.exec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slurmkube.autoscale.NodeSetView;
import io.slurmkube.autoscale.QueueDemand;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Slurm images and the operator's Slurm client against real daemons: MariaDB, slurmdbd,
 * slurmctld, slurmrestd and two dynamic slurmd nodes, configured by {@code SlurmConfig.render}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlurmClusterIT {
  private static SlurmTestCluster cluster;
  private static SlurmClient slurm;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = new SlurmTestCluster("");
    slurm = cluster.client();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void clientSpeaksTheNewestApiTheReleaseServesAndPingsTheController() {
    // Asked of the server: 24.11 serves v0.0.40 to v0.0.42, 26.05 v0.0.42 to v0.0.45.
    String newest = SlurmTestCluster.RELEASE.equals("24.11") ? "v0.0.42" : "v0.0.45";
    assertThat(slurm.apiVersion()).isEqualTo(newest);
    assertThat(cluster.servedClients()).extracting(SlurmClient::apiVersion).first().isEqualTo(newest);
    Ping ping = slurm.ping();
    assertThat(ping.responding()).isTrue();
    assertThat(ping.controller()).isEqualTo("slurmctld");
    assertThat(ping.mode()).isEqualTo("primary");
    assertThat(ping.slurmVersion()).startsWith(SlurmTestCluster.RELEASE + ".");
  }

  @Test
  @Order(2)
  void dynamicNodesRegisterWithTheirNodeSetFeatureAndGpus() {
    List<SlurmNode> nodes = slurm.nodes();
    // The FUTURE placeholders the entrypoint created are not nodes anyone should act on.
    assertThat(nodes).extracting(SlurmNode::name).containsExactlyInAnyOrder(CPU_NODE, GPU_NODE);
    SlurmNode cpu = node(CPU_NODE);
    assertThat(cpu.isDynamic()).isTrue();
    assertThat(cpu.isIdle()).isTrue();
    assertThat(cpu.features()).containsExactly("cpu");
    assertThat(cpu.cpus()).isEqualTo(2);
    assertThat(cpu.memoryMiB()).isEqualTo(1024);
    assertThat(cpu.gpus()).isZero();
    SlurmNode gpu = node(GPU_NODE);
    assertThat(gpu.features()).containsExactly("gpu");
    assertThat(gpu.gres()).isEqualTo("gpu:2");
    assertThat(gpu.gpus()).isEqualTo(2);
    assertThat(gpu.gpusUsed()).isZero();
    // What a person would check: sinfo agrees.
    assertThat(exec(cluster.controller, "sinfo", "-N", "-h", "-o", "%N %f %G"))
        .contains(CPU_NODE + " cpu (null)").contains(GPU_NODE + " gpu gpu:2");
  }

  @Test
  @Order(3)
  void sbatchFromTheLoginPodCompletesAndAccountingShowsIt() {
    // The login image has no slurm.conf: sackd fetches it from slurmctld and signs for sbatch.
    assertThat(exec(cluster.login, "sinfo", "-h", "-o", "%P %a")).contains("batch* up");
    String id = exec(cluster.login, "sbatch", "--parsable", "--wrap", "hostname").strip();
    awaitTrue("job " + id + " is COMPLETED in sacct", Duration.ofSeconds(90), () ->
        exec(cluster.controller, "sacct", "-n", "-X", "-P", "-j", id, "-o", "State").strip().equals("COMPLETED"));
    String record = exec(cluster.login, "sacct", "-n", "-X", "-P", "-j", id, "-o", "JobID,JobName,Partition,State,ExitCode,NodeList");
    assertThat(record.strip()).startsWith(id + "|wrap|batch|COMPLETED|0:0|demo-");
  }

  @Test
  @Order(4)
  void jobSubmittedThroughTheClientRunsOnAGpuNode() {
    long id = slurm.submitJob(JobSubmission.of("client-gpu", "#!/bin/sh\necho GPUS=$CUDA_VISIBLE_DEVICES\n")
        .withGpusPerNode(2));
    awaitTrue("job " + id + " is COMPLETED", Duration.ofSeconds(90), () ->
        exec(cluster.controller, "sacct", "-n", "-X", "-P", "-j", Long.toString(id), "-o", "State").strip().equals("COMPLETED"));
    assertThat(exec(cluster.controller, "sacct", "-n", "-X", "-P", "-j", Long.toString(id), "-o", "User,NodeList,AllocTRES"))
        .contains("slurm|" + GPU_NODE + "|").contains("gres/gpu=2");
    assertThat(exec(cluster.gpuNode, "cat", "/tmp/slurm-" + id + ".out").strip()).isEqualTo("GPUS=0,1");
  }

  @Test
  @Order(5)
  void aPendingArrayIsSeenWithTheNumberOfItsTasks() {
    String array = exec(cluster.controller, "sbatch", "--parsable", "--array=0-7", "--begin=now+1hour", "-J", "array-of-8",
        "--wrap", "sleep 1").strip();
    String throttled = exec(cluster.controller, "sbatch", "--parsable", "--array=0-99%3", "--begin=now+1hour", "-J", "array-max-3",
        "--wrap", "sleep 1").strip();
    try {
      awaitTrue("both arrays are listed", Duration.ofSeconds(30), () -> slurm.activeJobs().stream()
          .filter(j -> j.name().startsWith("array-")).count() == 2);
      assertThat(job(Long.parseLong(array)).pendingTasks()).isEqualTo(8);
      assertThat(job(Long.parseLong(throttled)).pendingTasks()).isEqualTo(3);
    } finally {
      exec(cluster.controller, "scancel", array, throttled);
    }
  }

  @Test
  @Order(5)
  void pendingJobsAreSeenWithWhatTheyAskFor() {
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    // Two GPU nodes with a GPU each: only one GPU node runs, so it waits for the node set to grow.
    long gpuJob = slurm.submitJob(JobSubmission.of("wants-two-gpu-nodes", "#!/bin/sh\nsleep 1\n")
        .withNodes(2).withCpusPerTask(2).withGpusPerNode(1));
    // Four nodes of the cpu node set, submitted with sbatch as a user would.
    String cpuJob = exec(cluster.controller, "sbatch", "--parsable", "-N", "4", "-C", "cpu", "-J", "wants-four-cpu-nodes",
        "--wrap", "sleep 1").strip();
    try {
      awaitTrue("both jobs are pending with a reason", Duration.ofSeconds(30), () -> {
        List<SlurmJob> pending = slurm.activeJobs().stream().filter(SlurmJob::isPending).toList();
        return pending.size() == 2 && pending.stream().noneMatch(j -> j.reason().equals("None"));
      });
      SlurmJob gpu = job(gpuJob);
      assertThat(gpu.name()).isEqualTo("wants-two-gpu-nodes");
      assertThat(gpu.partition()).isEqualTo("batch");
      assertThat(gpu.nodes()).isEqualTo(2);
      assertThat(gpu.cpus()).isEqualTo(4);
      assertThat(gpu.gpus()).isEqualTo(2);
      assertThat(gpu.user()).isEqualTo("slurm");
      assertThat(gpu.reason()).isIn("ReqNodeNotAvail", "Resources", "Priority");
      assertThat(gpu.submitTime()).isBetween(before, Instant.now());
      SlurmJob cpu = job(Long.parseLong(cpuJob));
      assertThat(cpu.nodes()).isEqualTo(4);
      assertThat(cpu.cpus()).isEqualTo(4);
      assertThat(cpu.gpus()).isZero();
      assertThat(cpu.features()).isEqualTo("cpu");
      assertThat(cpu.user()).isEqualTo("root");
      assertThat(cpu.nodeList()).isEmpty();
      // From 25.11 slurmctld counts them itself, on its own port (MetricsType=metrics/openmetrics).
      if (SlurmTestCluster.release().servesOpenMetrics()) {
        String metrics = exec(cluster.controller, "curl", "-sf", "http://localhost:6817/metrics/partitions");
        assertThat(metrics).as(metrics).containsPattern("(?m)^slurm_partition_jobs_pending\\{partition=\"batch\"\\} 2$");
      }
    } finally {
      exec(cluster.controller, "scancel", Long.toString(gpuJob), cpuJob);
    }
  }

  /**
   * Jobs that Slurm will not start yet, whatever nodes there are, add no demand, even in the moment
   * after a submit or requeue when their reason may still be "None" (the requeued job's is: it is
   * PENDING and COMPLETING, and gets its delay only after that); an ordinary pending job does.
   */
  @Test
  @Order(5)
  void jobsThatCannotStartYetAreNotDemandWhileAnOrdinaryPendingJobIs() {
    String running = exec(cluster.controller, "sbatch", "--parsable", "-w", CPU_NODE, "-J", "running", "--wrap", "sleep 300").strip();
    String requeued = exec(cluster.controller, "sbatch", "--parsable", "--requeue", "-w", GPU_NODE, "-J", "requeued",
        "--wrap", "sleep 300").strip();
    List<String> ids = new java.util.ArrayList<>(List.of(running, requeued));
    try {
      awaitTrue("both jobs run", Duration.ofSeconds(60), () -> exec(cluster.controller, "squeue", "-h", "-o", "%T", "-j",
          running + "," + requeued).strip().equals("RUNNING\nRUNNING"));
      Instant submitted = Instant.now();
      String later = exec(cluster.controller, "sbatch", "--parsable", "--begin=now+300", "-J", "later", "--wrap", "sleep 1").strip();
      String dependent = exec(cluster.controller, "sbatch", "--parsable", "--dependency=afterok:" + running, "-J", "dependent",
          "--wrap", "sleep 1").strip();
      String held = exec(cluster.controller, "sbatch", "--parsable", "-H", "-J", "held", "--wrap", "sleep 1").strip();
      String ordinary = exec(cluster.controller, "sbatch", "--parsable", "-N", "4", "-C", "cpu", "-J", "ordinary",
          "--wrap", "sleep 1").strip();
      ids.addAll(List.of(later, dependent, held, ordinary));
      exec(cluster.controller, "scontrol", "requeue", requeued);
      // The cpu node set as the autoscaler sees it: it can run every one of these jobs.
      var cpu = new NodeSetView("cpu", Set.of("batch"), Set.of("cpu"), 2, 0, 0, 4, 1, 1, List.of());
      // From the first listing after the requeue until the requeue's delay has shown up.
      Instant until = Instant.now().plusSeconds(15);
      boolean sawRequeueDelay = false;
      while (Instant.now().isBefore(until) || !sawRequeueDelay) {
        List<SlurmJob> jobs = slurm.activeJobs();
        Instant now = Instant.now();
        assertThat(QueueDemand.eligible(cpu, jobs, now)).as("demand among %s", jobs)
            .extracting(j -> Long.toString(j.id())).containsExactly(ordinary);
        assertThat(QueueDemand.nodesWanted(cpu, jobs, now)).isEqualTo(4);
        SlurmJob again = jobs.stream().filter(j -> j.id() == Long.parseLong(requeued)).findFirst().orElseThrow();
        assertThat(again.isPending()).as("requeued job %s", again).isTrue();
        sawRequeueDelay = again.start().eligibleTime() != null && again.start().eligibleTime().isAfter(now.plusSeconds(60));
        assertThat(Instant.now()).as("the requeued job gets a start delay").isBefore(until.plusSeconds(30));
      }
      // What each was held back by, as slurmrestd reports it.
      assertThat(job(Long.parseLong(later)).start().eligibleTime())
          .isBetween(submitted.plusSeconds(290), submitted.plusSeconds(310));
      assertThat(job(Long.parseLong(dependent)).start().dependency()).startsWith("afterok:" + running);
      assertThat(job(Long.parseLong(held)).start().held()).isTrue();
      SlurmJob.StartConditions free = job(Long.parseLong(ordinary)).start();
      assertThat(free.dependency()).isEmpty();
      assertThat(free.held()).isFalse();
      assertThat(free.eligibleTime()).isBeforeOrEqualTo(Instant.now());
      // Every API version the server serves reads these jobs and the nodes the same: no behaviour
      // of the operator depends on which one it speaks.
      Set<Long> settled = Set.of(Long.parseLong(running), Long.parseLong(later), Long.parseLong(dependent),
          Long.parseLong(held), Long.parseLong(ordinary));
      List<SlurmJob> reference = slurm.jobs().stream().filter(j -> settled.contains(j.id())).toList();
      List<SlurmNode> referenceNodes = slurm.nodes();
      assertThat(reference).hasSize(5);
      List<SlurmClient> served = cluster.servedClients();
      assertThat(served).hasSizeGreaterThanOrEqualTo(SlurmTestCluster.RELEASE.equals("24.11") ? 1 : 4);
      for (SlurmClient other : served) {
        assertThat(other.jobs().stream().filter(j -> settled.contains(j.id())).toList()).as(other.apiVersion())
            .containsExactlyInAnyOrderElementsOf(reference);
        assertThat(other.nodes()).as(other.apiVersion()).containsExactlyInAnyOrderElementsOf(referenceNodes);
        Ping ping = other.ping();
        assertThat(List.of(ping.controller(), ping.mode(), ping.slurmVersion(), ping.responding())).as(other.apiVersion())
            .isEqualTo(List.of("slurmctld", "primary", slurm.ping().slurmVersion(), true));
      }
    } finally {
      List<String> scancel = new java.util.ArrayList<>(List.of("scancel"));
      scancel.addAll(ids);
      exec(cluster.controller, scancel.toArray(String[]::new));
      awaitTrue("both nodes are idle again", Duration.ofSeconds(60),
          () -> cluster.sinfo().contains(CPU_NODE + " idle") && cluster.sinfo().contains(GPU_NODE + " idle"));
    }
  }

  @Test
  @Order(6)
  void drainsANodeWithAReasonAndResumesIt() {
    slurm.drainNode(CPU_NODE, "slurmkube: scale-down test");
    SlurmNode drained = node(CPU_NODE);
    assertThat(drained.isDrainFlagged()).isTrue();
    assertThat(drained.isDrained()).isTrue();
    assertThat(drained.reason()).isEqualTo("slurmkube: scale-down test");
    assertThat(drained.reasonSetBy()).isEqualTo("slurm");
    assertThat(exec(cluster.controller, "sinfo", "-R", "-h", "-o", "%n|%E")).contains(CPU_NODE + "|slurmkube: scale-down test");

    slurm.resumeNode(CPU_NODE, "slurmkube: test done");
    SlurmNode resumed = node(CPU_NODE);
    assertThat(resumed.isDrainFlagged()).isFalse();
    assertThat(resumed.isIdle()).isTrue();
    assertThat(exec(cluster.controller, "sinfo", "-N", "-h", "-o", "%N %T")).contains(CPU_NODE + " idle");
  }

  @Test
  @Order(7)
  void refusesToDeleteABusyNode() {
    String id = exec(cluster.controller, "sbatch", "--parsable", "-w", GPU_NODE, "--wrap", "sleep 300").strip();
    try {
      awaitTrue("job " + id + " runs on " + GPU_NODE, Duration.ofSeconds(60), () -> node(GPU_NODE).isBusy());
      assertThatThrownBy(() -> slurm.deleteNode(GPU_NODE))
          .isInstanceOf(SlurmNodeBusyException.class)
          .hasMessageContaining(GPU_NODE)
          .satisfies(e -> assertThat(((SlurmNodeBusyException) e).node()).isEqualTo(GPU_NODE));
      assertThat(slurm.nodes()).extracting(SlurmNode::name).contains(GPU_NODE);
      assertThat(exec(cluster.controller, "squeue", "-h", "-j", id, "-o", "%T")).contains("RUNNING");
    } finally {
      exec(cluster.controller, "scancel", id);
    }
  }

  @Test
  @Order(8)
  void stoppedSlurmdMarksItsNodeDownAndTheIdleRecordIsDeleted() {
    slurm.drainNode(CPU_NODE, "slurmkube: removing pod " + CPU_NODE);
    // SIGTERM, as Kubernetes sends it: the entrypoint tells slurmctld before slurmd exits.
    cluster.cpuNode.getDockerClient().stopContainerCmd(cluster.cpuNode.getContainerId()).withTimeout(30).exec();
    SlurmNode stopped = node(CPU_NODE);
    assertThat(stopped.isDown()).as("state %s", stopped.states()).isTrue();
    assertThat(stopped.reason()).isEqualTo("slurmkube: pod " + CPU_NODE + " is stopping");
    assertThat(cluster.cpuNode.getLogs()).contains("marking " + CPU_NODE + " DOWN");

    slurm.deleteNode(CPU_NODE);
    assertThat(slurm.nodes()).extracting(SlurmNode::name).containsExactly(GPU_NODE);
    assertThat(cluster.sinfo()).doesNotContain(CPU_NODE);
  }

  @Test
  @Order(9)
  void deletingAnUnknownNodeIsARequestError() {
    assertThatThrownBy(() -> slurm.deleteNode("no-such-node"))
        .isExactlyInstanceOf(SlurmRequestException.class)
        .hasMessageContaining("Invalid node name specified");
  }

  @Test
  @Order(10)
  void aTokenSignedWithAnotherKeyGetsTheAuthError() {
    SlurmClient stranger = cluster.clientWithWrongKey();
    assertThatThrownBy(stranger::jobs).isInstanceOf(SlurmAuthException.class).hasMessageContaining("token was refused");
    assertThatThrownBy(stranger::nodes).isInstanceOf(SlurmAuthException.class);
    assertThatThrownBy(() -> stranger.drainNode(GPU_NODE, "should not happen")).isInstanceOf(SlurmAuthException.class);
    assertThat(node(GPU_NODE).isDrainFlagged()).isFalse();
  }

  @Test
  @Order(11)
  void nodeSetBoundsChangeWithoutRestartingSlurmctld() throws Exception {
    // The cpu node set has no node left (Order 8 deleted it): its FUTURE placeholders alone decide.
    assertThat(placeholders("cpu")).isEqualTo("demo-cpu-future-[0-3]");
    var docker = cluster.controller.getDockerClient();
    var before = docker.inspectContainerCmd(cluster.controller.getContainerId()).exec();
    String[] sixCpuNodes = {"sbatch", "--parsable", "-N", "6", "-C", "cpu", "--wrap", "sleep 1"};
    assertThat(refusal(sixCpuNodes)).contains("Requested node configuration is not available");

    var spec = SlurmTestCluster.spec();
    String slurmConf = java.nio.file.Files.readString(configFile("slurm.conf"));
    try {
      spec.nodeSets.get(0).maxReplicas = 6;
      cluster.rewriteConfig(spec);
      // Only the placeholder file moved: nothing for a restart or a reconfigure.
      assertThat(java.nio.file.Files.readString(configFile("slurm.conf"))).isEqualTo(slurmConf);
      awaitTrue("six cpu placeholders", Duration.ofSeconds(30), () -> placeholders("cpu").equals("demo-cpu-future-[0-5]"));
      String id = exec(cluster.controller, sixCpuNodes).strip();
      exec(cluster.controller, "scancel", id);
      assertThat(cluster.controller.getLogs()).contains("created demo-cpu-future-[4-5]; deleted none");
      // Placeholders are no nodes of anyone's: the client leaves them out.
      assertThat(slurm.nodes()).extracting(SlurmNode::name).containsExactly(GPU_NODE);

      spec.nodeSets.get(0).maxReplicas = 2;
      cluster.rewriteConfig(spec);
      awaitTrue("two cpu placeholders", Duration.ofSeconds(30), () -> placeholders("cpu").equals("demo-cpu-future-[0-1]"));
      assertThat(refusal("sbatch", "-N", "3", "-C", "cpu", "--wrap", "sleep 1"))
          .contains("Requested node configuration is not available");
      assertThat(cluster.controller.getLogs()).contains("created none; deleted demo-cpu-future-[2-5]");
    } finally {
      cluster.rewriteConfig(SlurmTestCluster.spec());
      awaitTrue("four cpu placeholders again", Duration.ofSeconds(30), () -> placeholders("cpu").equals("demo-cpu-future-[0-3]"));
    }
    // The same slurmctld all along: not restarted, not even re-executed by a reconfigure.
    var after = docker.inspectContainerCmd(cluster.controller.getContainerId()).exec();
    assertThat(after.getState().getStartedAt()).isEqualTo(before.getState().getStartedAt());
    assertThat(after.getRestartCount()).isEqualTo(before.getRestartCount());
    assertThat(cluster.controller.getLogs().lines().filter(l -> l.matches(".*slurmctld version .* started.*")).count())
        .isEqualTo(1);
  }

  /** A node set's FUTURE records, as one host list. */
  private static String placeholders(String nodeSet) {
    String names = exec(cluster.controller, "scontrol", "-o", "show", "nodes", "--future").lines()
        .map(line -> line.replaceFirst("^NodeName=(\\S+).*", "$1"))
        .filter(name -> name.startsWith(SlurmTestCluster.CLUSTER + "-" + nodeSet + "-future-"))
        .collect(java.util.stream.Collectors.joining(","));
    return names.isEmpty() ? "" : exec(cluster.controller, "scontrol", "show", "hostlist", names).strip();
  }

  /**
   * Last: tini, root with only the capabilities of slurmctld's container, forwards the stop
   * signal to slurmctld, which runs as the slurm user: that takes CAP_KILL, and slurmctld saves
   * its state on it (without it, only the kill after the grace period would end it).
   */
  @Test
  @Order(99)
  void slurmctldGetsTheStopSignalAndSavesItsState() {
    org.testcontainers.DockerClientFactory.instance().client()
        .stopContainerCmd(cluster.controller.getContainerId()).withTimeout(30).exec();
    assertThat(SlurmTestCluster.logs(cluster.controller)).contains("Saving all slurm state");
  }

  /** What sbatch says when it refuses the job; fails the test if it accepted it. */
  private static String refusal(String... sbatch) throws Exception {
    var result = cluster.controller.execInContainer(sbatch);
    if (result.getExitCode() == 0) {
      exec(cluster.controller, "scancel", result.getStdout().strip());
      throw new AssertionError(String.join(" ", sbatch) + " was accepted: " + result.getStdout());
    }
    return result.getStderr();
  }

  private static java.nio.file.Path configFile(String name) {
    return cluster.configDir().resolve(name);
  }

  private static SlurmNode node(String name) {
    return slurm.nodes().stream().filter(n -> n.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no node " + name + " in " + slurm.nodes()));
  }

  private static SlurmJob job(long id) {
    return slurm.jobs().stream().filter(j -> j.id() == id).findFirst()
        .orElseThrow(() -> new AssertionError("no job " + id));
  }
}
