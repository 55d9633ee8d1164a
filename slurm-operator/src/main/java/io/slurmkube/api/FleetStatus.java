package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.List;

/** The Slurm pool as the operator last saw and kept it (status.fleet of a SlurmCluster). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FleetStatus {
  /** PoolGranted: whether the SlurmNodePool lets this cluster use any node, and what it refused. */
  public List<Condition> conditions = new ArrayList<>();
  /** The SlurmNodePool named by spec.fleet.pool. */
  public String pool;
  /** What spec.fleet asked of the pool. */
  public Terms asked;
  /** What the pool granted of it: the operator uses only this. */
  public Terms granted;
  /** Each part of the ask that was refused, and why. */
  public List<String> refused = new ArrayList<>();
  /** The spec.fleet.podTolerations the pool grants: node-set pods get these and no others. */
  public List<Toleration> grantedTolerations = new ArrayList<>();
  /** The label that marks this pool's nodes: {@code kubectl get nodes -l <poolLabel>}. */
  public String poolLabel;
  /** Nodes the grant admits: matching the pool's and spec.fleet's selectors, control-plane nodes excepted. */
  public Integer matchingNodes;
  /** Nodes the pool should have: the granted count, or every matching node not in another pool. */
  public Integer wantedNodes;
  /** Nodes in the pool, whatever their state. */
  public Integer poolNodes;
  /** Pool nodes reserved for Slurm (tainted). */
  public Integer reserved;
  /** Pool nodes lent to Kubernetes (untainted). */
  public Integer lent;
  /** Lent nodes being taken back: tainted again, their Kubernetes pods being evicted. */
  public Integer reclaiming;
  /** Node-set pods the scheduler could not place. */
  public Integer waitingPods;
  public List<String> lentNodes = new ArrayList<>();
  /** Each node being reclaimed, and what it waits for. */
  public List<NodeNote> reclaimingNodes = new ArrayList<>();
  /** What keeps the pool from being as declared, in words a person can act on. */
  public List<String> problems = new ArrayList<>();
  /** One line: the pool's state and its first problem, if any. */
  public String message;

  /** One side of a grant: a node selector in kubectl's words, a node count, lending, tolerations. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Terms {
    public String nodeSelector;
    /** Null: no limit but the selectors. */
    public Integer nodes;
    public Boolean lending;
    /** key=value:effect (operator Exists: key:effect). */
    public List<String> podTolerations = new ArrayList<>();
  }

  public static class NodeNote {
    public String node;
    public String reason;

    public NodeNote() {}

    public NodeNote(String node, String reason) {
      this.node = node;
      this.reason = reason;
    }
  }
}
