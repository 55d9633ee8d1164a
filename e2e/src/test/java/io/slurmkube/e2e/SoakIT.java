package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.PodTemplate;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.testing.Conflicts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A chaos soak through the chart: a steady stream of jobs of random length while randomized
 * disruptions hit the cluster (scale up and down, the operator, slurmctld and slurmrestd pods
 * killed, a node-set image change, evictions of slurmd pods, the Kubernetes node cordoned and
 * uncordoned). It counts jobs submitted, completed, killed by the system and requeued, and after
 * the cluster settles the orphans: slurmd pods without a Slurm node record and node records without
 * a pod. It fails on any job killed or never ended and on any orphan; requeued jobs (stopped and
 * started again by Slurm, then COMPLETED) are counted and reported with what slurmctld logged
 * about them and when each disruption began.
 *
 * <p>CI runs it short (20 disruptions); {@code bench/soak.sh} runs it long with
 * {@code -Dsoak.disruptions=N -Dsoak.results=FILE} and keeps the figures.
 */
class SoakIT {
  static final String NAMESPACE = "e2e-soak";
  static final String CLUSTER = "soak";
  static final String OPERATOR_NAMESPACE = "slurmkube-system";
  static final String OTHER_IMAGE = "slurmkube.local/slurmd-mpi:26.05";
  static final Set<String> FINAL = Set.of("COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
      "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY");
  static final Pattern JOB_LINE = Pattern.compile("JobId=(\\d+) .*?JobState=(\\S+) .*?Restarts=(\\d+)");

  final int disruptions = Integer.getInteger("soak.disruptions", 20);
  final long seed = Long.getLong("soak.seed", System.nanoTime());
  final Duration disruptEvery = Duration.ofSeconds(Integer.getInteger("soak.disruptEverySeconds", 8));
  final Duration submitEvery = Duration.ofMillis(Integer.getInteger("soak.submitEveryMillis", 3000));
  final int longestJobSeconds = Integer.getInteger("soak.longestJobSeconds", 20);

  static KubernetesClient client;
  static SlurmOnKubernetes slurm;

  enum Disruption { SCALE, KILL_OPERATOR, KILL_SLURMCTLD, KILL_SLURMRESTD, CHANGE_IMAGE, EVICT_SLURMD, CORDON_NODE }

  /** What slurmctld last said about each submitted job; kept after it forgets the job. */
  record Seen(String state, int restarts) {}

  final Map<Long, Seen> jobs = new ConcurrentHashMap<>();
  final AtomicInteger submitFailures = new AtomicInteger();
  final AtomicInteger runningNow = new AtomicInteger();
  final AtomicBoolean submitting = new AtomicBoolean(true);
  final Map<Disruption, Integer> done = new EnumMap<>(Disruption.class);
  /** When each disruption began, for reading a requeue against them. */
  final List<String> timeline = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** What slurmctld logged about each requeued job, taken when the requeue was first seen. */
  final Map<Long, String> requeueLog = new ConcurrentHashMap<>();
  int disruptionsWhileJobsRan;
  int evictionsAccepted;
  int evictionsRefused;

  @BeforeAll
  static void installAndCreateCluster() throws Exception {
    client = LocalCluster.client();
    SlurmOnKubernetes.installOperator();
    slurm = new SlurmOnKubernetes(client, NAMESPACE, CLUSTER, "cpu");
    slurm.createReady("/soak-cluster.yaml");
  }

  @AfterAll
  static void cleanUp() {
    if (client != null) {
      LocalCluster.uncordonAll(client);
      client.namespaces().withName(NAMESPACE).delete();
      client.close();
    }
  }

