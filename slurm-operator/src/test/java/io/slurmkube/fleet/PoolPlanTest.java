package io.slurmkube.fleet;

import io.slurmkube.model.PoolMarks;
import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.api.FleetSpec;
import io.slurmkube.fleet.FleetNode.PodOnNode;
import io.slurmkube.fleet.FleetNode.Resources;
import io.slurmkube.fleet.FleetNode.Role;
import io.slurmkube.fleet.FleetNode.WaitingPod;
import io.slurmkube.model.PoolMarks.State;
import io.slurmkube.fleet.PoolPlan.Action;
import io.slurmkube.fleet.PoolPlan.Move;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pool decisions, one rule at a time, on nodes described as a user would label them. */
class PoolPlanTest {
  static final String POOL = "hpc.demo";
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final Resources NODE = new Resources(4000, 8L << 30);
  static final Resources SLURMD = new Resources(3000, 1L << 30);

  // ---------------------------------------------------------------- fixtures

  static FleetSpec policy(Integer count) {
    return FleetFixtures.selecting("rack", "a", count);
  }

  static FleetSpec lending(Integer count, int idleSeconds) {
    var p = policy(count);
    p.lending.enabled = true;
    p.lending.idleSeconds = idleSeconds;
    return p;
  }

  /** A node in rack a (the selector's rack) or elsewhere, optionally already in a pool and state. */
  static FleetNode node(String name, String rack, String pool, State state, PodOnNode... pods) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("rack", rack);
    String taint = null;
    if (pool != null) {
      labels.put(PoolMarks.POOL, pool);
      labels.put(PoolMarks.STATE, state.label);
      taint = state.tainted() ? pool : null;
    }
    String owner = pool == null ? null : pool.replace('.', '/');
    return new FleetNode(name, labels, owner, taint, true, false, NODE, List.of(pods));
  }

  static FleetNode free(String name) {
    return node(name, "a", null, null);
  }

  static FleetNode reserved(String name, PodOnNode... pods) {
    return node(name, "a", POOL, State.SLURM, pods);
  }

  static FleetNode lent(String name, PodOnNode... pods) {
    return node(name, "a", POOL, State.LENT, pods);
  }

  static FleetNode reclaiming(String name, PodOnNode... pods) {
    return node(name, "a", POOL, State.RECLAIMING, pods);
  }

  static PodOnNode slurmd(String name) {
    return new PodOnNode("hpc", name, Role.SLURMD, SLURMD, false);
  }

  static PodOnNode web(String name) {
    return new PodOnNode("web", name, Role.EVICTABLE, new Resources(1000, 1L << 30), false);
  }

  static PodOnNode daemon(String name) {
    return new PodOnNode("kube-system", name, Role.STAYS, new Resources(50, 64L << 20), false);
  }

  static WaitingPod waiting(String name) {
    return new WaitingPod(name, SLURMD, true);
  }

  static PoolPlan plan(FleetSpec policy, List<FleetNode> nodes) {
    return plan(policy, nodes, List.of(), Map.of(), Map.of());
  }

  static PoolPlan plan(FleetSpec policy, List<FleetNode> nodes, List<WaitingPod> waiting,
      Map<String, Instant> emptySince, Map<String, String> blocked) {
    return plan(PoolGrant.of("hpc", policy, FleetFixtures.grant("rack", true, "hpc")), nodes, waiting, emptySince, blocked);
  }

  static PoolPlan plan(PoolGrant grant, List<FleetNode> nodes, List<WaitingPod> waiting,
      Map<String, Instant> emptySince, Map<String, String> blocked) {
    return PoolPlan.decide(new PoolPlan.Input(POOL, grant, nodes, waiting, emptySince, blocked, NOW));
  }

  static List<String> nodesWith(PoolPlan plan, Action action) {
    return plan.moves().stream().filter(m -> m.action() == action).map(Move::node).toList();
  }

  // ---------------------------------------------------------------- membership

  @Test
  void everyMatchingNodeJoinsAndNoOtherNodeIsTouched() {
    var plan = plan(policy(null), List.of(free("a1"), free("a2"), node("b1", "b", null, null)));
    assertThat(plan.moves()).allSatisfy(m -> {
      assertThat(m.action()).isEqualTo(Action.JOIN);
      assertThat(m.to()).isEqualTo(State.SLURM);
    });
    assertThat(nodesWith(plan, Action.JOIN)).containsExactly("a1", "a2");
    var status = plan.status(Map.of());
    assertThat(status.poolNodes).isEqualTo(2);
    assertThat(status.reserved).isEqualTo(2);
    assertThat(status.poolLabel).isEqualTo("slurmkube.io/pool=hpc.demo");
    assertThat(status.problems).isEmpty();
  }

  @Test
  void aCountKeepsCurrentMembersFirstThenReadyNodesByName() {
    var notReady = new FleetNode("a0", Map.of("rack", "a"), null, null, false, false, NODE, List.of());
    var plan = plan(policy(3), List.of(notReady, free("a4"), free("a3"), reserved("a9", slurmd("demo-cpu-0"))));
    assertThat(nodesWith(plan, Action.JOIN)).containsExactly("a3", "a4");
    assertThat(plan.status(Map.of()).poolNodes).isEqualTo(3);
  }

  @Test
  void shrinkingTheCountReleasesLentAndIdleNodesBeforeBusyOnes() {
    var plan = plan(lending(1, 60), List.of(lent("a1"), reserved("a2"), reserved("a3", slurmd("demo-cpu-0"))));
    assertThat(nodesWith(plan, Action.LEAVE)).containsExactlyInAnyOrder("a1", "a2");
    assertThat(plan.moves()).filteredOn(m -> m.action() == Action.LEAVE)
        .allSatisfy(m -> assertThat(m.reason()).contains("the pool may have 1 nodes and has more"));
  }

  @Test
  void aNodeThatStopsMatchingLeavesThePool() {
    var plan = plan(policy(null), List.of(reserved("a1"), node("b1", "b", POOL, State.SLURM)));
    assertThat(nodesWith(plan, Action.LEAVE)).containsExactly("b1");
    assertThat(plan.moves().get(0).reason()).contains("no longer matches the selectors (rack and rack=a, no control-plane node)");
  }

  @Test
  void aNodeInAnotherPoolIsNeverTakenAndTheConflictIsReported() {
    var theirs = node("a2", "a", "hpc.other", State.SLURM);
    var plan = plan(policy(null), List.of(free("a1"), theirs));
    assertThat(plan.moves()).extracting(Move::node).containsExactly("a1");
    assertThat(plan.problems()).singleElement().asString()
        .contains("1 node(s) matching the selectors are in the pool of SlurmCluster hpc/other (a2)")
        .contains("they stay there");
  }

  @Test
  void aSelectorThatMatchesNoNodeIsReported() {
    var plan = plan(policy(null), List.of(node("b1", "b", null, null)));
    assertThat(plan.moves()).isEmpty();
    assertThat(plan.problems()).singleElement().asString()
        .contains("no node matches SlurmNodePool hpc-nodes's selector and spec.fleet.nodeSelector (rack and rack=a, no control-plane node)");
    assertThat(plan.status(Map.of()).message).contains("no node matches");
  }

  @Test
  void aCountLargerThanTheFleetTakesWhatThereIsAndSaysSo() {
    var plan = plan(policy(5), List.of(free("a1"), free("a2"), node("a3", "a", "hpc.other", State.SLURM)));
    assertThat(nodesWith(plan, Action.JOIN)).containsExactly("a1", "a2");
    assertThat(plan.problems()).anySatisfy(p -> assertThat(p)
        .contains("the pool may have 5 nodes but only 2 can join (3 match the selectors, 1 of them in other pools)"));
    var status = plan.status(Map.of());
    assertThat(status.wantedNodes).isEqualTo(5);
    assertThat(status.poolNodes).isEqualTo(2);
  }

  @Test
  void aCountWithoutClusterSelectorTakesAnyOfThePoolsNodesNotInAnotherPool() {
    var p = new FleetSpec();
    p.pool = FleetFixtures.POOL_NAME;
    p.nodes = 2;
    var plan = plan(p, List.of(node("x", "b", "hpc.other", State.SLURM), node("y", "c", null, null), node("z", "d", null, null)));
    assertThat(nodesWith(plan, Action.JOIN)).containsExactly("y", "z");
    assertThat(plan.problems()).singleElement().asString().contains("in the pool of SlurmCluster hpc/other (x)");
  }

  @Test
  void driftedMarksAreRepaired() {
    var untainted = new FleetNode("a1", Map.of("rack", "a", PoolMarks.POOL, POOL, PoolMarks.STATE, "slurm"), "hpc/demo",
        null, true, false, NODE, List.of(slurmd("demo-cpu-0")));
    var taintedLent = new FleetNode("a2", Map.of("rack", "a", PoolMarks.POOL, POOL, PoolMarks.STATE, "lent"), "hpc/demo",
        POOL, true, false, NODE, List.of());
    var noState = new FleetNode("a3", Map.of("rack", "a", PoolMarks.POOL, POOL), "hpc/demo", POOL, true, false, NODE, List.of());
    var plan = plan(lending(null, 60), List.of(untainted, taintedLent, noState));
    assertThat(plan.moves()).extracting(Move::node, Move::action, Move::to).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple("a1", Action.REPAIR, State.SLURM),
        org.assertj.core.groups.Tuple.tuple("a2", Action.REPAIR, State.LENT),
        org.assertj.core.groups.Tuple.tuple("a3", Action.REPAIR, State.SLURM));
  }

  @Test
  void releaseTakesOffEveryMarkOfThePoolAndNothingElse() {
    var taintOnly = new FleetNode("a4", Map.of("rack", "a"), null, POOL, true, false, NODE, List.of());
    var moves = PoolPlan.release(POOL, List.of(reserved("a1"), lent("a2"), node("a3", "a", "hpc.other", State.SLURM), free("a5"), taintOnly),
        "spec.fleet was removed");
    assertThat(moves).extracting(Move::node).containsExactly("a1", "a2", "a4");
    assertThat(moves).allSatisfy(m -> {
      assertThat(m.action()).isEqualTo(Action.LEAVE);
      assertThat(m.to()).isNull();
    });
  }

  // ---------------------------------------------------------------- lending

  @Test
  void lendingIsOffUnlessEnabled() {
    var plan = plan(policy(null), List.of(reserved("a1")), List.of(), Map.of("a1", NOW.minus(Duration.ofDays(1))), Map.of());
    assertThat(nodesWith(plan, Action.LEND)).isEmpty();
  }

  @Test
  void aNodeWithoutSlurmdPodsForIdleSecondsIsLentAndABusyOneIsNot() {
    Map<String, Instant> since = Map.of("a1", NOW.minusSeconds(61), "a2", NOW.minusSeconds(20));
    var plan = plan(lending(null, 60), List.of(reserved("a1"), reserved("a2"), reserved("a3", slurmd("demo-cpu-0"))),
        List.of(), since, Map.of());
    assertThat(plan.moves()).singleElement().satisfies(m -> {
      assertThat(m.node()).isEqualTo("a1");
      assertThat(m.action()).isEqualTo(Action.LEND);
      assertThat(m.to()).isEqualTo(State.LENT);
      assertThat(m.reason()).contains("no slurmd pod for 61s");
    });
    // a2 is lent when its 60 s are up: the plan asks to look again then.
    assertThat(plan.recheck()).isBetween(Duration.ofSeconds(40), Duration.ofSeconds(41));
    assertThat(plan.emptySince()).containsOnlyKeys("a2");
    assertThat(plan.status(Map.of()).lentNodes).containsExactly("a1");
  }

  @Test
  void theIdleClockStartsWhenANodeIsFirstSeenEmptyAndStopsWhenASlurmdPodArrives() {
    var first = plan(lending(null, 60), List.of(reserved("a1"), reserved("a2", slurmd("demo-cpu-0"))),
        List.of(), Map.of("a2", NOW.minusSeconds(600)), Map.of());
    assertThat(first.emptySince()).containsExactly(Map.entry("a1", NOW));
    assertThat(first.moves()).isEmpty();
  }

  @Test
  void nothingIsLentWhileANodeSetPodWaitsForANode() {
    var stillPending = new WaitingPod("demo-cpu-7", SLURMD, false);
    var plan = plan(lending(null, 0), List.of(reserved("a1")), List.of(stillPending), Map.of("a1", NOW.minusSeconds(600)), Map.of());
    assertThat(nodesWith(plan, Action.LEND)).isEmpty();
  }

  // ---------------------------------------------------------------- reclaiming

  @Test
  void aWaitingNodeSetPodReclaimsTheLentNodeWithFewestPodsToEvict() {
    var nodes = List.of(reserved("a1", slurmd("demo-cpu-0")), lent("a2", web("w1"), web("w2")),
        lent("a3", web("w3"), daemon("ds-1")), lent("a4", web("w4"), web("w5")));
    var plan = plan(lending(null, 60), nodes, List.of(waiting("demo-cpu-1")), Map.of(), Map.of());
    assertThat(plan.moves()).singleElement().satisfies(m -> {
      assertThat(m.node()).isEqualTo("a3");
      assertThat(m.action()).isEqualTo(Action.RECLAIM);
      assertThat(m.to()).isEqualTo(State.RECLAIMING);
      assertThat(m.reason()).contains("node-set pod demo-cpu-1 waits");
    });
    // Only the Kubernetes pod goes; the DaemonSet pod stays.
    assertThat(plan.evictions()).extracting(PoolPlan.Eviction::pod).containsExactly("w3");
    assertThat(plan.status(Map.of()).reclaimingNodes).singleElement()
        .satisfies(n -> assertThat(n.reason).contains("evicting web/w3"));
  }

  @Test
  void aLentNodeWhosePodsABudgetHoldsIsReclaimedOnlyWhenNoOtherWillDo() {
    var guarded = new PodOnNode("web", "w1", Role.EVICTABLE, new Resources(1000, 1L << 30), false, true);
    var nodes = List.of(lent("a2", guarded), lent("a3", web("w3"), web("w4")));
    var plan = plan(lending(null, 60), nodes, List.of(waiting("demo-cpu-1")), Map.of(), Map.of());
    assertThat(nodesWith(plan, Action.RECLAIM)).as("more pods to evict, but none held").containsExactly("a3");

    var onlyGuarded = plan(lending(null, 60), List.of(lent("a2", guarded)), List.of(waiting("demo-cpu-1")), Map.of(), Map.of());
    assertThat(nodesWith(onlyGuarded, Action.RECLAIM)).as("the budget may relent; the eviction says why meanwhile")
        .containsExactly("a2");
  }

  @Test
  void onlyAsManyNodesAreReclaimedAsTheWaitingPodsNeed() {
    List<FleetNode> lentNodes = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      lentNodes.add(lent("a" + i, web("w" + i)));
    }
    var plan = plan(lending(null, 60), lentNodes, List.of(waiting("demo-cpu-0"), waiting("demo-cpu-1"), waiting("demo-cpu-2")),
        Map.of(), Map.of());
    // One slurmd pod (3 CPU) fits on a 4-CPU node: three pods, three nodes.
    assertThat(nodesWith(plan, Action.RECLAIM)).containsExactly("a0", "a1", "a2");

    var small = new WaitingPod("demo-small-0", new Resources(1000, 1L << 30), true);
    var small2 = new WaitingPod("demo-small-1", new Resources(1000, 1L << 30), true);
    var packed = plan(lending(null, 60), lentNodes, List.of(small, small2), Map.of(), Map.of());
    assertThat(nodesWith(packed, Action.RECLAIM)).containsExactly("a0");
  }

  @Test
  void roomOnReservedNodesMeansNothingIsReclaimed() {
    var plan = plan(lending(null, 60), List.of(reserved("a1"), lent("a2", web("w1"))), List.of(waiting("demo-cpu-0")),
        Map.of(), Map.of());
    assertThat(nodesWith(plan, Action.RECLAIM)).isEmpty();
  }

  @Test
  void aLentNodeWithNothingToEvictIsReservedAtOnce() {
    var plan = plan(lending(null, 60), List.of(lent("a1", daemon("ds-1"))), List.of(waiting("demo-cpu-0")), Map.of(), Map.of());
    assertThat(plan.moves()).singleElement().satisfies(m -> {
      assertThat(m.action()).isEqualTo(Action.RECLAIM);
      assertThat(m.to()).isEqualTo(State.SLURM);
    });
    assertThat(plan.evictions()).isEmpty();
  }

  @Test
  void aReclaimingNodeIsReservedOnceItsKubernetesPodsAreGone() {
    var terminating = new PodOnNode("web", "w1", Role.EVICTABLE, new Resources(1000, 1L << 30), true);
    var stillGoing = plan(lending(null, 60), List.of(reclaiming("a1", terminating)), List.of(waiting("demo-cpu-0")), Map.of(), Map.of());
    assertThat(stillGoing.moves()).isEmpty();
    assertThat(stillGoing.evictions()).isEmpty();
    assertThat(stillGoing.status(Map.of()).reclaimingNodes.get(0).reason).contains("waiting for 1 evicted pod(s) to end: web/w1");

    var done = plan(lending(null, 60), List.of(reclaiming("a1", daemon("ds-1"))), List.of(waiting("demo-cpu-0")), Map.of(), Map.of());
    assertThat(done.moves()).singleElement().satisfies(m -> {
      assertThat(m.action()).isEqualTo(Action.RECLAIMED);
      assertThat(m.to()).isEqualTo(State.SLURM);
    });
  }

  @Test
  void aRefusedEvictionKeepsTheNodeReclaimingWithTheReasonAndTheReclaimDoesNotSpread() {
    String refusal = "pod web/db-0 may not be evicted: Cannot evict pod as it would violate the pod's disruption budget.";
    var nodes = List.of(reclaiming("a1", web("db-0")), lent("a2", web("w2")));
    var plan = plan(lending(null, 60), nodes, List.of(waiting("demo-cpu-0")), Map.of(), Map.of("a1", refusal));
    assertThat(plan.moves()).isEmpty();
    // The refused eviction is tried again (the budget may allow it now); a2 is left alone.
    assertThat(plan.evictions()).extracting(PoolPlan.Eviction::pod).containsExactly("db-0");
    var status = plan.status(Map.of("a1", refusal));
    assertThat(status.reclaiming).isEqualTo(1);
    assertThat(status.lentNodes).containsExactly("a2");
    assertThat(status.reclaimingNodes).singleElement().satisfies(n -> {
      assertThat(n.node).isEqualTo("a1");
      assertThat(n.reason).contains("disruption budget");
    });
  }

  @Test
  void aBlockedReclaimIsCalledOffOnceNoPodNeedsItAndNeverWithLendingOff() {
    String refusal = "pod web/db-0 may not be evicted: budget";
    var nodes = List.of(reclaiming("a1", web("db-0")), reserved("a2"));
    var plan = plan(lending(null, 60), nodes, List.of(waiting("demo-cpu-0")), Map.of(), Map.of("a1", refusal));
    assertThat(plan.moves()).singleElement().satisfies(m -> {
      assertThat(m.node()).isEqualTo("a1");
      assertThat(m.action()).isEqualTo(Action.CALL_OFF);
      assertThat(m.to()).isEqualTo(State.LENT);
    });

    var lendingOff = plan(policy(null), nodes, List.of(waiting("demo-cpu-0")), Map.of(), Map.of("a1", refusal));
    assertThat(nodesWith(lendingOff, Action.CALL_OFF)).isEmpty();
    assertThat(lendingOff.evictions()).extracting(PoolPlan.Eviction::pod).containsExactly("db-0");
  }

  @Test
  void turningLendingOffReclaimsEveryLentNode() {
    var plan = plan(policy(null), List.of(lent("a1", web("w1")), lent("a2"), reserved("a3")));
    assertThat(plan.moves()).extracting(Move::node, Move::to).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple("a1", State.RECLAIMING), org.assertj.core.groups.Tuple.tuple("a2", State.SLURM));
    assertThat(plan.moves()).allSatisfy(m -> assertThat(m.reason()).contains("lending is off"));
  }

  @Test
  void aPodThatFitsNoPoolNodeIsReportedInsteadOfReclaimingEverything() {
    var huge = new WaitingPod("demo-big-0", new Resources(16000, 1L << 30), true);
    var plan = plan(lending(null, 60), List.of(lent("a1", web("w1")), lent("a2")), List.of(huge), Map.of(), Map.of());
    assertThat(nodesWith(plan, Action.RECLAIM)).isEmpty();
    assertThat(plan.problems()).singleElement().asString()
        .contains("1 node-set pod(s) wait and no pool node can take them (demo-big-0 needs 16000m CPU, 1024Mi memory)");
    assertThat(plan.status(Map.of()).waitingPods).isEqualTo(1);
  }

  @Test
  void aNotReadyOrCordonedLentNodeIsNotReclaimedForWaitingPods() {
    var cordoned = new FleetNode("a1", new HashMap<>(Map.of("rack", "a", PoolMarks.POOL, POOL, PoolMarks.STATE, "lent")),
        "hpc/demo", null, true, true, NODE, List.of());
    var plan = plan(lending(null, 60), List.of(cordoned, lent("a2", web("w2"))), List.of(waiting("demo-cpu-0")), Map.of(), Map.of());
    assertThat(nodesWith(plan, Action.RECLAIM)).containsExactly("a2");
  }

  // ---------------------------------------------------------------- grants

  @Test
  void withoutAGrantNoNodeJoinsAndTheClusterIsToldWhy() {
    var notHere = PoolGrant.of("hpc", policy(null), FleetFixtures.grant("rack", true, "other-team"));
    var plan = plan(notHere, List.of(free("a1"), free("a2")), List.of(), Map.of(), Map.of());
    assertThat(plan.moves()).isEmpty();
    assertThat(plan.problems()).singleElement().asString()
        .contains("SlurmNodePool hpc-nodes does not grant namespace hpc");
    var status = plan.status(Map.of());
    assertThat(status.poolNodes).isZero();
    assertThat(status.refused).singleElement().asString().contains("does not grant namespace hpc");

    var missing = PoolGrant.of("hpc", policy(null), null);
    assertThat(plan(missing, List.of(free("a1")), List.of(), Map.of(), Map.of()).moves()).isEmpty();
    assertThat(missing.refused()).singleElement().asString().contains("SlurmNodePool hpc-nodes (spec.fleet.pool) does not exist");
  }

  @Test
  void aWithdrawnGrantTakesTheMarksOffEveryNodeOfThePool() {
    var withdrawn = PoolGrant.of("hpc", policy(null), FleetFixtures.grant("rack", true, "other-team"));
    var plan = plan(withdrawn, List.of(reserved("a1", slurmd("demo-cpu-0")), lent("a2", web("w1"))), List.of(), Map.of(), Map.of());
    assertThat(plan.moves()).extracting(Move::node, Move::action).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple("a1", Action.LEAVE), org.assertj.core.groups.Tuple.tuple("a2", Action.LEAVE));
    assertThat(plan.evictions()).isEmpty();
  }

  @Test
  void controlPlaneNodesNeverJoinWhateverTheSelectorsSay() {
    var cp = new FleetNode("cp1", Map.of("rack", "a", "node-role.kubernetes.io/control-plane", ""), null, null, true, false, NODE, List.of());
    var master = new FleetNode("m1", Map.of("rack", "a", "node-role.kubernetes.io/master", ""), null, null, true, false, NODE, List.of());
    var oldMember = new FleetNode("cp2", Map.of("rack", "a", "node-role.kubernetes.io/control-plane", "", PoolMarks.POOL, POOL,
        PoolMarks.STATE, "slurm"), "hpc/demo", POOL, true, false, NODE, List.of());
    var plan = plan(policy(null), List.of(cp, master, oldMember, free("a1")));
    assertThat(nodesWith(plan, Action.JOIN)).containsExactly("a1");
    assertThat(plan.moves()).filteredOn(m -> m.action() == Action.LEAVE).singleElement()
        .satisfies(m -> assertThat(m.node()).isEqualTo("cp2"))
        .satisfies(m -> assertThat(m.reason()).contains("control-plane node"));
    assertThat(plan.problems()).anySatisfy(p -> assertThat(p).contains("3 control-plane node(s) match the selectors")
        .contains("never join"));
  }

  @Test
  void thePoolsMaximumCapsTheCountAskedFor() {
    var pool = FleetFixtures.grant("rack", true, "hpc");
    pool.getSpec().maxNodesPerCluster = 2;
    var grant = PoolGrant.of("hpc", policy(5), pool);
    var plan = plan(grant, List.of(free("a1"), free("a2"), free("a3")), List.of(), Map.of(), Map.of());
    assertThat(nodesWith(plan, Action.JOIN)).containsExactly("a1", "a2");
    var status = plan.status(Map.of());
    assertThat(status.asked.nodes).isEqualTo(5);
    assertThat(status.granted.nodes).isEqualTo(2);
    assertThat(status.refused).singleElement().asString()
        .contains("spec.fleet.nodes asks for 5 nodes; SlurmNodePool hpc-nodes allows 2 per cluster");
  }

  @Test
  void withoutLendingAllowedNothingIsLentAndNoPodIsEvicted() {
    var grant = PoolGrant.of("hpc", lending(null, 0), FleetFixtures.grant("rack", false, "hpc"));
    assertThat(grant.refused()).singleElement().asString().contains("does not allow lending");
    var idle = plan(grant, List.of(reserved("a1")), List.of(), Map.of("a1", NOW.minusSeconds(600)), Map.of());
    assertThat(nodesWith(idle, Action.LEND)).isEmpty();
    // A node lent before the grant changed comes back by its taint alone: its pods stay.
    var lentBefore = plan(grant, List.of(lent("a1", web("w1"))), List.of(waiting("demo-cpu-0")), Map.of(), Map.of());
    assertThat(lentBefore.evictions()).isEmpty();
    assertThat(lentBefore.moves()).singleElement().satisfies(m -> {
      assertThat(m.to()).isEqualTo(State.SLURM);
      assertThat(m.reason()).contains("allows no eviction");
    });
    var reclaimingBefore = plan(grant, List.of(reclaiming("a1", web("w1"))), List.of(waiting("demo-cpu-0")), Map.of(), Map.of());
    assertThat(reclaimingBefore.evictions()).isEmpty();
    assertThat(nodesWith(reclaimingBefore, Action.RECLAIMED)).containsExactly("a1");
  }
}
