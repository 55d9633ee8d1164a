package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.slurmkube.api.FleetStatus;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.fleet.PoolPlan.Action;
import io.slurmkube.fleet.PoolPlan.Eviction;
import io.slurmkube.fleet.PoolPlan.Move;
import io.slurmkube.fleet.PoolMarks.State;
import io.slurmkube.model.Labels;
import io.slurmkube.reconcile.EventRecorder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each SlurmCluster's Slurm pool as {@code spec.fleet} declares it. The decisions are
 * {@link PoolPlan}'s; this class only reads nodes and pods (from informers), writes the operator's
 * marks on nodes, evicts pods through the Eviction API, records an Event for every move and writes
 * {@code status.fleet}. It runs next to the SlurmCluster controller, on the same resources, and owns
 * nothing of theirs: a finalizer of its own (only while a pool exists) and its own status field.
 */
@ControllerConfiguration(name = FleetReconciler.NAME, triggerReconcilerOnAllEvents = true)
public class FleetReconciler implements Reconciler<SlurmCluster> {
  private static final Logger LOG = LoggerFactory.getLogger(FleetReconciler.class);
  public static final String NAME = "fleet";
  /** Held while a pool exists, so that deleting the cluster first takes the marks off its nodes. */
  public static final String FINALIZER = "slurmkube.io/fleet";
  static final String FIELD_MANAGER = "slurmkube-fleet";
  private static final String BY_NODE = "byNode";
  private static final Duration RETRY = Duration.ofSeconds(2);
  private static final Duration EVICTED_MEMORY = Duration.ofSeconds(60);

  private final KubernetesClient client;
  /** The same client without retries: a refused eviction (HTTP 429) is an answer, not a reason to wait. */
  private final KubernetesClient noRetry;
  private final EventRecorder events;
  private final Clock clock;
  /** What a pool's plan remembers between passes; lost on restart, which only delays lending. */
  private final Map<String, Memory> memory = new ConcurrentHashMap<>();
  /**
   * Nodes as this controller last wrote them, until the informer has caught up: a pass that starts
   * right after a write must not see the node as it was (and, say, reclaim a second node for the
   * same waiting pod).
   */
  private final Map<String, Node> written = new ConcurrentHashMap<>();
  private InformerEventSource<Node, SlurmCluster> nodes;
  private InformerEventSource<Pod, SlurmCluster> pods;
  /** Read when choosing which lent node to reclaim; a change triggers nothing (passes recheck). */
  private InformerEventSource<PodDisruptionBudget, SlurmCluster> budgets;

  private static final class Memory {
    Map<String, Instant> emptySince = new HashMap<>();
    Map<String, String> blocked = new HashMap<>();
    /** Last refusal warned about, per pod, so a blocked eviction is one Warning, not one per pass. */
    final Map<String, String> warned = new HashMap<>();
    /** Pods evicted lately: not evicted again while the informer has not seen them go. */
    final Map<String, Instant> evicted = new HashMap<>();
  }

  public FleetReconciler(KubernetesClient client, EventRecorder events, Clock clock) {
    this.client = client;
    this.noRetry = client.newClient(new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
        .withRequestRetryBackoffLimit(0).build()).adapt(KubernetesClient.class);
    this.events = events;
    this.clock = clock;
  }