  @Test
  void noJobIsKilledAndNothingIsOrphanedWhileTheClusterIsDisrupted() throws Exception {
    Instant start = Instant.now();
    Random random = new Random(seed);
    List<Disruption> order = new java.util.ArrayList<>();
    Thread submitter = new Thread(() -> submitJobs(new Random(seed + 1)), "soak-submitter");
    Thread observer = new Thread(this::observeJobs, "soak-observer");
    submitter.start();
    observer.start();
    try {
      for (int i = 0; i < disruptions; i++) {
        Thread.sleep(disruptEvery.toMillis());
        if (order.isEmpty()) {
          // Every kind once per round, in a random order: a short run still meets each of them.
          order.addAll(List.of(Disruption.values()));
          java.util.Collections.shuffle(order, random);
        }
        Disruption kind = order.remove(0);
        if (runningNow.get() > 0) {
          disruptionsWhileJobsRan++;
        }
        System.out.printf("soak: disruption %d/%d %s (%d job(s) running)%n", i + 1, disruptions, kind, runningNow.get());
        timeline.add(Instant.now() + " " + kind);
        disrupt(kind, random);
        done.merge(kind, 1, Integer::sum);
      }
    } finally {
      submitting.set(false);
      submitter.join();
      LocalCluster.uncordonAll(client);
    }
    try {
      await("every submitted job has ended").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(5))
          .until(() -> jobs.values().stream().allMatch(s -> FINAL.contains(s.state())));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // reported below: a job that never ends is lost as surely as a killed one
    }
    observer.interrupt();
    observer.join();

    Orphans orphans = settledOrphans();
    long completed = jobs.values().stream().filter(s -> s.state().equals("COMPLETED")).count();
    List<String> killed = jobs.entrySet().stream()
        .filter(e -> FINAL.contains(e.getValue().state()) && !e.getValue().state().equals("COMPLETED"))
        .map(e -> e.getKey() + " " + e.getValue().state()).sorted().toList();
    List<Long> unfinished = jobs.entrySet().stream().filter(e -> !FINAL.contains(e.getValue().state()))
        .map(Map.Entry::getKey).sorted().toList();
    List<Long> requeued = jobs.entrySet().stream().filter(e -> e.getValue().restarts() > 0).map(Map.Entry::getKey).sorted().toList();
    String report = report(start, completed, killed, requeued, unfinished, orphans);
    System.out.println(report);
    String resultsFile = System.getProperty("soak.results", "");
    if (!resultsFile.isBlank()) {
      Files.writeString(Path.of(resultsFile), report);
    }

