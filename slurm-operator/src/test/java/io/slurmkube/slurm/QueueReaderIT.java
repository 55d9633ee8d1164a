package io.slurmkube.slurm;

import static io.slurmkube.slurm.SlurmTestCluster.CPU_NODE;
import static io.slurmkube.slurm.SlurmTestCluster.GPU_NODE;
import static io.slurmkube.slurm.SlurmTestCluster.awaitTrue;
import static io.slurmkube.slurm.SlurmTestCluster.exec;
import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.autoscale.NodeSetView;
import io.slurmkube.autoscale.QueueDemand;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The queue reader next to a real slurmctld (as the slurm user, without the key, through
 * slurmctld's sack socket) gives the operator the same jobs as slurmrestd's listing, in every field
 * the autoscaler and the deletion logic decide on.
 */
class QueueReaderIT {
  private static SlurmTestCluster cluster;
  private static SlurmClient rest;
  private static QueueReaderClient reader;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = new SlurmTestCluster("");
    rest = cluster.client();
    reader = cluster.queueReaderClient();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * What the operator decides on, per job id: states it asks about, reason, partition, sizes,
   * GPUs, constraint, nodes, array tasks and start conditions. An eligible time that has passed
   * is the same as none (the reader drops it).
   */
  static Map<Long, String> decisive(List<SlurmJob> jobs, Instant now) {
    Map<Long, String> out = new TreeMap<>();
    for (SlurmJob j : jobs) {
      var start = j.start();
      Instant eligible = start.eligibleTime() != null && start.eligibleTime().isAfter(now) ? start.eligibleTime() : null;
      out.put(j.id(), String.join(" ",
          "pending=" + j.isPending(), "running=" + j.isRunning(), "completing=" + j.isCompleting(),
          "reason=" + j.reason(), "partition=" + j.partition(), "nodes=" + j.nodes(), "cpus=" + j.cpus(),
          "gpus=" + j.gpus(), "features=" + j.features(), "nodeList=" + j.nodeList(), "tasks=" + j.pendingTasks(),
          "eligible=" + (eligible == null ? "-" : eligible.getEpochSecond() / 10), // the two reads are moments apart
          "dependency=" + start.dependency(), "held=" + start.held(), "user=" + j.user()));
    }
    return out;
  }

  private static String sbatch(String... args) {
    List<String> command = new ArrayList<>(List.of("sbatch", "--parsable", "-o", "/dev/null"));
    command.addAll(List.of(args));
    return exec(cluster.controller, command.toArray(String[]::new)).strip().split(";")[0];
  }

  @Test
  void theReaderGivesTheOperatorWhatSlurmrestdGivesForEveryDecisiveField() {
    List<String> ids = new ArrayList<>();
    try {
      ids.add(sbatch("-J", "running", "-w", CPU_NODE, "--wrap", "sleep 300"));
      String requeued = sbatch("--requeue", "-J", "requeued", "-w", CPU_NODE, "--wrap", "sleep 300");
      ids.add(requeued);
      String held = sbatch("-H", "-J", "held", "--wrap", "true");
      ids.add(held);
      ids.add(sbatch("--begin=now+1hour", "-J", "later", "--wrap", "true"));
      ids.add(sbatch("-d", "afterok:" + held, "-J", "dependent", "--wrap", "true"));
      ids.add(sbatch("-a", "0-7%3", "-C", "gpu", "-J", "array", "--wrap", "sleep 300"));
      ids.add(sbatch("-N", "2", "-c", "2", "-C", "cpu", "-J", "two-nodes", "--wrap", "true"));
      ids.add(sbatch("-N", "4", "-C", "cpu", "-J", "four-nodes", "--wrap", "true"));
      ids.add(sbatch("--gpus-per-node=2", "-N", "2", "-J", "gpus-per-node", "--wrap", "true"));
      ids.add(sbatch("-n", "2", "--gpus-per-task=1", "-C", "gpu", "-J", "gpus-per-task", "--wrap", "true"));
      ids.add(sbatch("--gpus=3", "-J", "gpus-per-job", "--wrap", "true"));
      // A '|' in the constraint (and the job name) must not shift a field of the reader's parse.
      ids.add(sbatch("-C", "cpu|gpu", "-J", "a|b", "-c", "2", "-N", "3", "--wrap", "true"));
      awaitTrue("the sleep jobs run", Duration.ofSeconds(60), () -> exec(cluster.controller, "squeue", "-h", "-o", "%T",
          "-j", ids.get(0) + "," + requeued).strip().equals("RUNNING\nRUNNING"));
      // Requeued: PENDING and COMPLETING for a moment (squeue prints only COMPLETING), then pending
      // with a start delay. The comparison below waits out the moment; a lasting difference fails.
      exec(cluster.controller, "scontrol", "requeue", requeued);

      // Both reads of one queue: equal once no job starts or ends between them; a difference
      // that persists for 30 s fails, with both sides shown.
      Instant deadline = Instant.now().plusSeconds(30);
      Map<Long, String> fromRest;
      Map<Long, String> fromReader;
      List<SlurmJob> readerJobs;
      while (true) {
        var snapshot = reader.read();
        readerJobs = snapshot.jobs().stream().filter(j -> j.isPending() || j.isRunning()).toList();
        List<SlurmJob> restJobs = rest.activeJobs();
        Instant now = Instant.now();
        fromReader = decisive(readerJobs, now);
        fromRest = decisive(restJobs, now);
        if (fromRest.equals(fromReader) || Instant.now().isAfter(deadline)) {
          break;
        }
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      assertThat(fromReader).as("the queue reader's jobs against slurmrestd's").isEqualTo(fromRest);
      // Every kind of job above is in there: running, pending array, held, ...
      assertThat(fromRest.keySet()).hasSizeGreaterThanOrEqualTo(ids.size());
      assertThat(readerJobs).filteredOn(j -> j.id() == Long.parseLong(requeued)).singleElement()
          .satisfies(j -> assertThat(j.isPending()).isTrue());
      assertThat(readerJobs).anyMatch(SlurmJob::isRunning).anyMatch(j -> j.start().held())
          .anyMatch(j -> j.pendingTasks() > 1).anyMatch(j -> j.gpus() > 0).anyMatch(j -> j.features().contains("|"));

      // And the autoscaler decides the same on either.
      Instant now = Instant.now();
      List<SlurmJob> restJobs = rest.activeJobs();
      for (var nodeSet : List.of(new NodeSetView("cpu", Set.of("batch"), Set.of("cpu"), 2, 0, 0, 4, 1, 1, List.of()),
          new NodeSetView("gpu", Set.of("batch"), Set.of("gpu"), 2, 2, 0, 2, 1, 1, List.of()))) {
        assertThat(QueueDemand.nodesWanted(nodeSet, readerJobs, now)).as("nodes wanted of %s", nodeSet.name())
            .isEqualTo(QueueDemand.nodesWanted(nodeSet, restJobs, now));
      }
    } finally {
      List<String> scancel = new ArrayList<>(List.of("scancel"));
      scancel.addAll(ids);
      exec(cluster.controller, scancel.toArray(String[]::new));
    }
  }

  @Test
  void theReaderAnswersWithinItsTimeoutAndReportsItsSqueueTime() {
    var snapshot = reader.read();
    assertThat(Duration.between(snapshot.readAt(), Instant.now())).isLessThan(Duration.ofSeconds(10));
    assertThat(snapshot.readSeconds()).isPositive().isLessThan(2.0);
    // The reader runs without the key: squeue authenticated through slurmctld's sack socket.
    assertThat(SlurmTestCluster.succeeds(cluster.queueReader, "test", "-e", "/etc/slurm/slurm.key")).isFalse();
    assertThat(exec(cluster.queueReader, "id", "-u").strip()).isEqualTo("64030");
    assertThat(exec(cluster.queueReader, "sh", "-c", "ls -l /run/slurmctld/sack.socket")).contains("sack.socket");
  }
}
