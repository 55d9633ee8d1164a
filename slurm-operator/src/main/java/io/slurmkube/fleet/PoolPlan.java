package io.slurmkube.fleet;

import io.slurmkube.model.PoolMarks;
import io.slurmkube.api.FleetStatus;
import io.slurmkube.fleet.FleetNode.PodOnNode;
import io.slurmkube.fleet.FleetNode.Resources;
import io.slurmkube.fleet.FleetNode.WaitingPod;
import io.slurmkube.model.PoolMarks.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What to do with a Slurm pool, decided from a snapshot of the nodes and nothing else (no client,
 * no clock of its own): which nodes join or leave the pool, which idle ones are lent to Kubernetes,
 * which lent ones are taken back and which pods must be evicted for that, and the pool's status.
 *
 * <p>The rules, in the order they apply:
 * <ol>
 * <li>Only nodes the {@link PoolGrant} admits may be members: granted to the namespace by the
 *     SlurmNodePool, matching its selector and spec.fleet's, never a control-plane node. Without a
 *     grant every member leaves.</li>
 * <li>A node in another cluster's pool is never taken: it is reported as a conflict.</li>
 * <li>Members are the matching nodes, or the first {@code spec.fleet.nodes} of them: nodes already in
 *     the pool first (busiest first), then ready ones, then by name. Members that stop matching leave.</li>
 * <li>Node-set pods that the scheduler could not place are placed, on paper, on reserved nodes with
 *     room, then on nodes already being reclaimed; for those still left over, lent nodes are reclaimed
 *     (fewest pods to evict first), never more than they need.</li>
 * <li>A reclaiming node becomes reserved once its evictable pods are gone. One whose eviction was
 *     refused (a PodDisruptionBudget) stays reclaiming with the reason, and is retried each pass; it
 *     still counts as room for the pods it was reclaimed for, so a refusal does not spread the reclaim
 *     to other lent nodes. It goes back to lent when no waiting node-set pod needs it any more.</li>
 * <li>With lending on and no node-set pod waiting, a reserved node that has had no slurmd pod for
 *     {@code idleSeconds} is lent. With lending off, lent nodes are reclaimed.</li>
 * <li>When the pool does not allow lending, nothing is evicted: a lent node is taken back by its
 *     taint alone, its Kubernetes pods left running.</li>
 * </ol>
 */
public final class PoolPlan {

  public enum Action {
    /** A node joins the pool: labelled and tainted. */
    JOIN,
    /** A node leaves the pool: every mark of the operator removed. */
    LEAVE,
    /** An idle reserved node goes to Kubernetes: taint removed. */
    LEND,
    /** A lent node is taken back: tainted again; its evictable pods are evicted. */
    RECLAIM,
    /** A reclaiming node has no evictable pod left: reserved for Slurm again. */
    RECLAIMED,
    /** A reclaim that no node-set pod needs any more, and that an eviction refusal holds up, is called off. */
    CALL_OFF,
    /** A pool node's marks drifted from its state (e.g. someone removed the taint): put back. */
    REPAIR
  }

  /** One change to one node: its marks become those of {@code to} (no marks at all when null). */
  public record Move(String node, Action action, State to, String reason) {}

  public record Eviction(String node, String namespace, String pod) {}

  /**
   * Everything the plan looks at. {@code emptySince}: when each reserved node was first seen with no
   * slurmd pod; {@code blocked}: reclaiming nodes whose last eviction was refused, with the reason.
   */
  public record Input(String poolId, PoolGrant grant, List<FleetNode> nodes, List<WaitingPod> waiting,
      Map<String, Instant> emptySince, Map<String, String> blocked, Instant now) {}

  private static final Duration BUSY_RECHECK = Duration.ofSeconds(2);
  private static final Duration IDLE_RECHECK = Duration.ofSeconds(60);

  private final List<Move> moves = new ArrayList<>();
  private final List<Eviction> evictions = new ArrayList<>();
  private final Map<String, Instant> emptySince = new HashMap<>();
  private final List<String> problems = new ArrayList<>();
  /** Each member's state once the moves are made. */
  private final Map<String, State> states = new TreeMap<>();
  private final Map<String, String> reclaimNotes = new HashMap<>();
  private final java.util.Set<String> reclaimedNow = new java.util.HashSet<>();
  private int matching;
  private int wanted;
  private int unschedulable;
  private Duration recheck = IDLE_RECHECK;
  private String poolLabel;
  private PoolGrant grant;