  @Override
  public UpdateControl<SlurmCluster> reconcile(SlurmCluster cluster, Context<SlurmCluster> context) {
    String poolId = PoolMarks.poolId(cluster);
    if (context.isPrimaryResourceDeleted()) {
      // Deleted without our finalizer: it never had a pool, or lost it; take off whatever is left.
      release(cluster, "its SlurmCluster was deleted", false);
      memory.remove(poolId);
      return UpdateControl.noUpdate();
    }
    boolean deleting = cluster.isMarkedForDeletion();
    if (deleting || cluster.getSpec().fleet == null) {
      boolean released = release(cluster, deleting ? "its SlurmCluster is being deleted" : "spec.fleet was removed", !deleting);
      memory.remove(poolId);
      if (!released) {
        return UpdateControl.<SlurmCluster>noUpdate().rescheduleAfter(RETRY);
      }
      if (!deleting && cluster.getStatus() != null && cluster.getStatus().fleet != null) {
        patchStatus(cluster, null);
      }
      if (cluster.hasFinalizer(FINALIZER)) {
        PrimaryUpdateAndCacheUtils.removeFinalizer(context, FINALIZER);
      }
      return UpdateControl.noUpdate();
    }
    if (!cluster.hasFinalizer(FINALIZER)) {
      PrimaryUpdateAndCacheUtils.addFinalizer(context, FINALIZER);
    }

    Memory mem = memory.computeIfAbsent(poolId, k -> new Memory());
    List<FleetNode> views = views(cluster);
    List<FleetNode.WaitingPod> waiting = pods.list(cluster.getMetadata().getNamespace(),
            p -> NodeViews.isNodeSetPod(p, cluster) && p.getSpec().getNodeName() == null
                && p.getMetadata().getDeletionTimestamp() == null)
        .map(NodeViews::waiting).toList();
    Instant now = clock.instant();
    PoolPlan plan = PoolPlan.decide(new PoolPlan.Input(poolId, cluster.getSpec().fleet, views, waiting,
        mem.emptySince, mem.blocked, now));
    mem.emptySince = new HashMap<>(plan.emptySince());

    List<String> problems = new ArrayList<>(plan.problems());
    boolean retry = false;
    Set<String> failed = new HashSet<>();
    for (Move move : plan.moves()) {
      switch (write(move, poolId, PoolMarks.owner(cluster))) {
        case WRITTEN -> events.normal(cluster, eventReason(move), "Node " + move.node() + " " + move.reason());
        case OTHER_POOL -> {
          problems.add("node " + move.node() + " was taken by another pool before this one could mark it");
          failed.add(move.node());
        }
        case CONFLICT -> {
          retry = true;
          failed.add(move.node());
        }
        case UNCHANGED, GONE -> { }
      }
    }
    Map<String, String> refusals = evict(cluster, plan.evictions(), failed, mem);
    mem.blocked = refusals;

    FleetStatus status = plan.status(refusals);
    if (!problems.equals(plan.problems())) {
      status.problems = problems;
    }
    warnAboutNewProblems(cluster, status.problems);
    if (!sameStatus(cluster, status)) {
      patchStatus(cluster, status);
    }
    Duration next = retry ? RETRY : plan.recheck();
    return UpdateControl.<SlurmCluster>noUpdate().rescheduleAfter(next);
  }

  // ---------------------------------------------------------------- reading

  private List<FleetNode> views(SlurmCluster cluster) {
    written.keySet().removeIf(name -> nodes.get(new ResourceID(name)).isEmpty());
    Map<String, List<PodDisruptionBudget>> budgetsByNamespace = new HashMap<>();
    Predicate<Pod> guarded = p -> NodeViews.guarded(p, budgetsByNamespace.computeIfAbsent(
        p.getMetadata().getNamespace(), ns -> budgets.list(ns).toList()));
    return nodes.list(n -> true).map(this::latest)
        .map(n -> NodeViews.node(n, pods.byIndex(BY_NODE, n.getMetadata().getName()), cluster, guarded))
        .toList();
  }

  /** The informer's node, or the one this controller wrote if the informer has not seen it yet. */
  private Node latest(Node cached) {
    String name = cached.getMetadata().getName();
    Node mine = written.get(name);
    if (mine == null) {
      return cached;
    }
    if (notOlder(cached, mine)) {
      written.remove(name, mine);
      return cached;
    }
    return mine;
  }

  /** resourceVersions are etcd revisions; when one is not a number, the informer is trusted. */
  static boolean notOlder(Node a, Node b) {
    try {
      return Long.parseLong(a.getMetadata().getResourceVersion()) >= Long.parseLong(b.getMetadata().getResourceVersion());
    } catch (NumberFormatException e) {
      return true;
    }
  }

  // ---------------------------------------------------------------- writing nodes

  enum Outcome { WRITTEN, UNCHANGED, OTHER_POOL, CONFLICT, GONE }

