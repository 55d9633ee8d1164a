package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetStatus;
import io.slurmkube.api.SlurmCluster;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.slurmkube.api.UpdateStrategySpec;
import io.slurmkube.autoscale.DrainingScaleDown;
import io.slurmkube.autoscale.QueueDemand;
import io.slurmkube.autoscale.PodReplacement;
import io.slurmkube.model.DisruptionBudgetBuilder;
import io.slurmkube.autoscale.NodeSetView;
import io.slurmkube.autoscale.ScalePolicy;
import io.slurmkube.autoscale.ScalerArbitration;
import io.slurmkube.model.ClusterModel;
import io.slurmkube.metrics.SlurmMetrics;
import io.slurmkube.model.GpuClaimBuilder;
import io.slurmkube.model.Labels;
import io.slurmkube.model.NodePodBuilder;
import io.slurmkube.slurm.SlurmClient;
import io.slurmkube.slurm.SlurmConnections;
import io.slurmkube.slurm.SlurmException;
import io.slurmkube.slurm.SlurmNode;
import io.slurmkube.slurm.SlurmUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a NodeSet's slurmd pods at spec.replicas, and moves spec.replicas with the Slurm queue when
 * the node set autoscales. It creates the pods itself (not through a StatefulSet) so that a
 * scale-down removes only nodes Slurm has drained. Steps, in order: look at Slurm, autoscale,
 * resume or create pods, drain and delete pods, delete records of nodes whose pods are gone, status.
 */
// Every event, deletions included: a NodeSet being deleted still reaches reconcile (see NodeSetDeletion).
@ControllerConfiguration(name = "nodeset", triggerReconcilerOnAllEvents = true)
public class NodeSetReconciler implements Reconciler<NodeSet> {
  private static final Logger LOG = LoggerFactory.getLogger(NodeSetReconciler.class);
  /**
   * How often an autoscaling node set passes: idle timers, drains and jobs that became eligible are
   * seen within this. A newly pending job wakes it sooner ({@link QueueWatch}).
   */
  static final Duration AUTOSCALE_PERIOD = Duration.ofMillis(500);

  private final KubernetesClient client;
  private final EventRecorder events;
  private final SlurmConnections slurm;
  private final Clock clock;
  private final ScalerArbiter scalers;
  private static final String BY_NODE = "byKubernetesNode";
  /** Kubernetes nodes, from an informer: which ones are cordoned. */
  private InformerEventSource<Node, NodeSet> kubeNodes;
  private final SlurmMetrics metrics;
  /** What this process remembers about each NodeSet between passes. */
  private final Map<ResourceID, Memory> memory = new ConcurrentHashMap<>();
  /** Pods created or deleted here that the informer has not shown yet. */
  private final PodExpectations expectations = new PodExpectations();
  /** The deletion path: drain, delete idle pods, then let the NodeSet go. */
  private final NodeSetDeletion deletion;
  /** Wakes autoscaling node sets when a new job is pending, between their periodic passes. */
  private final QueueWatch queueWatch;
  /**
   * Set when the operator begins to stop. JOSDK stops the informers before it waits for the passes
   * in flight, and a stopped informer lists no pod: a pass that went on would take every node for
   * one whose pod is gone (drain it, delete its record) and make new pods. Checked after each read
   * of the pod cache, before acting on it; the flag is set before the informers stop.
   */
  private volatile boolean stopping;

  public NodeSetReconciler(KubernetesClient client, EventRecorder events, SlurmConnections slurm, Clock clock) {
    this(client, events, slurm, clock, SlurmMetrics.unserved());
  }

  public NodeSetReconciler(KubernetesClient client, EventRecorder events, SlurmConnections slurm, Clock clock,
      SlurmMetrics metrics) {
    this.metrics = metrics;
    this.client = client;
    this.events = events;
    this.slurm = slurm;
    this.clock = clock;
    this.deletion = new NodeSetDeletion(client, events, slurm, clock);
    this.scalers = new ScalerArbiter(events, clock);
    this.queueWatch = new QueueWatch(cluster -> {
      if (slurm == null) {
        throw new SlurmUnavailableException("no Slurm connection configured", null);
      }
      SlurmClient reads = slurm.forCluster(cluster);
      // A slurmrestd listing (the queue reader is down) costs seconds: the passes keep one going already.
      return reads.queueReadIsCheap() ? reads.freshQueue().jobs() : null;
    });
  }

  /** Called before the operator stops: passes from now on act on nothing (see {@link #stopping}). */
  public void stopping() {
    stopping = true;
  }

  /** Slurm as seen during one reconcile, or why it could not be seen. */
  private record SlurmView(SlurmClient client, List<SlurmNode> nodes, String problem) {
    boolean available() {
      return problem == null;
    }
  }