  private PoolPlan() {}

  public List<Move> moves() { return moves; }
  public List<Eviction> evictions() { return evictions; }
  public Map<String, Instant> emptySince() { return emptySince; }
  public List<String> problems() { return problems; }
  public Duration recheck() { return recheck; }

  /** Moves that take every node out of the pool: the policy was removed or its cluster deleted. */
  public static List<Move> release(String poolId, List<FleetNode> nodes, String reason) {
    return nodes.stream().filter(n -> poolId.equals(n.pool()) || poolId.equals(n.poolTaint()))
        .sorted(Comparator.comparing(FleetNode::name))
        .map(n -> new Move(n.name(), Action.LEAVE, null, reason)).toList();
  }

  public static PoolPlan decide(Input in) {
    var plan = new PoolPlan();
    plan.run(in);
    return plan;
  }

  private void run(Input in) {
    PoolGrant grant = in.grant();
    this.grant = grant;
    String id = in.poolId();
    poolLabel = PoolMarks.POOL + "=" + id;
    Map<String, FleetNode> byName = new LinkedHashMap<>();
    in.nodes().forEach(n -> byName.put(n.name(), n));

    // 1. Who may be in the pool.
    List<FleetNode> matches = new ArrayList<>();
    List<String> controlPlane = new ArrayList<>();
    for (FleetNode n : in.nodes()) {
      if (grant.selects(n.labels())) {
        if (PoolGrant.controlPlane(n.labels())) {
          controlPlane.add(n.name());
        } else {
          matches.add(n);
        }
      }
    }
    matching = matches.size();
    List<FleetNode> candidates = new ArrayList<>();
    Map<String, List<String>> taken = new TreeMap<>();
    for (FleetNode n : matches) {
      if (n.pool() == null || n.pool().equals(id)) {
        candidates.add(n);
      } else {
        taken.computeIfAbsent(n.owner() != null ? "SlurmCluster " + n.owner() : "pool " + n.pool(), k -> new ArrayList<>())
            .add(n.name());
      }
    }
    String selector = grant.describe();
    if (!grant.usable()) {
      problems.addAll(grant.refused());
    } else if (matches.isEmpty()) {
      problems.add("no node matches SlurmNodePool " + grant.pool() + "'s selector"
          + (grant.clusterSelector() == null ? "" : " and spec.fleet.nodeSelector") + " (" + selector
          + "): a cluster administrator labels the nodes for the pool"
          + (grant.clusterSelector() == null ? "" : ", or correct spec.fleet.nodeSelector"));
    }
    if (!controlPlane.isEmpty()) {
      problems.add(controlPlane.size() + " control-plane node(s) match the selectors (" + sample(controlPlane)
          + "): control-plane nodes never join a Slurm pool");
    }
    taken.forEach((owner, names) -> problems.add(names.size() + " node(s) matching the selectors are in the pool of "
        + owner + " (" + sample(names) + "): a node belongs to one pool, so they stay there"));

    // 2. Who is in the pool.
    wanted = grant.nodes() != null ? grant.nodes() : candidates.size();
    if (!matches.isEmpty() && grant.nodes() != null && grant.nodes() > candidates.size()) {
      problems.add("the pool may have " + grant.nodes() + " nodes but only " + candidates.size() + " can join ("
          + matches.size() + " match the selectors"
          + (taken.isEmpty() ? "" : ", " + (matches.size() - candidates.size()) + " of them in other pools")
          + "): the pool has " + candidates.size());
    }
    List<FleetNode> ranked = new ArrayList<>(candidates);
    ranked.sort(Comparator.comparingInt((FleetNode n) -> keepRank(n, id)).thenComparing(FleetNode::name));
    List<FleetNode> members = ranked.subList(0, Math.min(wanted, ranked.size()));
    var memberNames = members.stream().map(FleetNode::name).collect(Collectors.toSet());
    for (FleetNode n : in.nodes()) {
      boolean ours = id.equals(n.pool()) || id.equals(n.poolTaint());
      if (ours && !memberNames.contains(n.name())) {
        String why = !grant.usable() ? grant.refused().get(0)
            : PoolGrant.controlPlane(n.labels()) ? "it is a control-plane node"
            : !grant.selects(n.labels()) ? "it no longer matches the selectors (" + selector + ")"
            : "the pool may have " + grant.nodes() + " nodes and has more";
        moves.add(new Move(n.name(), Action.LEAVE, null, "left the pool: " + why));
      }
    }
    Map<String, Boolean> moved = new HashMap<>();
    for (FleetNode n : members) {
      if (!id.equals(n.pool())) {
        moves.add(new Move(n.name(), Action.JOIN, State.SLURM, "joined the pool: it matches " + selector));
        states.put(n.name(), State.SLURM);
        moved.put(n.name(), true);
        continue;
      }
      State state = State.of(n.stateLabel());
      if (state == null) {
        moves.add(new Move(n.name(), Action.REPAIR, State.SLURM, "its slurmkube.io/pool-state label was missing or unknown"));
        state = State.SLURM;
        moved.put(n.name(), true);
      } else if (state.tainted() != id.equals(n.poolTaint())) {
        moves.add(new Move(n.name(), Action.REPAIR, state,
            state.tainted() ? "its pool taint was missing" : "it is lent but carried the pool taint"));
        moved.put(n.name(), true);
      }
      states.put(n.name(), state);
    }

    // 3. Idle clocks: since when each reserved node has had no slurmd pod.
    for (FleetNode n : members) {
      if (states.get(n.name()) == State.SLURM && n.slurmdPods() == 0) {
        emptySince.put(n.name(), in.emptySince().getOrDefault(n.name(), in.now()));
      }
    }

    // 4. Room for waiting node-set pods: reserved nodes, then nodes already being reclaimed (those
    //    whose eviction was refused last: the reclaim waits for the budget rather than spreading).
    List<WaitingPod> unplaced = new ArrayList<>();
    List<WaitingPod> waiting = in.waiting().stream().filter(WaitingPod::unschedulable)
        .sorted(Comparator.comparingLong((WaitingPod w) -> -w.requests().milliCpu())
            .thenComparingLong(w -> -w.requests().memoryBytes()).thenComparing(WaitingPod::name))
        .toList();
    unschedulable = waiting.size();
    List<Bin> bins = new ArrayList<>();
    List<Bin> blockedBins = new ArrayList<>();
    for (FleetNode n : members) {
      State s = states.get(n.name());
      if (!n.usable()) {
        continue;
      }
      if (s == State.SLURM) {
        bins.add(new Bin(n.name(), n.free()));
      } else if (s == State.RECLAIMING && !in.blocked().containsKey(n.name())) {
        bins.add(new Bin(n.name(), n.freeAfterEvictions()));
      } else if (s == State.RECLAIMING) {
        blockedBins.add(new Bin(n.name(), n.freeAfterEvictions()));
      }
    }
    bins.addAll(blockedBins);
    // A bin too small for the smallest waiting pod can take none: leave it out of the search.
    long minCpu = waiting.stream().mapToLong(w -> w.requests().milliCpu()).min().orElse(0);
    long minMemory = waiting.stream().mapToLong(w -> w.requests().memoryBytes()).min().orElse(0);
    bins.removeIf(b -> !b.free.holds(new Resources(minCpu, minMemory)));
    for (WaitingPod w : waiting) {
      if (!place(bins, w)) {
        unplaced.add(w);
      }
    }
    Map<String, Boolean> needed = new HashMap<>();
    blockedBins.forEach(b -> needed.put(b.node, b.used));

    // 5. Reclaim lent nodes for what is left over; with lending off, every lent node comes back.
    List<FleetNode> lent = members.stream()
        .filter(n -> states.get(n.name()) == State.LENT && !moved.containsKey(n.name()))
        // A node whose pods a disruption budget holds now would stall; take the others first.
        .sorted(Comparator.comparingLong(FleetNode::guardedPods)
            .thenComparingInt((FleetNode n) -> n.evictable().size()).thenComparing(FleetNode::name))
        .toList();
    var reclaimable = new java.util.LinkedList<>(lent.stream().filter(FleetNode::usable).toList());
    List<WaitingPod> stillUnplaced = new ArrayList<>();
    List<Bin> reclaimed = new ArrayList<>();
    for (WaitingPod w : unplaced) {
      if (place(reclaimed, w)) {
        continue;
      }
      FleetNode chosen = null;
      for (var it = reclaimable.iterator(); it.hasNext(); ) {
        FleetNode n = it.next();
        if (n.freeAfterEvictions().holds(w.requests())) {
          chosen = n;
          it.remove();
          break;
        }
      }
      if (chosen == null) {
        stillUnplaced.add(w);
        continue;
      }
      var bin = new Bin(chosen.name(), chosen.freeAfterEvictions());
      reclaimed.add(bin);
      place(List.of(bin), w);
      reclaim(chosen, "node-set pod " + w.name() + " waits and no reserved node has room for it");
    }
    if (!grant.lends()) {
      for (FleetNode n : lent) {
        if (states.get(n.name()) == State.LENT) {
          reclaim(n, "lending is off (spec.fleet.lending.enabled is false, or not allowed by the SlurmNodePool)");
        }
      }
    }
    if (!stillUnplaced.isEmpty()) {
      WaitingPod first = stillUnplaced.get(0);
      problems.add(stillUnplaced.size() + " node-set pod(s) wait and no pool node can take them (" + first.name()
          + " needs " + first.requests() + "): grow the pool (spec.fleet.nodes, or ask a cluster administrator for more nodes)");
    }

    // 6. Reclaiming nodes: evict, finish, or call off.
    for (FleetNode n : members) {
      if (states.get(n.name()) != State.RECLAIMING || isReclaimMove(n.name())) {
        continue;
      }
      progressReclaim(n, in.blocked().get(n.name()), grant.lends() && !needed.getOrDefault(n.name(), true));
    }

    // 7. Lend idle reserved nodes, only while no node-set pod waits for a node.
    boolean anyWaiting = !in.waiting().isEmpty();
    Duration nextLend = null;
    if (grant.lends() && !anyWaiting) {
      Duration idle = Duration.ofSeconds(grant.idleSeconds());
      for (FleetNode n : members) {
        Instant since = emptySince.get(n.name());
        if (since == null || moved.containsKey(n.name()) || !n.ready()) {
          continue;
        }
        Duration left = Duration.between(in.now(), since.plus(idle));
        if (left.isNegative() || left.isZero()) {
          moves.add(new Move(n.name(), Action.LEND, State.LENT,
              "lent to Kubernetes: no slurmd pod for " + Duration.between(since, in.now()).toSeconds() + "s"));
          states.put(n.name(), State.LENT);
          emptySince.remove(n.name());
        } else if (nextLend == null || left.compareTo(nextLend) < 0) {
          nextLend = left;
        }
      }
    }
    if (states.containsValue(State.RECLAIMING) || unschedulable > 0) {
      recheck = BUSY_RECHECK;
    } else if (nextLend != null) {
      recheck = nextLend.compareTo(IDLE_RECHECK) > 0 ? IDLE_RECHECK : nextLend.plusMillis(200);
    }
  }

