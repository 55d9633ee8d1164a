package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.SlurmCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A busy queue must not stop autoscaling: on an empty node set, a new one-node job's wait from
 * sbatch to RUNNING is measured with an empty queue, with thousands of jobs queued beside it (held,
 * and pending for a begin time an hour away: none of them may add a node), and right after those are
 * cancelled (cancelled jobs stay in Slurm's listings for MinJobAge). The operator must not restart.
 *
 * <p>CI runs it with 3,000 queued jobs; {@code bench/busy-queue.sh} with 10,000 and
 * {@code -Dbusy.results=FILE} keeps the figures.
 */
class BusyQueueIT {
  static final String NAMESPACE = "e2e-busy";
  static final String OPERATOR_NAMESPACE = "slurmkube-system";
  static final Pattern HIGH_WATER = Pattern.compile("VmHWM:\\s+(\\d+) kB");

  final int queued = Integer.getInteger("busy.jobs", 3000);
  /** The most heap the operator reported in use at any of the samples. */
  double heapPeakMiB;

  static KubernetesClient client;
  static SlurmOnKubernetes slurm;

  @BeforeAll
  static void installAndCreateCluster() throws Exception {
    client = LocalCluster.client();
    SlurmOnKubernetes.installOperator();
    slurm = new SlurmOnKubernetes(client, NAMESPACE, "busy", "cpu");
    slurm.createReady("/busy-cluster.yaml");
  }

  @AfterAll
  static void cleanUp() {
    if (client != null) {
      client.namespaces().withName(NAMESPACE).delete();
      client.close();
    }
  }

  @Test
  void aNewJobStartsAsFastWithThousandsQueuedAsWithAnEmptyQueue() throws Exception {
    Pod operator = operatorPod();
    // The cluster's first job also waits for what a new cluster still settles (it is not timed).
    submitToRunning("warm-up");
    Duration empty = submitToRunning("empty queue");

    Instant filling = Instant.now();
    fillQueue();
    Duration fillTime = Duration.between(filling, Instant.now());
    await("the operator counts the queued jobs").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> slurm.slurmCluster().getStatus().pendingJobs != null
            && slurm.slurmCluster().getStatus().pendingJobs >= queued);
    sampleHeap();
    Duration busy = submitToRunning(queued + " jobs queued");
    sampleHeap();
    int replicasWhileBusy = slurm.nodeSet().getSpec().replicas;

    Instant cancelling = Instant.now();
    slurm.exec(slurm.loginPod(), Duration.ofMinutes(5), "scancel", "-n", "busy-filler");
    Duration afterCancel = submitToRunning("just after " + queued + " jobs were cancelled");
    Duration recovery = Duration.between(cancelling, Instant.now());
    sampleHeap();

    String report = report(empty, fillTime, busy, afterCancel, recovery, replicasWhileBusy);
    System.out.println(report);
    String resultsFile = System.getProperty("busy.results", "");
    if (!resultsFile.isBlank()) {
      Files.writeString(Path.of(resultsFile), report);
    }

    // Slurm starts a job on a new node at its next backfill pass (every 5 s here), so one figure
    // moves by up to 5 s from run to run: the bound is twice the empty-queue figure, at least 15 s.
    Duration bound = max(empty.multipliedBy(2), Duration.ofSeconds(15));
    assertThat(busy).as("sbatch to RUNNING with %d jobs queued (empty queue: %s)", queued, empty).isLessThanOrEqualTo(bound);
    assertThat(afterCancel).as("sbatch to RUNNING just after the queue was cancelled (empty queue: %s)", empty)
        .isLessThanOrEqualTo(bound);
    assertThat(replicasWhileBusy).as("held and not-yet-eligible jobs add no node: one job, one node").isEqualTo(1);
    Pod now = operatorPod();
    assertThat(now.getMetadata().getUid()).as("the operator pod is the same").isEqualTo(operator.getMetadata().getUid());
    assertThat(now.getStatus().getContainerStatuses().get(0).getRestartCount()).as("the operator did not restart")
        .isEqualTo(operator.getStatus().getContainerStatuses().get(0).getRestartCount());
  }

  /** Waits for the node set to be empty, then submits a one-node job and times it to RUNNING. */
  Duration submitToRunning(String label) throws Exception {
    await("node set busy-cpu back at zero pods before: " + label).atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1)).until(() -> slurm.nodePods().isEmpty());
    Instant submitted = Instant.now();
    long job = slurm.sbatch("-p", "cpu", "-J", "busy-probe", "--wrap", "sleep 1");
    await("job " + job + " RUNNING (" + label + ")").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
        .until(() -> List.of("RUNNING", "COMPLETING", "COMPLETED").contains(slurm.queueState(job)));
    Duration took = Duration.between(submitted, Instant.now());
    System.out.printf("busy queue: %s: job %d RUNNING %.1f s after sbatch%n", label, job, took.toMillis() / 1000.0);
    return took;
  }

  /**
   * Fills the queue as a busy site's users would: nine in ten held, one in ten waiting for a begin
   * time an hour away; four submitters at once.
   */
  void fillQueue() throws Exception {
    int each = queued / 4;
    String loop = "submit() { for i in $(seq " + each + "); do"
        + " if [ $((i % 10)) = 0 ]; then sbatch -p cpu -J busy-filler --begin=now+3600 --wrap true;"
        + " else sbatch -p cpu -J busy-filler -H --wrap true; fi >/dev/null || exit 1; done; };"
        + " submit & a=$!; submit & b=$!; submit & c=$!; submit & d=$!;"
        + " wait $a && wait $b && wait $c && wait $d";
    var result = slurm.exec(slurm.loginPod(), Duration.ofMinutes(20), "bash", "-c", loop);
    assertThat(result.code()).as("submitting %d jobs: %s", queued, result.err()).isZero();
  }

  /** The operator's heap in use, from its own /metrics (through the API server's service proxy). */
  void sampleHeap() {
    try {
      String metrics = client.raw(client.getMasterUrl().toString().replaceAll("/$", "")
          + "/api/v1/namespaces/" + OPERATOR_NAMESPACE + "/services/slurmkube-operator-metrics:8080/proxy/metrics");
      double bytes = metrics.lines().filter(l -> l.startsWith("jvm_memory_used_bytes") && l.contains("area=\"heap\""))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
      heapPeakMiB = Math.max(heapPeakMiB, bytes / 1048576);
    } catch (Exception e) {
      System.out.println("busy queue: no heap figure from the operator's metrics: " + e.getMessage());
    }
  }

  Pod operatorPod() {
    return client.pods().inNamespace(OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/name", "slurmkube-operator")
        .list().getItems().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst().orElseThrow();
  }

  /** The peak resident memory of a container's main process (its oldest but tini), or "n/a". */
  String peakMemory(String namespace, String pod, String container) {
    try {
      var result = slurm.execIn(namespace, pod, container, "sh", "-c", "p=$(pgrep -o -v -x tini 2>/dev/null) || p=1; cat /proc/$p/status");
      Matcher m = HIGH_WATER.matcher(result.out());
      return m.find() ? (Long.parseLong(m.group(1)) / 1024) + " MiB" : "n/a";
    } catch (Exception e) {
      return "n/a (" + e.getClass().getSimpleName() + ")";
    }
  }

  String report(Duration empty, Duration fillTime, Duration busy, Duration afterCancel, Duration recovery,
      int replicasWhileBusy) {
    String controller = "busy-controller-0";
    String restApi = client.pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/component", "restapi").list()
        .getItems().stream().map(p -> p.getMetadata().getName()).findFirst().orElse("");
    var out = new StringBuilder();
    out.append("# Busy queue (e2e/src/test/java/io/slurmkube/e2e/BusyQueueIT.java), ").append(Instant.now()).append('\n');
    out.append("machine                                ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs\n");
    out.append("queued jobs                            ").append(queued).append(" (9 in 10 held, 1 in 10 --begin=now+1h; submitted in ")
        .append(fillTime.toSeconds()).append(" s)\n");
    out.append(String.format("sbatch -> RUNNING, empty queue          %.1f s%n", empty.toMillis() / 1000.0));
    out.append(String.format("sbatch -> RUNNING, %6d jobs queued   %.1f s%n", queued, busy.toMillis() / 1000.0));
    out.append(String.format("sbatch -> RUNNING, just after scancel   %.1f s (recovered %.1f s after the mass cancel began)%n",
        afterCancel.toMillis() / 1000.0, recovery.toMillis() / 1000.0));
    out.append("node set replicas for the one new job   ").append(replicasWhileBusy).append('\n');
    out.append(String.format("operator heap in use, most sampled       %.0f MiB (chart limit 512 MiB for the pod)%n", heapPeakMiB));
    out.append("operator peak resident memory           ").append(peakMemory(OPERATOR_NAMESPACE, operatorPod().getMetadata().getName(), null)).append('\n');
    out.append("queue reader peak resident memory       ").append(peakMemory(NAMESPACE, controller, "queue-reader")).append('\n');
    out.append("slurmctld peak resident memory          ").append(peakMemory(NAMESPACE, controller, "slurmctld")).append('\n');
    out.append("slurmrestd peak resident memory         ").append(restApi.isEmpty() ? "n/a" : peakMemory(NAMESPACE, restApi, null)).append('\n');
    return out.toString();
  }

  static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