    assertThat(jobs).as("jobs submitted").hasSizeGreaterThan(disruptions);
    assertThat(killed).as("jobs killed by the system").isEmpty();
    assertThat(unfinished).as("jobs that never ended (10 min after the last disruption)").isEmpty();
    assertThat(orphans.pods()).as("slurmd pods without a Slurm node").isEmpty();
    assertThat(orphans.nodes()).as("Slurm node records without a pod").isEmpty();
  }

  // ---------------------------------------------------------------- jobs

  void submitJobs(Random random) {
    while (submitting.get()) {
      int seconds = 1 + random.nextInt(longestJobSeconds);
      try {
        long id = slurm.sbatch("-p", "cpu", "-J", "soak", "--wrap", "sleep " + seconds);
        jobs.putIfAbsent(id, new Seen("PENDING", 0));
      } catch (Exception e) {
        // slurmctld restarting: sbatch says it cannot reach the controller. Not a job lost: the user is told.
        submitFailures.incrementAndGet();
      }
      sleep(submitEvery);
    }
  }

  /** Follows every job slurmctld lists; a job's last state is kept when slurmctld later forgets it. */
  void observeJobs() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        int running = 0;
        for (String line : slurm.login("scontrol", "show", "job", "-o").lines().toList()) {
          Matcher m = JOB_LINE.matcher(line);
          if (m.find()) {
            long id = Long.parseLong(m.group(1));
            int restarts = Integer.parseInt(m.group(3));
            jobs.put(id, new Seen(m.group(2), restarts));
            if (restarts > 0 && !requeueLog.containsKey(id)) {
              requeueLog.put(id, Instant.now() + " seen requeued; slurmctld: " + controllerLogAbout(id));
            }
            running += m.group(2).equals("RUNNING") ? 1 : 0;
          }
        }
        runningNow.set(running);
      } catch (Exception e) {
        // slurmctld or the login pod is being restarted: look again shortly.
      }
      if (!sleep(Duration.ofSeconds(2))) {
        return;
      }
    }
  }

  /** slurmctld's log lines that name the job (its current container only). */
  String controllerLogAbout(long id) {
    try {
      String log = client.pods().inNamespace(NAMESPACE).withName(CLUSTER + "-controller-0").inContainer("slurmctld").getLog();
      Pattern named = Pattern.compile("JobId=" + id + "\\b");
      return log.lines().filter(l -> named.matcher(l).find()).reduce((a, b) -> a + " | " + b).orElse("(nothing logged)");
    } catch (Exception e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /** A pod's phase, deletion and container states, or that it does not exist (terminating pods included). */
  String podState(String name) {
    Pod pod = client.pods().inNamespace(NAMESPACE).withName(name).get();
    if (pod == null) {
      return "none";
    }
    return "phase " + pod.getStatus().getPhase() + ", deletionTimestamp " + pod.getMetadata().getDeletionTimestamp()
        + ", containers " + pod.getStatus().getContainerStatuses().stream()
            .map(c -> c.getName() + "=" + c.getState()).toList();
  }

  /** What slurmctld holds about a node, on one line. */
  String slurmNodeRecord(String node) {
    try {
      return slurm.login("scontrol", "show", "node", "-o", node).strip();
    } catch (Exception e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  /**
   * The running operator's log lines that name the node, or say a pass failed (its current container
   * only; the last 40).
   */
  String operatorLogAbout(String node) {
    try {
      Pattern named = Pattern.compile("\\b" + Pattern.quote(node) + "\\b|Exhausted retries|Uncaught error");
      var out = new StringBuilder();
      for (Pod pod : client.pods().inNamespace(OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/name", "slurmkube-operator")
          .list().getItems()) {
        List<String> lines = client.pods().inNamespace(OPERATOR_NAMESPACE).withName(pod.getMetadata().getName()).getLog()
            .lines().filter(l -> named.matcher(l).find()).toList();
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> out.append("  ").append(l).append('\n'));
      }
      return out.length() == 0 ? "  (nothing logged)\n" : out.toString();
    } catch (Exception e) {
      return "  (log unreadable: " + e.getMessage() + ")\n";
    }
  }

  // ---------------------------------------------------------------- disruptions

  void disrupt(Disruption kind, Random random) throws Exception {
    switch (kind) {
      case SCALE -> {
        int min = random.nextInt(4);
        Conflicts.edit(cluster(), c -> {
          c.getSpec().nodeSets.get(0).minReplicas = min;
          return c;
        });
      }
      case KILL_OPERATOR -> client.pods().inNamespace(OPERATOR_NAMESPACE)
          .withLabel("app.kubernetes.io/name", "slurmkube-operator").delete();
      case KILL_SLURMCTLD -> client.pods().inNamespace(NAMESPACE).withName(CLUSTER + "-controller-0").delete();
      case KILL_SLURMRESTD -> client.pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/component", "restapi").delete();
      case CHANGE_IMAGE -> Conflicts.edit(cluster(), c -> {
        var nodeSet = c.getSpec().nodeSets.get(0);
        boolean other = nodeSet.template != null && OTHER_IMAGE.equals(nodeSet.template.spec.image);
        nodeSet.template = new PodTemplate();
        nodeSet.template.spec.image = other ? null : OTHER_IMAGE;
        return c;
      });
      case EVICT_SLURMD -> {
        List<Pod> pods = slurm.nodePods();
        if (!pods.isEmpty()) {
          String pod = pods.get(random.nextInt(pods.size())).getMetadata().getName();
          if (slurm.evict(pod) == null) {
            evictionsAccepted++;
            // An accepted eviction stops a pod: say which, to read a requeue against it.
            timeline.add(Instant.now() + "   eviction of " + pod + " accepted");
          } else {
            evictionsRefused++;
          }
        }
      }
      case CORDON_NODE -> {
        String node = client.nodes().list().getItems().get(random.nextInt(client.nodes().list().getItems().size()))
            .getMetadata().getName();
        client.nodes().withName(node).edit(n -> {
          n.getSpec().setUnschedulable(true);
          return n;
        });
        sleep(disruptEvery.multipliedBy(2));
        LocalCluster.uncordonAll(client);
      }
    }
  }

  io.fabric8.kubernetes.client.dsl.Resource<SlurmCluster> cluster() {
    return client.resources(SlurmCluster.class).inNamespace(NAMESPACE).withName(CLUSTER);
  }

  // ---------------------------------------------------------------- orphans

  record Orphans(Set<String> pods, Set<String> nodes, Duration settledIn) {}

  /**
   * Once the disruptions stop, the slurmd pods and the Slurm node records of the node set must come
   * to match one to one; what still does not after three minutes is an orphan.
   */
  Orphans settledOrphans() {
    Instant from = Instant.now();
    Orphans[] last = {null};
    try {
      await("slurmd pods and Slurm nodes match").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(3))
          .until(() -> {
            last[0] = orphansNow(from);
            return last[0].pods().isEmpty() && last[0].nodes().isEmpty();
          });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // reported below with what is still unmatched
    }
    return last[0] == null ? new Orphans(Set.of("(cluster unreadable)"), Set.of(), Duration.ZERO) : last[0];
  }

  Orphans orphansNow(Instant from) throws Exception {
    Set<String> pods = new TreeSet<>();
    for (Pod p : slurm.nodePods()) {
      pods.add(p.getMetadata().getName());
    }
    String prefix = CLUSTER + "-cpu-";
    Set<String> nodes = new TreeSet<>(slurm.login("sinfo", "-N", "-h", "-o", "%N").lines().map(String::strip)
        .filter(n -> n.startsWith(prefix) && !n.startsWith(prefix + "future-")).toList());
    Set<String> podsWithoutNode = new TreeSet<>(pods);
    podsWithoutNode.removeAll(nodes);
    Set<String> nodesWithoutPod = new TreeSet<>(nodes);
    nodesWithoutPod.removeAll(pods);
    return new Orphans(podsWithoutNode, nodesWithoutPod, Duration.between(from, Instant.now()));
  }

  String report(Instant start, long completed, List<String> killed, List<Long> requeued, List<Long> unfinished,
      Orphans orphans) {
    var out = new StringBuilder();
    out.append("# Chaos soak (e2e/src/test/java/io/slurmkube/e2e/SoakIT.java), ").append(Instant.now()).append('\n');
    out.append("seed                      ").append(seed).append('\n');
    out.append("duration                  ").append(Duration.between(start, Instant.now()).toSeconds()).append(" s\n");
    out.append("disruptions               ").append(done.values().stream().mapToInt(Integer::intValue).sum())
        .append(" (every ").append(disruptEvery.toSeconds()).append(" s; ").append(disruptionsWhileJobsRan)
        .append(" while jobs ran)\n");
    done.forEach((kind, count) -> out.append("  ").append(String.format("%-24s", kind.name().toLowerCase())).append(count).append('\n'));
    out.append("evictions accepted/refused ").append(evictionsAccepted).append('/').append(evictionsRefused).append('\n');
    out.append("jobs submitted            ").append(jobs.size()).append(" (sleep 1-").append(longestJobSeconds)
        .append(" s, one every ").append(submitEvery.toMillis()).append(" ms)\n");
    out.append("submissions refused       ").append(submitFailures.get()).append(" (sbatch could not reach slurmctld)\n");
    out.append("jobs completed            ").append(completed).append('\n');
    out.append("jobs killed by the system ").append(killed.size()).append(killed.isEmpty() ? "" : " " + killed).append('\n');
    out.append("jobs requeued             ").append(requeued.size()).append(requeued.isEmpty() ? "" : " " + requeued).append('\n');
    out.append("jobs never ended          ").append(unfinished.size()).append(unfinished.isEmpty() ? "" : " " + unfinished).append('\n');
    out.append("orphan pods               ").append(orphans.pods().size()).append(orphans.pods().isEmpty() ? "" : " " + orphans.pods()).append('\n');
    out.append("orphan node records       ").append(orphans.nodes().size()).append(orphans.nodes().isEmpty() ? "" : " " + orphans.nodes()).append('\n');
    out.append("settled after             ").append(orphans.settledIn().toSeconds()).append(" s\n");
    for (String node : orphans.nodes()) {
      out.append("\norphan record ").append(node).append(", as slurmctld shows it:\n  ").append(slurmNodeRecord(node))
          .append("\nits pod: ").append(podState(node))
          .append("\nthe operator's log about it:\n").append(operatorLogAbout(node));
    }
    if (!requeueLog.isEmpty()) {
      out.append("\nrequeued jobs, as slurmctld logged them:\n");
      requeueLog.forEach((id, text) -> out.append("  ").append(id).append(": ").append(text).append('\n'));
    }
    if (!requeueLog.isEmpty() || !orphans.nodes().isEmpty() || !orphans.pods().isEmpty()) {
      out.append("disruptions:\n");
      timeline.forEach(t -> out.append("  ").append(t).append('\n'));
    }
    return out.toString();
  }

  /** Sleeps; false when interrupted. */
  static boolean sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

}