  /**
   * Gives one node the marks of its new state (or none), read-modify-write with the node's
   * resourceVersion, so that a concurrent writer (the kubelet, another pool's controller) is never
   * overwritten: on a conflict the node is read again, and a node another pool took is left alone.
   */
  private Outcome write(Move move, String poolId, String owner) {
    for (int attempt = 0; attempt < 3; attempt++) {
      Node node = client.nodes().withName(move.node()).get();
      if (node == null) {
        return Outcome.GONE;
      }
      Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
      String pool = labels.get(PoolMarks.POOL);
      if (pool != null && !pool.equals(poolId)) {
        return Outcome.OTHER_POOL;
      }
      Node desired = marked(node, poolId, owner, move.to());
      if (Objects.equals(desired.getMetadata().getLabels(), node.getMetadata().getLabels())
          && Objects.equals(desired.getMetadata().getAnnotations(), node.getMetadata().getAnnotations())
          && Objects.equals(desired.getSpec().getTaints(), node.getSpec().getTaints())) {
        return Outcome.UNCHANGED;
      }
      try {
        written.put(move.node(), client.nodes().resource(desired).update());
        return Outcome.WRITTEN;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        LOG.debug("node changed while marking it, reading it again node={}", move.node());
      }
    }
    return Outcome.CONFLICT;
  }

  /** The node with the operator's marks for {@code state}, or without any of them when state is null. */
  static Node marked(Node node, String poolId, String owner, State state) {
    Node copy = new NodeBuilder(node).build();
    Map<String, String> labels = new LinkedHashMap<>(node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels());
    Map<String, String> annotations = new LinkedHashMap<>(node.getMetadata().getAnnotations() == null ? Map.of() : node.getMetadata().getAnnotations());
    List<Taint> taints = new ArrayList<>(node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints());
    taints.removeIf(t -> PoolMarks.POOL.equals(t.getKey()));
    if (state == null) {
      labels.remove(PoolMarks.POOL);
      labels.remove(PoolMarks.STATE);
      annotations.remove(PoolMarks.OWNER);
    } else {
      labels.put(PoolMarks.POOL, poolId);
      labels.put(PoolMarks.STATE, state.label);
      annotations.put(PoolMarks.OWNER, owner);
      if (state.tainted()) {
        taints.add(PoolMarks.taint(poolId));
      }
    }
    copy.getMetadata().setLabels(labels);
    copy.getMetadata().setAnnotations(annotations);
    // Compare equal to an untouched node: a node without taints has none, not an empty list.
    copy.getSpec().setTaints(taints.isEmpty() && node.getSpec().getTaints() == null ? null : taints);
    return copy;
  }

  /** Takes the pool's marks off every node that carries them; true when none is left. */
  private boolean release(SlurmCluster cluster, String reason, boolean withEvents) {
    String poolId = PoolMarks.poolId(cluster);
    List<FleetNode> marked = nodes.list(n -> true).map(this::latest).filter(n -> n.getMetadata().getLabels() != null
            && poolId.equals(n.getMetadata().getLabels().get(PoolMarks.POOL))
            || n.getSpec().getTaints() != null && n.getSpec().getTaints().stream()
                .anyMatch(t -> PoolMarks.POOL.equals(t.getKey()) && poolId.equals(t.getValue())))
        .map(n -> NodeViews.node(n, List.of(), cluster, p -> false)).toList();
    boolean done = true;
    for (Move move : PoolPlan.release(poolId, marked, "left the pool: " + reason)) {
      Outcome outcome = write(move, poolId, PoolMarks.owner(cluster));
      if (outcome == Outcome.CONFLICT) {
        done = false;
      } else if (outcome == Outcome.WRITTEN && withEvents) {
        events.normal(cluster, eventReason(move), "Node " + move.node() + " " + move.reason());
      }
    }
    return done;
  }

  static String eventReason(Move move) {
    return switch (move.action()) {
      case JOIN -> "PoolNodeAdded";
      case LEAVE -> "PoolNodeReleased";
      case LEND -> "PoolNodeLent";
      case RECLAIM -> move.to() == State.SLURM ? "PoolNodeReclaimed" : "PoolNodeReclaiming";
      case RECLAIMED -> "PoolNodeReclaimed";
      case CALL_OFF -> "PoolReclaimCalledOff";
      case REPAIR -> "PoolNodeRepaired";
    };
  }

  // ---------------------------------------------------------------- evictions

