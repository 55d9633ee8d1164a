package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What this cluster asks of a SlurmNodePool: which of its nodes, how many, lending, tolerations.
 * The operator takes the intersection with what the pool grants (status.fleet says what was
 * refused) and marks pool nodes with the label {@code slurmkube.io/pool} and a NoSchedule taint of
 * the same key; node-set pods select and tolerate exactly that pool.
 */
public class FleetSpec {

  @Required
  @Size(min = 1, max = 253)
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription("The SlurmNodePool (cluster-scoped, written by a cluster administrator) whose nodes this cluster's Slurm pool takes. Without a grant for this namespace no node is touched.")
  public String pool;

  @JsonPropertyDescription("Narrows the SlurmNodePool's nodes further: only nodes matching both join. All of the pool's nodes when absent.")
  public NodeSelector nodeSelector;

  @Min(1)
  @Max(100000)
  @JsonPropertyDescription("How many of the matching nodes form the pool; all matching nodes when absent, and never more than the SlurmNodePool's maxNodesPerCluster. Nodes already in the pool are kept first.")
  public Integer nodes;

  @JsonPropertyDescription("Lending of idle pool nodes to Kubernetes; off unless enabled, and refused unless the SlurmNodePool allows lending.")
  public Lending lending = new Lending();

  @Size(max = 16)
  @JsonPropertyDescription("Extra tolerations for node-set pods, for taints the pool's nodes carry besides the operator's own (e.g. a GPU taint set by the node provider). Only those the SlurmNodePool's tolerableTaints cover are given to the pods.")
  public List<Toleration> podTolerations = new ArrayList<>();

  public boolean lends() {
    return lending != null && lending.enabled;
  }

  /** A label selector over Nodes, with the limits admission needs to check it. */
  @ValidationRule(value = "(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",
      message = "spec.fleet.nodeSelector is empty and would take every node: give matchLabels or matchExpressions, or drop it to take all of the SlurmNodePool's nodes")
  public static class NodeSelector {
    @Size(max = 16)
    @JsonPropertyDescription("Node labels that must all be present with these values.")
    public Map<String, @Size(max = 63) String> matchLabels = new LinkedHashMap<>();

    @Size(max = 16)
    @JsonPropertyDescription("Label requirements that must all hold (In, NotIn, Exists, DoesNotExist).")
    public List<Requirement> matchExpressions = new ArrayList<>();
  }

  /** One label requirement, as in a Kubernetes label selector. */
  @ValidationRule(value = "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
      message = "spec.fleet.nodeSelector.matchExpressions: In and NotIn need values; Exists and DoesNotExist take none")
  public static class Requirement {
    @Required
    @Size(min = 1, max = 317)
    public String key;

    @Required
    @Pattern("^(In|NotIn|Exists|DoesNotExist)$")
    @JsonPropertyDescription("In, NotIn, Exists or DoesNotExist.")
    public String operator;

    @Size(max = 64)
    public List<@Size(max = 63) String> values = new ArrayList<>();
  }

  /** When an idle pool node goes to Kubernetes, and (implicitly) that it comes back when Slurm needs it. */
  public static class Lending {
    @Default("false")
    @JsonPropertyDescription("Lend pool nodes that have had no slurmd pod for idleSeconds to Kubernetes (taint removed, label slurmkube.io/pool-state=lent). They are reclaimed, through the Eviction API, when node-set pods wait for room.")
    public boolean enabled = false;

    @Default("300")
    @Min(0)
    @Max(604800)
    @JsonPropertyDescription("How long a pool node must have had no slurmd pod before it is lent.")
    public Integer idleSeconds = 300;
  }
}