  private boolean isReclaimMove(String node) {
    return reclaimedNow.contains(node);
  }

  /** Lent node back to Slurm: straight to reserved if nothing must leave it, else reclaiming. */
  private void reclaim(FleetNode n, String why) {
    reclaimedNow.add(n.name());
    List<PodOnNode> evict = n.evictable();
    if (evict.isEmpty() || !grant.mayEvict()) {
      moves.add(new Move(n.name(), Action.RECLAIM, State.SLURM, "reclaimed for Slurm: " + why
          + (evict.isEmpty() ? "" : "; its " + evict.size() + " Kubernetes pod(s) stay: the SlurmNodePool allows no eviction")));
      states.put(n.name(), State.SLURM);
      return;
    }
    moves.add(new Move(n.name(), Action.RECLAIM, State.RECLAIMING,
        "reclaiming for Slurm, evicting " + evict.size() + " pod(s): " + why));
    states.put(n.name(), State.RECLAIMING);
    evictAll(n, null);
  }

  /** {@code mayCallOff}: lending is on and no waiting node-set pod needs this node. */
  private void progressReclaim(FleetNode n, String blockedReason, boolean mayCallOff) {
    List<PodOnNode> evict = n.evictable();
    if (evict.isEmpty() || !grant.mayEvict()) {
      moves.add(new Move(n.name(), Action.RECLAIMED, State.SLURM, evict.isEmpty() ? "reclaimed for Slurm: its Kubernetes pods are gone"
          : "reclaimed for Slurm without evictions: the SlurmNodePool allows none, its Kubernetes pods stay"));
      states.put(n.name(), State.SLURM);
      return;
    }
    if (blockedReason != null && mayCallOff) {
      moves.add(new Move(n.name(), Action.CALL_OFF, State.LENT,
          "reclaim called off: no node-set pod needs it any more, and " + blockedReason));
      states.put(n.name(), State.LENT);
      return;
    }
    evictAll(n, blockedReason);
  }

