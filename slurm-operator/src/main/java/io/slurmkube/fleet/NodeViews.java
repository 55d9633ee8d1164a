package io.slurmkube.fleet;

import io.slurmkube.model.PoolMarks;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.fleet.FleetNode.PodOnNode;
import io.slurmkube.fleet.FleetNode.Resources;
import io.slurmkube.fleet.FleetNode.Role;
import io.slurmkube.fleet.FleetNode.WaitingPod;
import io.slurmkube.model.Labels;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Nodes and pods as the pool plan sees them: a pure translation of what the API server reports. */
public final class NodeViews {
  static final String MIRROR_POD = "kubernetes.io/config.mirror";

  private NodeViews() {}

  /**
   * {@code pods}: the pods bound to this node (terminal ones are ignored); {@code guarded}: whether
   * a disruption budget would refuse a pod's eviction now.
   */
  public static FleetNode node(Node node, List<Pod> pods, SlurmCluster cluster, Predicate<Pod> guarded) {
    String poolId = PoolMarks.poolId(cluster);
    var meta = node.getMetadata();
    Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
    String owner = meta.getAnnotations() == null ? null : meta.getAnnotations().get(PoolMarks.OWNER);
    var spec = node.getSpec();
    String poolTaint = spec == null || spec.getTaints() == null ? null : spec.getTaints().stream()
        .filter(t -> PoolMarks.POOL.equals(t.getKey()) && PoolMarks.TAINT_EFFECT.equals(t.getEffect()))
        .map(Taint::getValue).findFirst().orElse(null);
    boolean cordoned = spec != null && Boolean.TRUE.equals(spec.getUnschedulable());
    List<PodOnNode> onNode = pods.stream().filter(p -> !terminal(p))
        .map(p -> {
          Role role = role(p, cluster, poolId);
          // Only a pod that would be evicted can be held by a budget.
          return new PodOnNode(p.getMetadata().getNamespace(), p.getMetadata().getName(), role,
              requests(p), p.getMetadata().getDeletionTimestamp() != null, role == Role.EVICTABLE && guarded.test(p));
        })
        .toList();
    return new FleetNode(meta.getName(), labels, owner, poolTaint, ready(node), cordoned, allocatable(node), onNode);
  }

  /**
   * Whether one of these budgets (the pod's namespace's) would refuse the pod's eviction now: it
   * selects the pod and allows no disruption, or has no status yet (the disruption controller has
   * not counted; the API server then refuses too).
   */
  public static boolean guarded(Pod pod, List<PodDisruptionBudget> budgets) {
    for (PodDisruptionBudget b : budgets) {
      if (b.getSpec() == null || !LabelSelectors.matches(b.getSpec().getSelector(), pod.getMetadata().getLabels())) {
        continue;
      }
      if (b.getStatus() == null || b.getStatus().getDisruptionsAllowed() == null || b.getStatus().getDisruptionsAllowed() <= 0) {
        return true;
      }
    }
    return false;
  }

  public static Role role(Pod pod, SlurmCluster cluster, String poolId) {
    if (isNodeSetPod(pod, cluster)) {
      return Role.SLURMD;
    }
    var meta = pod.getMetadata();
    boolean daemon = meta.getOwnerReferences() != null && meta.getOwnerReferences().stream()
        .anyMatch(o -> "DaemonSet".equals(o.getKind()) && Boolean.TRUE.equals(o.getController()));
    boolean mirror = meta.getAnnotations() != null && meta.getAnnotations().containsKey(MIRROR_POD);
    if (daemon || mirror || PoolMarks.tolerates(pod.getSpec().getTolerations(), poolId)) {
      return Role.STAYS;
    }
    return Role.EVICTABLE;
  }

  /** A slurmd pod of one of the cluster's node sets. */
  public static boolean isNodeSetPod(Pod pod, SlurmCluster cluster) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null
        && cluster.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())
        && cluster.getMetadata().getName().equals(labels.get(Labels.INSTANCE))
        && Labels.Component.NODE.equals(labels.get(Labels.COMPONENT));
  }

  /** A node-set pod not bound to a node yet; unschedulable once the scheduler has said it fits nowhere. */
  public static WaitingPod waiting(Pod pod) {
    boolean unschedulable = pod.getStatus() != null && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream().anyMatch(c -> "PodScheduled".equals(c.getType())
            && "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()));
    return new WaitingPod(pod.getMetadata().getName(), requests(pod), unschedulable);
  }

  public static boolean terminal(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  public static boolean ready(Node node) {
    return node.getStatus() != null && node.getStatus().getConditions() != null
        && node.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  static Resources allocatable(Node node) {
    Map<String, Quantity> a = node.getStatus() == null ? null : node.getStatus().getAllocatable();
    if (a == null) {
      return Resources.NONE;
    }
    return new Resources(milli(a.get("cpu")), amount(a.get("memory")));
  }

  /** What the scheduler counts for a pod: its containers' requests (init containers run before, one at a time). */
  static Resources requests(Pod pod) {
    long cpu = 0;
    long memory = 0;
    for (Container c : pod.getSpec().getContainers()) {
      if (c.getResources() != null && c.getResources().getRequests() != null) {
        cpu += milli(c.getResources().getRequests().get("cpu"));
        memory += amount(c.getResources().getRequests().get("memory"));
      }
    }
    return new Resources(cpu, memory);
  }

  private static long milli(Quantity q) {
    return q == null ? 0 : q.getNumericalAmount().multiply(BigDecimal.valueOf(1000)).longValue();
  }

  private static long amount(Quantity q) {
    return q == null ? 0 : q.getNumericalAmount().longValue();
  }
}