  /** Evicts through the Eviction API, so PodDisruptionBudgets decide; returns refusals per node. */
  private Map<String, String> evict(SlurmCluster cluster, List<Eviction> evictions, Set<String> skip, Memory mem) {
    Map<String, String> refusals = new HashMap<>();
    Instant now = clock.instant();
    mem.evicted.values().removeIf(at -> at.isBefore(now.minus(EVICTED_MEMORY)));
    for (Eviction e : evictions) {
      String ref = e.namespace() + "/" + e.pod();
      if (skip.contains(e.node()) || mem.evicted.containsKey(ref)) {
        continue;
      }
      var body = new EvictionBuilder().withNewMetadata().withName(e.pod()).withNamespace(e.namespace()).endMetadata().build();
      try {
        noRetry.raw(client.getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/" + e.namespace()
            + "/pods/" + e.pod() + "/eviction", "POST", body);
        mem.warned.remove(ref);
        mem.evicted.put(ref, now);
        events.normal(cluster, "PodEvicted", "Evicted pod " + ref + " from node " + e.node() + " to reclaim the node for Slurm");
      } catch (KubernetesClientException ex) {
        if (ex.getCode() == 404) {
          continue; // already gone
        }
        String reason = "pod " + ref + " may not be evicted: " + refusal(ex);
        refusals.merge(e.node(), reason, (a, b) -> a);
        if (!reason.equals(mem.warned.put(ref, reason))) {
          events.warning(cluster, "EvictionBlocked", "Node " + e.node() + " stays reclaiming: " + reason);
        }
      }
    }
    return refusals;
  }

  /** The API server's words for a refused eviction, e.g. which disruption budget said no. */
  static String refusal(KubernetesClientException e) {
    var status = e.getStatus();
    if (status == null) {
      return e.getMessage();
    }
    String message = status.getMessage() == null ? "" : status.getMessage().strip();
    if (status.getDetails() != null && status.getDetails().getCauses() != null) {
      String causes = status.getDetails().getCauses().stream().map(StatusCause::getMessage)
          .filter(Objects::nonNull).collect(Collectors.joining("; "));
      if (!causes.isEmpty()) {
        message += " (" + causes + ")";
      }
    }
    return message + (e.getCode() == 429 ? " [HTTP 429: a PodDisruptionBudget allows no disruption now]" : "");
  }

  // ---------------------------------------------------------------- status

  private void warnAboutNewProblems(SlurmCluster cluster, List<String> problems) {
    List<String> before = cluster.getStatus() == null || cluster.getStatus().fleet == null
        ? List.of() : cluster.getStatus().fleet.problems;
    for (String p : problems) {
      if (before == null || !before.contains(p)) {
        events.warning(cluster, "FleetProblem", p);
      }
    }
  }

  private boolean sameStatus(SlurmCluster cluster, FleetStatus status) {
    if (cluster.getStatus() == null || cluster.getStatus().fleet == null) {
      return false;
    }
    var json = client.getKubernetesSerialization();
    return json.asJson(cluster.getStatus().fleet).equals(json.asJson(status));
  }

