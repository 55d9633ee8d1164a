package io.slurmkube.fleet;

import io.slurmkube.model.PoolMarks;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes node as the pool plan sees it: its labels, the pool taint it carries (the taint's
 * value, or null), whether pods can go there, what it offers and which pods it runs.
 */
public record FleetNode(String name, Map<String, String> labels, String owner, String poolTaint,
    boolean ready, boolean cordoned, Resources allocatable, List<PodOnNode> pods) {

  /** The pool this node is in (its {@code slurmkube.io/pool} label), or null. */
  public String pool() {
    return labels.get(PoolMarks.POOL);
  }

  public String stateLabel() {
    return labels.get(PoolMarks.STATE);
  }

  /** Ready and not cordoned: a pod placed here would run. */
  public boolean usable() {
    return ready && !cordoned;
  }

  public long slurmdPods() {
    return pods.stream().filter(p -> p.role() == Role.SLURMD).count();
  }

  public List<PodOnNode> evictable() {
    return pods.stream().filter(p -> p.role() == Role.EVICTABLE).toList();
  }

  /** Pods that would have to leave for a reclaim but that a disruption budget holds here now. */
  public long guardedPods() {
    return pods.stream().filter(p -> p.role() == Role.EVICTABLE && p.guarded()).count();
  }

  /** Room left for new pods: allocatable minus what every pod here requests. */
  public Resources free() {
    return allocatable.minus(Resources.sum(pods));
  }

  /** Room once the evictable pods are gone. */
  public Resources freeAfterEvictions() {
    return allocatable.minus(Resources.sum(pods.stream().filter(p -> p.role() != Role.EVICTABLE).toList()));
  }

  /** What a pod on a node is to the pool. */
  public enum Role {
    /** A node-set pod of the cluster that owns the pool. */
    SLURMD,
    /** Left alone when the node is reclaimed: DaemonSet and static pods, and pods that tolerate the pool's taint. */
    STAYS,
    /** A Kubernetes pod that must leave, through the Eviction API, when the node is reclaimed. */
    EVICTABLE
  }

  /**
   * {@code guarded}: a PodDisruptionBudget that selects the pod allows no disruption now, so the
   * Eviction API would refuse it.
   */
  public record PodOnNode(String namespace, String name, Role role, Resources requests, boolean terminating,
      boolean guarded) {
    public PodOnNode(String namespace, String name, Role role, Resources requests, boolean terminating) {
      this(namespace, name, role, requests, terminating, false);
    }

    public String ref() {
      return namespace + "/" + name;
    }
  }

  /** CPU in millicores and memory in bytes. */
  public record Resources(long milliCpu, long memoryBytes) {
    public static final Resources NONE = new Resources(0, 0);

    public Resources minus(Resources r) {
      return new Resources(milliCpu - r.milliCpu, memoryBytes - r.memoryBytes);
    }

    public boolean holds(Resources r) {
      return r.milliCpu <= milliCpu && r.memoryBytes <= memoryBytes;
    }

    static Resources sum(List<PodOnNode> pods) {
      long cpu = 0;
      long memory = 0;
      for (PodOnNode p : pods) {
        cpu += p.requests().milliCpu;
        memory += p.requests().memoryBytes;
      }
      return new Resources(cpu, memory);
    }

    @Override
    public String toString() {
      return milliCpu + "m CPU, " + (memoryBytes >> 20) + "Mi memory";
    }
  }

  /** A node-set pod of the pool's cluster that no node holds yet. */
  public record WaitingPod(String name, Resources requests, boolean unschedulable) {}
}
