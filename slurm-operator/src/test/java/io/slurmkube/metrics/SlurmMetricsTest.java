package io.slurmkube.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmJob.StartConditions;
import io.slurmkube.slurm.SlurmNode;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a Prometheus scrape of /metrics shows for a queue and a node set, in the exposition format. */
class SlurmMetricsTest {
  static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final SlurmMetrics metrics = new SlurmMetrics(registry);

  static SlurmJob job(long id, String partition, String state, String reason, int submittedSecondsAgo, StartConditions start) {
    return new SlurmJob(id, "j" + id, "alice", partition, Set.of(state), reason, NOW.minusSeconds(submittedSecondsAgo),
        1, 1, 0, "", "", 1, start);
  }

  static SlurmJob pending(long id, String partition, String reason) {
    return job(id, partition, "PENDING", reason, 10, StartConditions.NONE);
  }

  static SlurmNode node(String name, String... states) {
    return new SlurmNode(name, Set.of(states), List.of(), "", 0, 0, 4, 0, 1024, 0, "", "", name);
  }

  String scrape() {
    return registry.scrape();
  }

  @Test
  void pendingJobsAreCountedByPartitionAndWhatTheyWaitFor() {
    metrics.queue("team-a", "hpc", List.of(
        pending(1, "batch", "Resources"),
        pending(2, "batch", "Priority"),
        pending(3, "batch", "None").withPendingTasks(5), // an array's five unstarted tasks
        pending(4, "batch", "QOSMaxJobsPerUserLimit"),
        pending(5, "batch", "Dependency"),
        pending(6, "gpu", "JobHeldUser"),
        job(7, "gpu", "PENDING", "None", 10, new StartConditions(NOW.plusSeconds(120), "", false)),
        job(8, "batch", "RUNNING", "None", 60, StartConditions.NONE)), NOW);
    String out = scrape();
    assertThat(out)
        .contains("slurmkube_jobs_pending{cluster=\"hpc\",namespace=\"team-a\",partition=\"batch\",reason=\"nodes\"} 7.0")
        .contains("slurmkube_jobs_pending{cluster=\"hpc\",namespace=\"team-a\",partition=\"batch\",reason=\"policy\"} 1.0")
        .contains("slurmkube_jobs_pending{cluster=\"hpc\",namespace=\"team-a\",partition=\"batch\",reason=\"dependency\"} 1.0")
        .contains("slurmkube_jobs_pending{cluster=\"hpc\",namespace=\"team-a\",partition=\"gpu\",reason=\"held\"} 1.0")
        .contains("slurmkube_jobs_pending{cluster=\"hpc\",namespace=\"team-a\",partition=\"gpu\",reason=\"time\"} 1.0")
        .contains("slurmkube_jobs_running{cluster=\"hpc\",namespace=\"team-a\",partition=\"batch\"} 1.0");
  }

  @Test
  void twoClustersKeepTheirOwnRowsAndADeletedOneLosesThem() {
    metrics.queue("team-a", "hpc", List.of(pending(1, "batch", "Resources")), NOW);
    metrics.queue("team-b", "hpc", List.of(pending(1, "batch", "Resources"), pending(2, "batch", "Resources")), NOW);
    assertThat(scrape())
        .contains("slurmkube_jobs_pending{cluster=\"hpc\",namespace=\"team-a\",partition=\"batch\",reason=\"nodes\"} 1.0")
        .contains("slurmkube_jobs_pending{cluster=\"hpc\",namespace=\"team-b\",partition=\"batch\",reason=\"nodes\"} 2.0");
    // The queue emptied: the row goes rather than keeping its last value.
    metrics.queue("team-b", "hpc", List.of(), NOW);
    metrics.forgetCluster("team-a", "hpc");
    assertThat(scrape()).doesNotContain("slurmkube_jobs_pending{");
  }

