package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.processing.event.EventHandler;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QueueWatchTest {
  private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");
  private static final ResourceID CPU = new ResourceID("demo-cpu", "lab");
  private static final ResourceID GPU = new ResourceID("demo-gpu", "lab");
  private static final ResourceID OTHER = new ResourceID("other-cpu", "lab");

  private final Map<String, List<SlurmJob>> queues = new HashMap<>();
  private final List<ResourceID> handled = new ArrayList<>();
  private QueueWatch watch;

  @BeforeEach
  void setUp() {
    watch = new QueueWatch(cluster -> {
      if (!queues.containsKey(cluster.getMetadata().getName())) {
        throw new SlurmUnavailableException("slurmrestd is not up", null);
      }
      return queues.get(cluster.getMetadata().getName());
    }, Duration.ofHours(1));
    EventHandler record = event -> handled.add(event.getRelatedCustomResourceID());
    watch.setEventHandler(record);
    // Started (events go out only then); looks are made by the tests, the timer's first is an hour away.
    watch.start();
  }

  @AfterEach
  void tearDown() {
    watch.stop();
  }

  static SlurmCluster cluster(String name) {
    var cluster = new SlurmCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("lab").build());
    return cluster;
  }

  static SlurmJob job(long id, String state) {
    return new SlurmJob(id, "j" + id, "kim", "batch", Set.of(state), "None", NOW, 1, 1, 0, "", "");
  }

  @Test
  void aNewPendingJobWakesEveryAutoscalingNodeSetOfItsClusterOnly() {
    queues.put("demo", List.of(job(7, "RUNNING")));
    queues.put("other", List.of());
    watch.watch(cluster("demo"), CPU);
    watch.watch(cluster("demo"), GPU);
    watch.watch(cluster("other"), OTHER);
    assertThat(watch.lookOnce()).as("the first look only learns the queue").isEmpty();

    queues.put("demo", List.of(job(7, "RUNNING"), job(8, "PENDING")));
    assertThat(watch.lookOnce()).containsExactlyInAnyOrder(CPU, GPU);
    assertThat(handled).containsExactlyInAnyOrder(CPU, GPU);
    assertThat(watch.lookOnce()).as("the same queue again wakes nobody").isEmpty();
  }

  @Test
  void fewerPendingJobsWakeNobodyButARequeuedOlderJobDoes() {
    queues.put("demo", List.of(job(8, "PENDING"), job(9, "PENDING")));
    watch.watch(cluster("demo"), CPU);
    watch.lookOnce();
    queues.put("demo", List.of(job(8, "RUNNING"), job(9, "PENDING")));
    assertThat(watch.lookOnce()).as("a job started").isEmpty();
    queues.put("demo", List.of(job(8, "PENDING"), job(9, "PENDING")));
    assertThat(watch.lookOnce()).as("job 8 requeued: one more pending, no newer id").containsExactly(CPU);
  }

  @Test
  void aLookTheReaderCannotServeIsSkippedAndTheNextOneComparesWithTheLastRealLook() {
    queues.put("demo", List.of(job(3, "PENDING")));
    watch.watch(cluster("demo"), CPU);
    watch.lookOnce();
    queues.put("demo", null);
    assertThat(watch.lookOnce()).isEmpty();
    queues.put("demo", List.of(job(3, "PENDING"), job(4, "PENDING")));
    assertThat(watch.lookOnce()).containsExactly(CPU);
  }

  @Test
  void anUnreadableQueueIsSkippedAndAnUnwatchedNodeSetIsNotWoken() {
    watch.watch(cluster("down"), OTHER);
    queues.put("demo", List.of());
    watch.watch(cluster("demo"), CPU);
    watch.watch(cluster("demo"), GPU);
    assertThat(watch.lookOnce()).isEmpty();
    watch.unwatch(GPU);
    queues.put("demo", List.of(job(1, "PENDING")));
    assertThat(watch.lookOnce()).containsExactly(CPU);
    watch.unwatch(CPU);
    queues.put("demo", List.of(job(1, "PENDING"), job(2, "PENDING")));
    assertThat(watch.lookOnce()).isEmpty();
  }
}
