package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** The Slurm pool as the operator last saw and kept it (status.fleet of a SlurmCluster). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FleetStatus {
  /** The label that marks this pool's nodes: {@code kubectl get nodes -l <poolLabel>}. */
  public String poolLabel;
  /** Nodes matching spec.fleet.nodeSelector (every node when there is none). */
  public Integer matchingNodes;
  /** Nodes the pool should have: spec.fleet.nodes, or every matching node not in another pool. */
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