  private void evictAll(FleetNode n, String blockedReason) {
    List<String> waitingFor = new ArrayList<>();
    for (PodOnNode p : n.evictable()) {
      if (p.terminating()) {
        waitingFor.add(p.ref());
      } else {
        evictions.add(new Eviction(n.name(), p.namespace(), p.name()));
      }
    }
    String note = blockedReason != null ? blockedReason
        : waitingFor.isEmpty() ? "evicting " + sample(n.evictable().stream().map(PodOnNode::ref).toList())
        : "waiting for " + waitingFor.size() + " evicted pod(s) to end: " + sample(waitingFor);
    reclaimNotes.put(n.name(), note);
  }

  /** The pool's status; {@code refusals} are eviction refusals of this pass (node -> reason), which win. */
  public FleetStatus status(Map<String, String> refusals) {
    var s = new FleetStatus();
    s.poolLabel = poolLabel;
    s.pool = grant.pool();
    s.asked = grant.asked();
    s.granted = grant.granted();
    s.refused = new ArrayList<>(grant.refused());
    s.grantedTolerations = new ArrayList<>(grant.tolerations());
    s.matchingNodes = matching;
    s.wantedNodes = wanted;
    s.poolNodes = states.size();
    s.reserved = count(State.SLURM);
    s.lent = count(State.LENT);
    s.reclaiming = count(State.RECLAIMING);
    s.waitingPods = unschedulable;
    states.forEach((node, state) -> {
      if (state == State.LENT) {
        s.lentNodes.add(node);
      } else if (state == State.RECLAIMING) {
        s.reclaimingNodes.add(new FleetStatus.NodeNote(node, refusals.getOrDefault(node, reclaimNotes.get(node))));
      }
    });
    s.problems = new ArrayList<>(problems);
    s.message = "pool " + s.poolNodes + "/" + wanted + " node(s): " + s.reserved + " reserved, " + s.lent + " lent, "
        + s.reclaiming + " reclaiming" + (unschedulable > 0 ? "; " + unschedulable + " node-set pod(s) waiting" : "")
        + (problems.isEmpty() ? "" : "; " + problems.get(0));
    return s;
  }

  private int count(State state) {
    return (int) states.values().stream().filter(x -> x == state).count();
  }

  /** Lower keeps its place first: pool members, busiest first, then ready outsiders. */
  private static int keepRank(FleetNode n, String id) {
    if (id.equals(n.pool())) {
      if (n.slurmdPods() > 0) {
        return 0;
      }
      State s = State.of(n.stateLabel());
      return s == State.LENT ? 3 : s == State.RECLAIMING ? 2 : 1;
    }
    return n.usable() ? 4 : 5;
  }

  private static String sample(List<String> names) {
    return names.size() <= 3 ? String.join(", ", names) : String.join(", ", names.subList(0, 3)) + ", ...";
  }

  private static final class Bin {
    final String node;
    Resources free;
    boolean used;

    Bin(String node, Resources free) {
      this.node = node;
      this.free = free;
    }
  }

  private static boolean place(List<Bin> bins, WaitingPod w) {
    for (Bin b : bins) {
      if (b.free.holds(w.requests())) {
        b.free = b.free.minus(w.requests());
        b.used = true;
        return true;
      }
    }
    return false;
  }
}