  @Test
  void aJobSeenRunningForTheFirstTimeIsTimedFromItsSubmission() {
    // The first read after a start only learns what already runs: no 10-minute "wait" for old jobs.
    metrics.queue("ns", "c", List.of(job(1, "batch", "RUNNING", "None", 600, StartConditions.NONE),
        job(2, "batch", "PENDING", "Resources", 2, StartConditions.NONE)), NOW);
    assertThat(scrape()).doesNotContain("slurmkube_job_submit_to_running_seconds_count");
    metrics.queue("ns", "c", List.of(job(1, "batch", "RUNNING", "None", 601, StartConditions.NONE),
        job(2, "batch", "RUNNING", "None", 3, StartConditions.NONE)), NOW);
    String out = scrape();
    assertThat(out).contains("slurmkube_job_submit_to_running_seconds_count{cluster=\"c\",namespace=\"ns\"} 1")
        .contains("slurmkube_job_submit_to_running_seconds_sum{cluster=\"c\",namespace=\"ns\"} 3.0")
        .contains("slurmkube_job_submit_to_running_seconds_bucket{cluster=\"c\",namespace=\"ns\",le=\"3.0\"} 1")
        .contains("slurmkube_job_submit_to_running_seconds_bucket{cluster=\"c\",namespace=\"ns\",le=\"2.0\"} 0");
  }

  @Test
  void scaleDecisionsAreCountedAndEachJobTimedOnceToItsFirstScaleUp() {
    var waiting = List.of(pending(1, "batch", "Resources"), pending(2, "batch", "Resources"));
    metrics.scaleDecision("ns", "c", "cpu", 0, 2, waiting, NOW);
    metrics.scaleDecision("ns", "c", "cpu", 2, 3, waiting, NOW); // the same jobs, still waiting: not timed again
    metrics.scaleDecision("ns", "c", "cpu", 3, 0, List.of(), NOW);
    String out = scrape();
    assertThat(out)
        .contains("slurmkube_scale_decisions_total{cluster=\"c\",direction=\"up\",namespace=\"ns\",nodeset=\"cpu\"} 2.0")
        .contains("slurmkube_scale_decisions_total{cluster=\"c\",direction=\"down\",namespace=\"ns\",nodeset=\"cpu\"} 1.0")
        .contains("slurmkube_job_submit_to_scale_decision_seconds_count{cluster=\"c\",namespace=\"ns\",nodeset=\"cpu\"} 2")
        .contains("slurmkube_job_submit_to_scale_decision_seconds_sum{cluster=\"c\",namespace=\"ns\",nodeset=\"cpu\"} 20.0");
  }

  @Test
  void aNodeSetsNodesAreCountedByStateAndItsReplicasShown() {
    metrics.nodeSet("ns", "c", "cpu", List.of(node("c-cpu-0", "IDLE", "DYNAMIC_NORM"), node("c-cpu-1", "ALLOCATED"),
        node("c-cpu-2", "IDLE", "DRAIN"), node("c-cpu-3", "DOWN", "DRAIN"), node("c-cpu-4", "MIXED", "DRAIN")), 4, 5);
    metrics.drained("ns", "c", "cpu", 2);
    metrics.removed("ns", "c", "cpu", 1);
    String out = scrape();
    String set = "cluster=\"c\",namespace=\"ns\",nodeset=\"cpu\"";
    assertThat(out)
        .contains("slurmkube_nodeset_nodes{" + set + ",state=\"idle\"} 1.0")
        .contains("slurmkube_nodeset_nodes{" + set + ",state=\"allocated\"} 1.0")
        .contains("slurmkube_nodeset_nodes{" + set + ",state=\"drained\"} 1.0")
        .contains("slurmkube_nodeset_nodes{" + set + ",state=\"down\"} 1.0")
        .contains("slurmkube_nodeset_nodes{" + set + ",state=\"draining\"} 1.0")
        .contains("slurmkube_nodeset_nodes{" + set + ",state=\"mixed\"} 0.0")
        .contains("slurmkube_nodeset_replicas_desired{" + set + "} 4.0")
        .contains("slurmkube_nodeset_replicas_current{" + set + "} 5.0")
        .contains("slurmkube_node_drains_total{" + set + "} 2.0")
        .contains("slurmkube_node_removals_total{" + set + "} 1.0");
    metrics.forgetNodeSet("ns", "c", "cpu");
    assertThat(scrape()).doesNotContain("slurmkube_nodeset_nodes{", "slurmkube_nodeset_replicas_desired{");
  }
}
