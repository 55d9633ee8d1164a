package io.slurmkube.api;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;

public class NodeSetStatus {
  public Long observedGeneration;
  @StatusReplicas public Integer replicas;
  public Integer readyReplicas;
  /** Pods built from the node set's current template, image and volumes; the others are outdated. */
  public Integer updatedReplicas;
  public Integer idle;
  public Integer allocated;
  public Integer draining;
  /** Label selector of this node set's pods, in string form, for the scale subresource. */
  @LabelSelector public String selector;
  /**
   * Pending jobs this node set could run that wait for policy (an association or QOS limit such as
   * AssocMaxJobsLimit), not for nodes: the autoscaler adds no node for them.
   */
  public Integer jobsWaitingForPolicy;
  /** Why the autoscaler last changed (or kept) the replica count. */
  public String lastScaleDecision;
  public List<Condition> conditions = new ArrayList<>();
}
