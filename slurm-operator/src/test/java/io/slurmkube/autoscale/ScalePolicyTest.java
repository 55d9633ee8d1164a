package io.slurmkube.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScalePolicyTest {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final Duration DELAY = Duration.ofSeconds(30);

  static SlurmJob pending(String partition, int nodes, int cpus, int gpus, String reason, String constraint) {
    return new SlurmJob(1, "job", "alice", partition, Set.of("PENDING"), reason, NOW, nodes, cpus, gpus, constraint, "");
  }

  static SlurmNode node(String name, String... states) {
    boolean busy = Set.of(states).contains("ALLOCATED");
    return new SlurmNode(name, Set.of(states), List.of("cpu"), "", 0, 0, 2, busy ? 2 : 0, 1024, 0, "", "", "10.0.0.1");
  }

  static NodeSetView view(int replicas, int pods, List<SlurmNode> nodes) {
    return new NodeSetView("cpu", Set.of("batch"), Set.of("cpu", "fast"), 2, 0, 0, 3, replicas, pods, nodes);
  }

  @Test
  void aJobTwoNodeSetsCouldRunIsCountedOnlyByTheFirst() {
    var cpu = new NodeSetView("cpu", Set.of("batch"), Set.of("cpu"), 2, 0, 0, 3, 0, 0, List.of());
    var spot = new NodeSetView("spot", Set.of("batch"), Set.of("spot"), 4, 0, 0, 3, 0, 0, List.of());
    var small = pending("batch", 1, 1, 0, "Resources", "");
    var large = pending("batch", 1, 4, 0, "Resources", "");
    var jobsForSpot = QueueDemand.unclaimed(List.of(cpu), List.of(small, large), NOW);
    assertThat(jobsForSpot).as("cpu, listed first, takes the small job; only spot fits the large one").containsExactly(large);
    assertThat(ScalePolicy.decide(spot, jobsForSpot, Map.of(), DELAY, NOW).replicas()).isEqualTo(1);
    assertThat(QueueDemand.unclaimed(List.of(), List.of(small, large), NOW)).containsExactly(small, large);
  }

  @Test
  void aNodeThatTookAJobAfterTheQueueWasListedIsNotAskedForAgain() {
    // The listing still shows the job pending; its node has just started it and is busy.
    var job = pending("batch", 1, 1, 0, "Resources", "");
    var busyNode = view(1, 1, List.of(node("cpu-0", "ALLOCATED")));
    assertThat(ScalePolicy.decide(busyNode, List.of(job), 1, Map.of(), DELAY, NOW).replicas())
        .as("the busy node may be running it: no second node").isEqualTo(1);
    assertThat(ScalePolicy.decide(busyNode, List.of(job), 0, Map.of(), DELAY, NOW).replicas())
        .as("busy since before the listing: the job still waits, one more node").isEqualTo(2);
  }

  @Test
  void aPendingArrayWantsANodePerTaskInOneDecision() {
    var array = new SlurmJob(7, "array", "alice", "batch", Set.of("PENDING"), "Resources", NOW, 1, 1, 0, "", "").withPendingTasks(8);
    var decision = ScalePolicy.decide(new NodeSetView("cpu", Set.of("batch"), Set.of("cpu"), 2, 0, 0, 8, 0, 0, List.of()),
        List.of(array), Map.of(), DELAY, NOW);
    assertThat(decision.replicas()).isEqualTo(8);
    assertThat(decision.reason()).contains("8 node(s) wanted");
  }

  @Test
  void scalesUpFromZeroForPendingJobsUpToMax() {
    var jobs = List.of(
        pending("batch", 1, 1, 0, "PartitionConfig", ""), pending("batch", 1, 1, 0, "Resources", ""),
        pending("batch", 1, 1, 0, "Priority", ""), pending("batch", 1, 1, 0, "Priority", ""));
    var decision = ScalePolicy.decide(view(0, 0, List.of()), jobs, Map.of(), DELAY, NOW);
    assertThat(decision.replicas()).isEqualTo(3);
    assertThat(decision.reason()).contains("4 node(s) wanted").contains("maxReplicas");
  }

  @Test
  void podsStillStartingCountAsCapacity() {
    var jobs = List.of(pending("batch", 2, 2, 0, "Resources", ""));
    assertThat(ScalePolicy.decide(view(2, 2, List.of()), jobs, Map.of(), DELAY, NOW).replicas()).isEqualTo(2);
  }

  @Test
  void aNewPodUnderTheNameOfARemovedOnesDownRecordIsStillCapacityOnItsWay() {
    // Seen on the bench: the record of the last cpu-0 (DOWN, drained for a scale-down) outlived its
    // pod by a pass; a new cpu-0 was created for a job and the next pass asked for a cpu-1 as well.
    var job = List.of(pending("batch", 1, 1, 0, "Resources", ""));
    var staleRecord = node("cpu-0", "DOWN", "DRAIN");
    assertThat(ScalePolicy.decide(view(1, 1, List.of(staleRecord)), job, Map.of(), DELAY, NOW).replicas())
        .as("the new cpu-0 will take the job: no second pod").isEqualTo(1);
    assertThat(ScalePolicy.decide(view(1, 1, List.of(node("cpu-0", "IDLE", "DRAIN"))), job, Map.of(), DELAY, NOW).replicas())
        .as("a registered node drained by someone else takes no job: one more pod").isEqualTo(2);
  }

  @Test
  void aReplicaWhosePodWasDeletedIsReplacedNotAddedTo() {
    // Seen trying it: the pod of a job's node was deleted while it started; its record went DOWN,
    // the node set made the pod again for its replica and, before this, scaled up to 2 as well.
    var job = List.of(pending("short", 1, 1, 0, "Resources", ""));
    var view = new NodeSetView("cpu", Set.of("short"), Set.of("cpu"), 2, 0, 0, 4, 1, 0, List.of(node("cpu-0", "DOWN")));
    assertThat(ScalePolicy.decide(view, job, Map.of(), DELAY, NOW).replicas()).isEqualTo(1);
  }

  @Test
  void ignoresJobsThisNodeSetCannotRun() {
    var jobs = List.of(
        pending("gpu", 1, 1, 0, "Resources", ""),               // another partition
        pending("batch", 1, 1, 1, "Resources", ""),             // wants a GPU
        pending("batch", 1, 8, 0, "Resources", ""),             // more CPUs than a node has
        pending("batch", 1, 1, 0, "Dependency", ""),            // waits for another job
        pending("batch", 1, 1, 0, "JobHeldUser", ""),           // held
        pending("batch", 1, 1, 0, "Resources", "infiniband"));  // feature it lacks
    var decision = ScalePolicy.decide(view(0, 0, List.of()), jobs, Map.of(), DELAY, NOW);
    assertThat(decision.replicas()).isZero();
  }

  @Test
  void jobsWhoseOwnFieldsSayTheyCannotStartYetAddNoNodesWhateverTheirReason() {
    var ordinary = pending("batch", 1, 1, 0, "None", "");
    var later = pending("batch", 1, 1, 0, "None", "")
        .withStart(new SlurmJob.StartConditions(NOW.plusSeconds(300), "", false));
    var dependent = pending("batch", 1, 1, 0, "None", "")
        .withStart(new SlurmJob.StartConditions(null, "afterok:12(unfulfilled)", false));
    var held = pending("batch", 1, 1, 0, "None", "").withStart(new SlurmJob.StartConditions(null, "", true));
    var requeued = new SlurmJob(9, "requeued", "alice", "batch", Set.of("PENDING", "COMPLETING"), "None", NOW, 1, 1, 0, "", "");
    var decision = ScalePolicy.decide(view(0, 0, List.of()), List.of(later, dependent, held, requeued, ordinary),
        Map.of(), DELAY, NOW);
    assertThat(decision.replicas()).as(decision.reason()).isEqualTo(1);
    assertThat(decision.reason()).contains("1 node(s) wanted");
    assertThat(ScalePolicy.decide(view(0, 0, List.of()), List.of(later, dependent, held, requeued), Map.of(), DELAY, NOW)
        .replicas()).isZero();
  }

  @Test
  void aBeginTimeThatHasComeCountsAgain() {
    var due = pending("batch", 1, 1, 0, "None", "").withStart(new SlurmJob.StartConditions(NOW, "", false));
    var past = pending("batch", 1, 1, 0, "None", "").withStart(new SlurmJob.StartConditions(NOW.minusSeconds(5), "", false));
    assertThat(ScalePolicy.decide(view(0, 0, List.of()), List.of(due, past), Map.of(), DELAY, NOW).replicas()).isEqualTo(2);
    assertThat(ScalePolicy.decide(view(0, 0, List.of()), List.of(due, past), Map.of(), DELAY, NOW.minusSeconds(10)).replicas())
        .as("the same jobs seen 10 s earlier").isZero();
  }

  @Test
  void aWaitingJobDoesNotKeepIdleNodesFromScalingDown() {
    var nodes = List.of(node("demo-cpu-0", "IDLE"));
    var later = pending("batch", 1, 1, 0, "None", "")
        .withStart(new SlurmJob.StartConditions(NOW.plusSeconds(121), "", false));
    var decision = ScalePolicy.decide(view(1, 1, nodes), List.of(later), Map.of("demo-cpu-0", NOW.minusSeconds(60)), DELAY, NOW);
    assertThat(decision.replicas()).isZero();
  }

  @Test
  void aConstraintOnItsFeaturesCounts() {
    var jobs = List.of(pending("batch,other", 1, 1, 0, "Resources", "cpu&fast"));
    assertThat(ScalePolicy.decide(view(0, 0, List.of()), jobs, Map.of(), DELAY, NOW).replicas()).isEqualTo(1);
  }

  @Test
  void scalesDownOnlyNodesIdleLongerThanTheDelay() {
    var nodes = List.of(node("demo-cpu-0", "IDLE"), node("demo-cpu-1", "IDLE"), node("demo-cpu-2", "ALLOCATED"));
    Map<String, Instant> idleSince = new HashMap<>();
    idleSince.put("demo-cpu-0", NOW.minusSeconds(31));
    idleSince.put("demo-cpu-1", NOW.minusSeconds(5));
    var decision = ScalePolicy.decide(view(3, 3, nodes), List.of(), idleSince, DELAY, NOW);
    assertThat(decision.replicas()).isEqualTo(2);
    assertThat(decision.reason()).contains("1 node(s) idle for 30s");
  }

  @Test
  void neverScalesDownWhileEligibleJobsWait() {
    var nodes = List.of(node("demo-cpu-0", "IDLE"));
    var decision = ScalePolicy.decide(view(1, 1, nodes), List.of(pending("batch", 1, 1, 0, "Resources", "")),
        Map.of("demo-cpu-0", NOW.minusSeconds(600)), DELAY, NOW);
    assertThat(decision.replicas()).isEqualTo(1);
  }

  @Test
  void keepsWithinBounds() {
    var bounded = new NodeSetView("cpu", Set.of("batch"), Set.of("cpu"), 2, 0, 1, 3, 0, 0, List.of());
    assertThat(ScalePolicy.decide(bounded, List.of(), Map.of(), DELAY, NOW).replicas()).isEqualTo(1);
    var over = new NodeSetView("cpu", Set.of("batch"), Set.of("cpu"), 2, 0, 0, 3, 5, 5, List.of());
    assertThat(ScalePolicy.decide(over, List.of(), Map.of(), DELAY, NOW).replicas()).isEqualTo(3);
  }
}
