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
 * Which Kubernetes nodes form this cluster's Slurm pool, and whether idle pool nodes are lent to
 * Kubernetes. The operator marks pool nodes with the label {@code slurmkube.io/pool} and a
 * NoSchedule taint of the same key; node-set pods select and tolerate exactly that pool.
 */
@ValidationRule(value = "has(self.nodeSelector) || has(self.nodes)",
    message = "spec.fleet needs nodeSelector, nodes or both: say which Kubernetes nodes form the Slurm pool")
public class FleetSpec {

  @JsonPropertyDescription("Nodes that may join the Slurm pool. Without it, any node not in another pool may join (then spec.fleet.nodes says how many).")
  public NodeSelector nodeSelector;

  @Min(1)
  @Max(100000)
  @JsonPropertyDescription("How many of the matching nodes form the pool; all matching nodes when absent. Nodes already in the pool are kept first.")
  public Integer nodes;

  @JsonPropertyDescription("Lending of idle pool nodes to Kubernetes; off unless enabled.")
  public Lending lending = new Lending();

  @Size(max = 16)
  @JsonPropertyDescription("Extra tolerations for node-set pods, for taints the pool's nodes carry besides the operator's own (e.g. a GPU taint set by the node provider).")
  public List<Toleration> podTolerations = new ArrayList<>();

  public boolean lends() {
    return lending != null && lending.enabled;
  }

  /** A label selector over Nodes, with the limits admission needs to check it. */
  @ValidationRule(value = "(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",
      message = "spec.fleet.nodeSelector is empty and would take every node: give matchLabels or matchExpressions, or drop it and give spec.fleet.nodes alone")
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