  @Override
  public UpdateControl<NodeSet> reconcile(NodeSet nodeSet, Context<NodeSet> context) {
    if (context.isPrimaryResourceDeleted()) {
      forget(nodeSet);
      return UpdateControl.noUpdate();
    }
    SlurmCluster owner = context.getSecondaryResource(SlurmCluster.class).orElse(null);
    if (NodeSetDeletion.applies(nodeSet, owner)) {
      List<Pod> all = List.copyOf(context.getSecondaryResources(Pod.class));
      return stopping ? UpdateControl.noUpdate() : deletion.reconcile(nodeSet, owner, all);
    }
    if (!deletion.ensureFinalizer(nodeSet)) {
      return UpdateControl.<NodeSet>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
    }
    // What the status was, to send no patch when a pass changes nothing (an autoscaling set passes twice a second).
    String statusBefore = StatusPatch.json(client, nodeSet.getStatus());
    var status = nodeSet.getStatus() == null ? new NodeSetStatus() : nodeSet.getStatus();
    nodeSet.setStatus(status);
    status.observedGeneration = nodeSet.getMetadata().getGeneration();
    status.selector = Labels.nodeSetSelector(nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName)
        .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));

    // From the informer (every pass of every node set used to GET it): a cluster change wakes its node sets.
    SlurmCluster cluster = context.getSecondaryResource(SlurmCluster.class).orElse(null);
    if (cluster == null) {
      status.conditions = Conditions.set(status.conditions, generation(nodeSet), Conditions.READY, false, "ClusterNotFound",
          "SlurmCluster " + nodeSet.getSpec().clusterName + " (spec.clusterName) does not exist in this namespace");
      return UpdateControl.patchStatus(StatusPatch.of(nodeSet, new NodeSet(), status));
    }
    if (nodeSet.getSpec().autoscales()) {
      queueWatch.watch(cluster, ResourceID.fromResource(nodeSet));
    } else {
      queueWatch.unwatch(ResourceID.fromResource(nodeSet));
    }
    List<Pod> pods = expectations.adjust(activePods(context), p -> isOwnedBy(p, nodeSet), clock.instant()).stream()
        .sorted(Comparator.comparingInt(NodePodBuilder::ordinal)).toList();
    if (stopping) {
      return UpdateControl.noUpdate();
    }
    var steps = new PassTimer();
    SlurmView view = lookAtSlurm(cluster, nodeSet);
    steps.lap("look at Slurm");
    var model = new ClusterModel(cluster);
    // One revision a pass, compared with what each pod was stamped with when it was made.
    String revision = NodePodBuilder.revision(model, nodeSet);
    Set<String> outdated = pods.stream().filter(p -> !NodePodBuilder.isCurrent(p, revision))
        .map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    List<PodReplacement.Retiring> retiring = retiring(nodeSet, pods, outdated);
    Set<String> retiringNames = retiring.stream().map(r -> r.pod().getMetadata().getName()).collect(Collectors.toSet());

    // Drained by this operator, pod still wanted: resumed below if the pods do not outnumber the replicas.
    List<SlurmNode> resumable = resumable(view, pods, retiringNames);
    // An HPA or a recent manual scale drives the replicas instead; the draining scale-down below still applies.
    if (nodeSet.getSpec().autoscales() && scalers.judge(nodeSet, context).queueScales() && view.available()) {
      autoscale(cluster, nodeSet, pods, view, resumable);
      steps.lap("autoscale");
    }
    int desired = nodeSet.getSpec().replicas == null ? 0 : nodeSet.getSpec().replicas;
    if (pods.size() <= desired && view.available()) {
      resumeOwnDrains(nodeSet, view, pods, resumable);
      steps.lap("resume own drains");
    }
    if (nodeSet.getSpec().gpus != null && nodeSet.getSpec().gpus > 0) {
      // Each pod's claim comes from this template; written before any pod refers to it.
      ensureClaimTemplate(nodeSet, pods.size() < desired);
    }
    List<String> problems = new java.util.ArrayList<>(NodePodBuilder.problems(model, nodeSet));
    if (!problems.isEmpty()) {
      if (pods.size() < desired) {
        events.warning(nodeSet, "InvalidTemplate", "not creating pods: " + String.join("; ", problems));
      }
    } else if (pods.size() < desired) {
      createPods(model, nodeSet, pods, desired - pods.size()).ifPresent(problems::add);
    } else if (pods.size() > desired) {
      scaleDown(nodeSet, pods, view, pods.size() - desired);
    } else if (view.available() && !retiring.isEmpty()) {
      replace(nodeSet, pods, view, retiring, desired);
    }
    steps.lap("pods");
    if (view.available()) {
      protectJobs(nodeSet, pods, view);
      steps.lap("protect jobs");
    }
    // What the informer holds now (terminating pods included): no LIST on this every-second path.
    List<Pod> cached = List.copyOf(context.getSecondaryResources(Pod.class));
    if (stopping) {
      return UpdateControl.noUpdate();
    }
    if (view.available()) {
      drainNodesOfLeavingPods(nodeSet, view, cached);
      deleteRecordsOfRemovedPods(nodeSet, view, cached);
      steps.lap("leaving pods");
    }
    steps.warnIfSlow(LOG, nodeSet.getMetadata().getNamespace() + "/" + nodeSet.getMetadata().getName());
    updateStatus(nodeSet, desired, view, cached, problems, retiring, outdated);
    metrics.nodeSet(nodeSet.getMetadata().getNamespace(), nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName,
        view.nodes(), desired, pods.size());
    Duration next = nodeSet.getSpec().autoscales() ? AUTOSCALE_PERIOD : Duration.ofSeconds(15);
    if (statusBefore.equals(StatusPatch.json(client, status))) {
      return UpdateControl.<NodeSet>noUpdate().rescheduleAfter(next);
    }
    return UpdateControl.patchStatus(StatusPatch.of(nodeSet, new NodeSet(), status)).rescheduleAfter(next);
  }

  // ---------------------------------------------------------------- steps

  /**
   * Makes the node set's GPU claim template ask for what the spec says. Read only when it may be
   * missing or stale (what it asks was not yet seen in place, or pods are about to be made from it),
   * not on every pass of an autoscaling node set.
   */
  private void ensureClaimTemplate(NodeSet nodeSet, boolean creatingPods) {
    var template = GpuClaimBuilder.build(nodeSet);
    var asks = GpuClaimBuilder.asks(template);
    Memory remembered = memory(nodeSet);
    if (asks.equals(remembered.claimTemplateAsks) && !creatingPods) {
      return;
    }
    var existing = client.resource(template).get();
    boolean current = existing != null && asks.equals(GpuClaimBuilder.asks(existing));
    if (existing != null && !current) {
      // A claim template's spec cannot change: a new GPU count or DeviceClass takes a new one.
      // The claims made from the old one are their pods' own and stay; new pods claim anew.
      client.resource(existing).delete();
      events.normal(nodeSet, "GpuClaimTemplateReplaced", "Replaced claim template " + GpuClaimBuilder.templateName(nodeSet)
          + ": new pods claim " + nodeSet.getSpec().gpus + " GPU(s) of DeviceClass " + nodeSet.getSpec().deviceClassName);
    }
    if (!current) {
      client.resource(template).fieldManager(Applier.FIELD_MANAGER).forceConflicts().serverSideApply();
    }
    remembered.claimTemplateAsks = asks;
  }

  private SlurmView lookAtSlurm(SlurmCluster cluster, NodeSet nodeSet) {
    if (slurm == null) {
      return new SlurmView(null, List.of(), "no Slurm connection configured");
    }
    try {
      SlurmClient c = slurm.forCluster(cluster);
      // Exactly this node set's nodes: "cpu" must not take "cpu-big-0" for one of its own.
      List<SlurmNode> nodes = c.nodes().stream().filter(n -> NodePodBuilder.isNodeOf(nodeSet, n.name())).toList();
      return new SlurmView(c, nodes, null);
    } catch (SlurmException e) {
      return new SlurmView(null, List.of(), e.getMessage());
    }
  }

  private void autoscale(SlurmCluster cluster, NodeSet nodeSet, List<Pod> pods, SlurmView view,
      List<SlurmNode> resumable) {
    var spec = nodeSet.getSpec();
    Instant now = clock.instant();
    Map<String, Instant> idleSince = memory(nodeSet).idleSince;
    Map<String, Instant> busySince = memory(nodeSet).busySince;
    for (SlurmNode node : view.nodes()) {
      if (node.isIdle()) {
        idleSince.putIfAbsent(node.name(), now);
      } else {
        idleSince.remove(node.name());
      }
      if (node.isBusy()) {
        busySince.putIfAbsent(node.name(), now);
      } else {
        busySince.remove(node.name());
      }
    }
    busySince.keySet().retainAll(view.nodes().stream().map(SlurmNode::name).toList());
    Set<String> partitions = cluster.getSpec().partitions.stream()
        .filter(p -> p.nodeSets.contains(spec.nodeSetName)).map(p -> p.name).collect(Collectors.toSet());
    Set<String> features = new LinkedHashSet<>();
    features.add(spec.nodeSetName);
    features.addAll(spec.features);
    int current = spec.replicas == null ? 0 : spec.replicas;
    var nodeSetView = new NodeSetView(spec.nodeSetName, partitions, features, spec.cpus, spec.gpus,
        spec.minReplicas == null ? 0 : spec.minReplicas, spec.maxReplicas, current, pods.size(), view.nodes());
    List<io.slurmkube.slurm.SlurmJob> jobs;
    int busySinceRead;
    try {
      var queue = view.client().activeQueue();
      jobs = queue.jobs();
      // Seen busy first after the listing (less the time between two looks): such a node may run
      // a job the listing shows pending.
      Instant seenAfter = queue.readAt().minus(AUTOSCALE_PERIOD).minus(SlurmConnections.SHARED_READ_AGE);
      busySinceRead = (int) busySince.values().stream().filter(t -> !t.isBefore(seenAfter)).count();
    } catch (SlurmException e) {
      nodeSet.getStatus().lastScaleDecision = "not scaling: cannot read the Slurm queue: " + e.getMessage();
      return;
    }
    // Where the queue came from when not the queue reader, or that Slurm answers slowly.
    String queueNote = view.client().queueNote();
    // A job that an autoscaling node set listed earlier in the cluster could run is that set's to scale for.
    metrics.queue(cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), jobs, now);
    jobs = QueueDemand.unclaimed(earlierNodeSets(cluster, spec.nodeSetName), jobs, now);
    // Nodes this pass will resume (a new pod re-registering under the record its predecessor's
    // scale-down drained, or a called-off scale-down) are capacity on its way, not a reason for
    // one more pod; resumeOwnDrains runs below whenever the pods do not outnumber the replicas.
    int resuming = pods.size() > current ? 0 : resumable.size();
    var decision = ScalePolicy.decide(nodeSetView, jobs, busySinceRead + resuming, idleSince,
        Duration.ofSeconds(spec.scaleDownDelaySeconds == null ? 60 : spec.scaleDownDelaySeconds), now);
    int policyHeld = QueueDemand.waitingForPolicy(nodeSetView, jobs, now);
    nodeSet.getStatus().jobsWaitingForPolicy = policyHeld;
    nodeSet.getStatus().lastScaleDecision = decision.reason()
        + (policyHeld == 0 ? "" : "; " + policyHeld + " job(s) wait for an account or QOS limit, not for nodes")
        + (queueNote == null ? "" : " (" + queueNote + ")");
    if (decision.changes(current)) {
      // A merge patch without resourceVersion (no read-modify-write to conflict), under a field manager
      // of its own, so that managedFields tell its writes from kubectl scale's.
      client.resources(NodeSet.class).inNamespace(nodeSet.getMetadata().getNamespace())
          .withName(nodeSet.getMetadata().getName())
          .patch(new PatchContext.Builder().withPatchType(PatchType.JSON_MERGE)
              .withFieldManager(ScalerArbitration.AUTOSCALER_MANAGER).build(),
              "{\"spec\":{\"replicas\":" + decision.replicas() + "}}");
      spec.replicas = decision.replicas();
      metrics.scaleDecision(nodeSet.getMetadata().getNamespace(), spec.clusterName, spec.nodeSetName, current,
          decision.replicas(), QueueDemand.eligible(nodeSetView, jobs, now), now);
      events.normal(nodeSet, decision.replicas() > current ? "ScaledUp" : "ScaledDown",
          "replicas " + current + " -> " + decision.replicas() + ": " + decision.reason());
    }
  }

  /**
   * Nodes this operator drained for a scale-down whose pods are still wanted; not those being
   * replaced (outdated, or on a cordoned Kubernetes node).
   */
  private static List<SlurmNode> resumable(SlurmView view, List<Pod> pods, Set<String> retiring) {
    Set<String> active = pods.stream().map(p -> p.getMetadata().getName()).filter(n -> !retiring.contains(n))
        .collect(Collectors.toSet());
    return view.nodes().stream().filter(n -> DrainingScaleDown.mayResume(n, active)).toList();
  }

  /** The autoscaling node sets listed before this one in spec.nodeSets, as the queue sees them. */
  private static List<NodeSetView> earlierNodeSets(SlurmCluster cluster, String nodeSetName) {
    List<NodeSetView> earlier = new java.util.ArrayList<>();
    for (var entry : cluster.getSpec().nodeSets) {
      if (entry.name.equals(nodeSetName)) {
        break;
      }
      if (!entry.autoscales()) {
        continue;
      }
      Set<String> partitions = cluster.getSpec().partitions.stream()
          .filter(p -> p.nodeSets.contains(entry.name)).map(p -> p.name).collect(Collectors.toSet());
      Set<String> features = new LinkedHashSet<>();
      features.add(entry.name);
      features.addAll(entry.features);
      earlier.add(new NodeSetView(entry.name, partitions, features, entry.cpus, entry.gpus,
          entry.minReplicas == null ? 0 : entry.minReplicas, entry.maxReplicas, 0, 0, List.of()));
    }
    return earlier;
  }

  /** Nodes this operator drained for a scale-down that is no longer wanted go back to work. */
  private void resumeOwnDrains(NodeSet nodeSet, SlurmView view, List<Pod> pods, List<SlurmNode> resumable) {
    for (SlurmNode node : resumable) {
      // Protected from eviction before Slurm may start a job on it again.
      Pod pod = pods.stream().filter(p -> p.getMetadata().getName().equals(node.name())).findFirst().orElse(null);
      if (pod == null || !markEvictable(pod, false)) {
        continue;
      }
      try {
        view.client().resumeNode(node.name(), DrainingScaleDown.REASON_PREFIX + " wanted again");
        events.normal(nodeSet, "NodeResumed", "Resumed node " + node.name() + ": the scale-down that drained it was called off");
      } catch (SlurmException e) {
        LOG.warn("could not resume node={}: {}", node.name(), e.getMessage());
      }
    }
  }

  /**
   * Creates the missing pods (in slow-start batches), under the lowest free ordinals so node names
   * stay short and predictable. A pod the API server refuses (an invalid template, a limit below a
   * request, a Pod Security or quota rejection) stops creation; its message, naming the pod, comes
   * back for the node set's status, since only the API server can judge the merged pod. One event
   * per batch: a 1,000-pod scale-up writes ten, not a thousand.
   */
  private Optional<String> createPods(ClusterModel model, NodeSet nodeSet, List<Pod> pods, int count) {
    Set<Integer> used = pods.stream().map(NodePodBuilder::ordinal).collect(Collectors.toCollection(HashSet::new));
    var freeOrdinals = java.util.stream.IntStream.iterate(0, i -> i + 1).filter(i -> !used.contains(i)).iterator();
    List<String> names = new java.util.ArrayList<>();
    SlowStartCreates.Outcome outcome;
    try {
      outcome = SlowStartCreates.create(count, freeOrdinals, ordinal -> NodePodBuilder.build(model, nodeSet, ordinal),
          pod -> client.resource(pod).create(), pod -> {
            expectations.created(pod, clock.instant());
            names.add(pod.getMetadata().getName());
          });
    } finally {
      if (!names.isEmpty()) {
        events.normal(nodeSet, "NodeCreated", createdMessage(names));
      }
    }
    if (outcome.refusal().filter(r -> namespaceTerminating(r.cause())).isPresent()) {
      // Not the template's fault, and nothing to report: the node set goes with its namespace.
      // Without this, each pass's warning and status write woke the next one at once.
      LOG.debug("not creating pods in terminating namespace {}", nodeSet.getMetadata().getNamespace());
      return Optional.empty();
    }
    return outcome.refusal().map(r -> {
      String refusal = "the API server refused pod " + r.pod().getMetadata().getName() + ": "
          + SlurmClusterReconciler.describe(r.cause()) + " (check spec.nodeSets[" + nodeSet.getSpec().nodeSetName + "].template)";
      events.warning(nodeSet, "PodRejected", refusal);
      return refusal;
    });
  }

  /** The API server's answer to a create in a namespace being deleted (NamespaceLifecycle admission). */
  static boolean namespaceTerminating(KubernetesClientException e) {
    var status = e.getStatus();
    boolean byCause = status != null && status.getDetails() != null && status.getDetails().getCauses() != null
        && status.getDetails().getCauses().stream().anyMatch(c -> "NamespaceTerminating".equals(c.getReason()));
    return byCause || String.valueOf(e.getMessage()).contains("because it is being terminated");
  }

  /** "Created pod a", or for a batch "Created 40 pods: a, b, c, d, e and 35 more". */
  static String createdMessage(List<String> names) {
    if (names.size() == 1) {
      return "Created pod " + names.get(0);
    }
    int shown = Math.min(names.size(), 5);
    return "Created " + names.size() + " pods: " + String.join(", ", names.subList(0, shown))
        + (names.size() > shown ? " and " + (names.size() - shown) + " more" : "");
  }

  private void scaleDown(NodeSet nodeSet, List<Pod> pods, SlurmView view, int excess) {
    if (!view.available()) {
      nodeSet.getStatus().lastScaleDecision = "waiting to remove " + excess
          + " node(s): cannot ask Slurm which are drained (" + view.problem() + ")";
      return;
    }
    DrainingScaleDown.Decision decision;
    try {
      decision = DrainingScaleDown.removeNodes(view.client(), nodeSet, pods, view.nodes(), excess);
    } catch (SlurmException e) {
      nodeSet.getStatus().lastScaleDecision = "waiting to remove " + excess + " node(s): " + e.getMessage();
      return;
    }
    String ns = nodeSet.getMetadata().getNamespace();
    metrics.drained(ns, nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName, decision.drained().size());
    for (Pod pod : confirmed(decision.podsToDelete(), view)) {
      client.resource(pod).delete();
      expectations.deleted(pod, clock.instant());
      metrics.removed(ns, nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName, 1);
      events.normal(nodeSet, "NodeRemoved", "Deleted pod " + pod.getMetadata().getName() + " (drained, no job)");
    }
    nodeSet.getStatus().lastScaleDecision = decision.reason();
  }

  /**
   * The pods of a delete decision that a fresh look at Slurm still allows: a pod decided on because
   * Slurm had no node for it is kept when one has appeared since, or when Slurm cannot be asked again.
   */
  private List<Pod> confirmed(List<Pod> delete, SlurmView view) {
    Set<String> before = view.nodes().stream().map(SlurmNode::name).collect(Collectors.toSet());
    if (!DrainingScaleDown.anyWithoutNode(delete, before)) {
      return delete;
    }
    Set<String> now;
    try {
      now = view.client().freshNodes().stream().map(SlurmNode::name).collect(Collectors.toSet());
    } catch (SlurmException e) {
      return delete.stream().filter(p -> before.contains(p.getMetadata().getName())).toList();
    }
    List<Pod> safe = DrainingScaleDown.stillSafeToDelete(delete, before, now);
    if (safe.size() < delete.size()) {
      LOG.info("not deleting pod(s) whose slurmd registered since the last look: {}", delete.stream()
          .filter(p -> !safe.contains(p)).map(p -> p.getMetadata().getName()).toList());
    }
    return safe;
  }

  /**
   * Pods to replace: those on a cordoned Kubernetes node (so that `kubectl drain` can finish), and
   * with a RollingUpdate strategy those built before the last change to the node set.
   */
  private List<PodReplacement.Retiring> retiring(NodeSet nodeSet, List<Pod> pods, Set<String> outdated) {
    boolean rolling = nodeSet.getSpec().updateStrategy == null
        || nodeSet.getSpec().updateStrategy.type == UpdateStrategySpec.Type.RollingUpdate;
    List<PodReplacement.Retiring> retiring = new java.util.ArrayList<>();
    for (Pod pod : pods) {
      String kubeNode = pod.getSpec().getNodeName();
      Node node = kubeNode == null || kubeNodes == null ? null
          : kubeNodes.get(new ResourceID(kubeNode)).orElse(null);
      if (node != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
        retiring.add(new PodReplacement.Retiring(pod, PodReplacement.cordonedReason(kubeNode), true));
      } else if (rolling && outdated.contains(pod.getMetadata().getName())) {
        retiring.add(new PodReplacement.Retiring(pod, PodReplacement.outdatedReason(nodeSet.getMetadata().getName()), false));
      }
    }
    return retiring;
  }

  private void replace(NodeSet nodeSet, List<Pod> pods, SlurmView view, List<PodReplacement.Retiring> retiring, int desired) {
    Map<String, SlurmNode> nodes = view.nodes().stream().collect(Collectors.toMap(SlurmNode::name, n -> n, (a, b) -> a));
    int notServing = Math.max(0, desired - pods.size()) + (int) pods.stream().filter(p -> !Readiness.isPodReady(p)).count();
    int maxUnavailable = nodeSet.getSpec().updateStrategy == null || nodeSet.getSpec().updateStrategy.maxUnavailable == null
        ? 1 : nodeSet.getSpec().updateStrategy.maxUnavailable;
    var plan = PodReplacement.plan(retiring, nodes, notServing, maxUnavailable);
    plan.drain().forEach((name, reason) -> {
      try {
        view.client().drainNode(name, reason);
        metrics.drained(nodeSet.getMetadata().getNamespace(), nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName, 1);
        events.normal(nodeSet, "NodeDraining", "Draining node " + name + " before replacing its pod (" + reason + ")");
      } catch (SlurmException e) {
        LOG.warn("could not drain node={} for replacement: {}", name, e.getMessage());
      }
    });
    for (Pod pod : confirmed(plan.delete(), view)) {
      client.resource(pod).delete();
      expectations.deleted(pod, clock.instant());
      events.normal(nodeSet, "NodeReplaced", "Deleted pod " + pod.getMetadata().getName()
          + " (drained, no job) to replace it: " + retiring.stream().filter(r -> r.pod() == pod).findFirst()
              .map(PodReplacement.Retiring::reason).orElse(""));
    }
    if (!plan.idle() || !plan.leftAlone().isEmpty()) {
      nodeSet.getStatus().lastScaleDecision = "replacing pods: " + plan.summary();
    }
  }

  /**
   * Marks the pods that may be evicted: those whose Slurm node is drained and holds no job (Slurm
   * starts nothing there); see {@link DrainingScaleDown#mayBeEvicted}. The node set's
   * PodDisruptionBudget refuses evictions of all others, so `kubectl drain` and other evictions
   * wait until the operator (after a cordon, a scale-down or an update) or an administrator has
   * drained the node and its jobs have ended.
   */
  private void protectJobs(NodeSet nodeSet, List<Pod> pods, SlurmView view) {
    Map<String, SlurmNode> nodes = view.nodes().stream().collect(Collectors.toMap(SlurmNode::name, n -> n, (a, b) -> a));
    for (Pod pod : pods) {
      markEvictable(pod, DrainingScaleDown.mayBeEvicted(nodes.get(pod.getMetadata().getName())));
    }
    if (!memory(nodeSet).budgetKnown) {
      var budget = DisruptionBudgetBuilder.protectJobs(nodeSet);
      if (client.resource(budget).get() == null) {
        client.resource(budget).create();
        events.normal(nodeSet, "Created", "Created PodDisruptionBudget " + budget.getMetadata().getName()
            + ": a slurmd pod may be evicted only once its node is drained in Slurm and holds no job");
      }
      memory(nodeSet).budgetKnown = true;
    }
  }

  /** Sets the pod's evictable label when it differs; a failure is retried by the next pass. */
  private boolean markEvictable(Pod pod, boolean evictable) {
    String want = Boolean.toString(evictable);
    Map<String, String> labels = pod.getMetadata().getLabels();
    if (labels != null && want.equals(labels.get(Labels.EVICTABLE))) {
      return true;
    }
    try {
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE),
              "{\"metadata\":{\"labels\":{\"" + Labels.EVICTABLE + "\":\"" + want + "\"}}}");
      return true;
    } catch (KubernetesClientException e) {
      LOG.debug("could not label pod={}: {}", pod.getMetadata().getName(), e.getMessage());
      return false;
    }
  }

  /** Nothing new starts on a node whose pod is being deleted or is gone, whoever deleted it. */
  private void drainNodesOfLeavingPods(NodeSet nodeSet, SlurmView view, List<Pod> pods) {
    for (String name : DrainingScaleDown.nodesOfLeavingPods(pods, view.nodes())) {
      try {
        view.client().drainNode(name, DrainingScaleDown.leavingReason(name));
        metrics.drained(nodeSet.getMetadata().getNamespace(), nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName, 1);
        LOG.info("drained node={}: its pod is being deleted or is gone", name);
      } catch (SlurmException e) {
        LOG.warn("could not drain node={} whose pod is going: {}", name, e.getMessage());
      }
    }
  }

  /** The last step of a scale-down, and what an operator restart in the middle of one leaves to do. */
  private void deleteRecordsOfRemovedPods(NodeSet nodeSet, SlurmView view, List<Pod> pods) {
    Set<String> podNames = new HashSet<>();
    pods.forEach(p -> podNames.add(p.getMetadata().getName()));
    for (SlurmNode node : view.nodes()) {
      if (podNames.contains(node.name())) {
        continue;
      }
      if (!DrainingScaleDown.recordMayGo(node)) {
        LOG.info("keeping the record of node={} whose pod is gone: states={} reason=\"{}\"",
            node.name(), node.states(), node.reason());
        continue;
      }
      try {
        view.client().deleteNode(node.name());
        memory(nodeSet).idleSince.remove(node.name());
        events.normal(nodeSet, "NodeRecordDeleted", "Deleted Slurm node record " + node.name() + " after its pod was removed");
      } catch (SlurmException e) {
        LOG.warn("could not delete node record node={}: {}", node.name(), e.getMessage());
      }
    }
  }

  private void updateStatus(NodeSet nodeSet, int desired, SlurmView view, List<Pod> pods,
      List<String> problems, List<PodReplacement.Retiring> retiring, Set<String> outdatedPods) {
    var status = nodeSet.getStatus();
    List<Pod> current = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    status.replicas = current.size();
    status.readyReplicas = (int) current.stream().filter(Readiness::isPodReady).count();
    status.updatedReplicas = (int) current.stream().filter(p -> !outdatedPods.contains(p.getMetadata().getName())).count();
    int outdated = status.replicas - status.updatedReplicas;
    boolean onDelete = nodeSet.getSpec().updateStrategy != null
        && nodeSet.getSpec().updateStrategy.type == UpdateStrategySpec.Type.OnDelete;
    long cordoned = retiring.stream().filter(PodReplacement.Retiring::urgent).count();
    String rollout;
    String reason;
    if (outdated == 0 && cordoned == 0) {
      reason = "RolloutComplete";
      rollout = "every pod has the node set's current template, image, volumes and shape";
    } else if (outdated > 0 && onDelete) {
      reason = "OutdatedPods";
      rollout = outdated + " of " + status.replicas + " pod(s) were made before the last change to the node set and keep "
          + "running as they are (updateStrategy OnDelete): delete them to replace them";
    } else {
      reason = "RollingUpdate";
      rollout = (outdated > 0 ? outdated + " of " + status.replicas + " pod(s) outdated" : "")
          + (outdated > 0 && cordoned > 0 ? ", " : "") + (cordoned > 0 ? cordoned + " pod(s) on cordoned Kubernetes nodes" : "")
          + ": each node is drained in Slurm and its pod replaced once it holds no job";
    }
    status.conditions = Conditions.set(status.conditions, generation(nodeSet), Conditions.UP_TO_DATE,
        outdated == 0 && cordoned == 0, reason, rollout);
    if (!problems.isEmpty()) {
      status.conditions = Conditions.set(status.conditions, generation(nodeSet), Conditions.READY, false, "InvalidTemplate",
          "no pod can be created: " + String.join("; ", problems));
      return;
    }
    if (view.available()) {
      status.idle = (int) view.nodes().stream().filter(SlurmNode::isIdle).count();
      status.allocated = (int) view.nodes().stream().filter(SlurmNode::isBusy).count();
      status.draining = (int) view.nodes().stream().filter(SlurmNode::isDrainFlagged).count();
    }
    boolean ready = status.readyReplicas == desired && status.replicas == desired;
    String message = status.readyReplicas + " of " + desired + " nodes ready" + pendingReason(current);
    if (!view.available()) {
      message += "; Slurm not reachable: " + view.problem();
    }
    status.conditions = Conditions.set(status.conditions, generation(nodeSet), Conditions.READY, ready,
        ready ? "AllNodesReady" : "NodesNotReady", message);
  }

  private static List<Pod> activePods(Context<NodeSet> context) {
    return context.getSecondaryResources(Pod.class).stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .sorted(Comparator.comparingInt(NodePodBuilder::ordinal))
        .toList();
  }

  /** Why pods are not running, in the words of the scheduler (e.g. Insufficient cpu). */
  private static String pendingReason(List<Pod> pods) {
    return pods.stream()
        .filter(p -> p.getStatus() != null && "Pending".equals(p.getStatus().getPhase()))
        .flatMap(p -> p.getStatus().getConditions().stream())
        .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()) && c.getMessage() != null)
        .map(c -> "; pending: " + c.getMessage())
        .findFirst().orElse("");
  }

  /** What this process kept about a NodeSet that is gone. */
  private void forget(NodeSet nodeSet) {
    if (nodeSet.getSpec() != null) {
      metrics.forgetNodeSet(nodeSet.getMetadata().getNamespace(), nodeSet.getSpec().clusterName, nodeSet.getSpec().nodeSetName);
    }
    memory.remove(ResourceID.fromResource(nodeSet));
    scalers.forget(ResourceID.fromResource(nodeSet));
    queueWatch.unwatch(ResourceID.fromResource(nodeSet));
    events.forget(nodeSet);
    expectations.forget(nodeSet.getMetadata().getUid());
  }

  /**
   * Per NodeSet (two clusters of one name in two namespaces have nodes of the same names); lost on
   * restart, which only delays a scale-down and re-reads the budget once.
   */
  private static final class Memory {
    /** When each idle node was first seen idle. */
    final Map<String, Instant> idleSince = new ConcurrentHashMap<>();
    /** When each busy node was first seen busy (in its current run of being busy). */
    final Map<String, Instant> busySince = new ConcurrentHashMap<>();
    /** Its PodDisruptionBudget has been seen or made (it is never changed). */
    volatile boolean budgetKnown;
    /** What its GPU claim template was last seen (or made) to ask for; null before. */
    volatile List<String> claimTemplateAsks;
  }

  private Memory memory(NodeSet nodeSet) {
    return memory.computeIfAbsent(ResourceID.fromResource(nodeSet), id -> new Memory());
  }

  private static boolean isOwnedBy(Pod pod, NodeSet nodeSet) {
    return pod.getMetadata().getOwnerReferences() != null && pod.getMetadata().getOwnerReferences().stream()
        .anyMatch(o -> "NodeSet".equals(o.getKind()) && nodeSet.getMetadata().getName().equals(o.getName()))
        && nodeSet.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace());
  }

  private static long generation(NodeSet nodeSet) {
    return nodeSet.getMetadata().getGeneration() == null ? 0 : nodeSet.getMetadata().getGeneration();
  }

  @Override
  public List<EventSource<?, NodeSet>> prepareEventSources(EventSourceContext<NodeSet> context) {
    var pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, NodeSet.class)
        .withLabelSelector(Labels.COMPONENT + "=" + Labels.Component.NODE)
        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(NodeSet.class))
        .build(), context);
    pods.addIndexers(Map.of(BY_NODE, p -> p.getSpec().getNodeName() == null ? List.of() : List.of(p.getSpec().getNodeName())));
    // Kubernetes nodes, for cordons: a node that becomes unschedulable wakes the node sets with pods on it.
    kubeNodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, NodeSet.class)
        .withName("nodeset-kubernetes-nodes")
        .withWatchAllNamespaces()
        .withFollowControllerNamespacesChanges(false)
        .withSecondaryToPrimaryMapper(node -> pods.byIndex(BY_NODE, node.getMetadata().getName()).stream()
            .flatMap(p -> Mappers.fromOwnerReferences(NodeSet.class).toPrimaryResourceIDs(p).stream())
            .collect(Collectors.toSet()))
        .withOnUpdateFilter((next, previous) -> !java.util.Objects.equals(next.getSpec().getUnschedulable(),
            previous.getSpec().getUnschedulable()))
        .build(), context);
    var clusters = new InformerEventSource<>(InformerEventSourceConfiguration.from(SlurmCluster.class, NodeSet.class)
        .withName("nodeset-clusters")
        .withPrimaryToSecondaryMapper((NodeSet nodeSet) ->
            Set.of(new ResourceID(nodeSet.getSpec().clusterName, nodeSet.getMetadata().getNamespace())))
        .withSecondaryToPrimaryMapper(cluster -> context.getPrimaryCache()
            .list(cluster.getMetadata().getNamespace(),
                n -> n.getSpec() != null && cluster.getMetadata().getName().equals(n.getSpec().clusterName))
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build(), context);
    return List.of(pods, kubeNodes, clusters, ScalerArbiter.hpaSource(context), queueWatch);
  }
}