  /**
   * Server-side apply of status.fleet alone, under this controller's own field manager: the
   * SlurmCluster controller's status fields are neither sent nor touched. Null removes status.fleet.
   */
  private void patchStatus(SlurmCluster cluster, FleetStatus fleet) {
    Map<String, Object> status = new LinkedHashMap<>();
    if (fleet != null) {
      status.put("fleet", fleet);
    }
    var body = new GenericKubernetesResourceBuilder()
        .withApiVersion(cluster.getApiVersion()).withKind(cluster.getKind())
        .withNewMetadata().withName(cluster.getMetadata().getName()).withNamespace(cluster.getMetadata().getNamespace()).endMetadata()
        .addToAdditionalProperties("status", status)
        .build();
    try {
      client.genericKubernetesResources(cluster.getApiVersion(), cluster.getKind())
          .inNamespace(cluster.getMetadata().getNamespace()).withName(cluster.getMetadata().getName())
          .subresource("status")
          .patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
              .withFieldManager(FIELD_MANAGER).withForce(true).build(), client.getKubernetesSerialization().asJson(body));
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  // ---------------------------------------------------------------- event sources

  @Override
  public List<EventSource<?, SlurmCluster>> prepareEventSources(EventSourceContext<SlurmCluster> context) {
    nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, SlurmCluster.class)
        .withName("fleet-nodes")
        .withWatchAllNamespaces()
        .withFollowControllerNamespacesChanges(false)
        .withSecondaryToPrimaryMapper(node -> clustersFor(node, context))
        .withOnUpdateFilter(FleetReconciler::relevantNodeChange)
        .build(), context);
    pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, SlurmCluster.class)
        .withName("fleet-pods")
        .withWatchAllNamespaces()
        .withFollowControllerNamespacesChanges(false)
        .withSecondaryToPrimaryMapper(this::clustersForPod)
        .withOnUpdateFilter(FleetReconciler::relevantPodChange)
        .build(), context);
    pods.addIndexers(Map.of(BY_NODE, p -> p.getSpec().getNodeName() == null ? List.of() : List.of(p.getSpec().getNodeName())));
    budgets = new InformerEventSource<>(InformerEventSourceConfiguration.from(PodDisruptionBudget.class, SlurmCluster.class)
        .withName("fleet-budgets")
        .withWatchAllNamespaces()
        .withFollowControllerNamespacesChanges(false)
        .withSecondaryToPrimaryMapper(budget -> Set.of())
        .build(), context);
    return List.of(nodes, pods, budgets);
  }

  /** A node matters to the cluster whose pool it is in, and to every cluster with a fleet policy (it may join). */
  private static Set<ResourceID> clustersFor(Node node, EventSourceContext<SlurmCluster> context) {
    Set<ResourceID> ids = new HashSet<>();
    ResourceID owner = owner(node);
    if (owner != null) {
      ids.add(owner);
    }
    context.getPrimaryCache().list(c -> c.getSpec() != null && c.getSpec().fleet != null)
        .forEach(c -> ids.add(ResourceID.fromResource(c)));
    return ids;
  }

  private Set<ResourceID> clustersForPod(Pod pod) {
    Set<ResourceID> ids = new HashSet<>();
    Map<String, String> labels = pod.getMetadata().getLabels();
    if (labels != null && Labels.Component.NODE.equals(labels.get(Labels.COMPONENT)) && labels.get(Labels.INSTANCE) != null) {
      ids.add(new ResourceID(labels.get(Labels.INSTANCE), pod.getMetadata().getNamespace()));
    }
    String nodeName = pod.getSpec().getNodeName();
    if (nodeName != null && nodes != null) {
      nodes.get(new ResourceID(nodeName)).map(FleetReconciler::owner).ifPresent(ids::add);
    }
    return ids;
  }

  private static ResourceID owner(Node node) {
    var meta = node.getMetadata();
    if (meta.getLabels() == null || meta.getLabels().get(PoolMarks.POOL) == null || meta.getAnnotations() == null) {
      return null;
    }
    String owner = meta.getAnnotations().get(PoolMarks.OWNER);
    int slash = owner == null ? -1 : owner.indexOf('/');
    return slash < 0 ? null : new ResourceID(owner.substring(slash + 1), owner.substring(0, slash));
  }

  /** Heartbeats and image lists change nodes all the time; only these change a plan. */
  static boolean relevantNodeChange(Node now, Node before) {
    return !Objects.equals(now.getMetadata().getLabels(), before.getMetadata().getLabels())
        || !Objects.equals(now.getMetadata().getAnnotations() == null ? null : now.getMetadata().getAnnotations().get(PoolMarks.OWNER),
            before.getMetadata().getAnnotations() == null ? null : before.getMetadata().getAnnotations().get(PoolMarks.OWNER))
        || !Objects.equals(now.getSpec().getTaints(), before.getSpec().getTaints())
        || !Objects.equals(now.getSpec().getUnschedulable(), before.getSpec().getUnschedulable())
        || NodeViews.ready(now) != NodeViews.ready(before)
        || !Objects.equals(now.getStatus() == null ? null : now.getStatus().getAllocatable(),
            before.getStatus() == null ? null : before.getStatus().getAllocatable());
  }

  static boolean relevantPodChange(Pod now, Pod before) {
    return !Objects.equals(now.getSpec().getNodeName(), before.getSpec().getNodeName())
        || (now.getMetadata().getDeletionTimestamp() == null) != (before.getMetadata().getDeletionTimestamp() == null)
        || NodeViews.terminal(now) != NodeViews.terminal(before)
        || NodeViews.waiting(now).unschedulable() != NodeViews.waiting(before).unschedulable();
  }
}
