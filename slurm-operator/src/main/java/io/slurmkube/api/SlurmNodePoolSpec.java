package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a SlurmNodePool grants; see {@link SlurmNodePool}. */
public class SlurmNodePoolSpec {
  /** Node labels that make a control-plane node; such nodes never join a pool, whatever the grant. */
  public static final String CONTROL_PLANE = "node-role.kubernetes.io/control-plane";
  public static final String MASTER = "node-role.kubernetes.io/master";
  private static final String CONTROL_PLANE_KEYS = "['" + CONTROL_PLANE + "', '" + MASTER + "']";

  @Required
  @JsonPropertyDescription("The nodes granted. Must name them positively (matchLabels, or an In or Exists requirement): a selector of only NotIn/DoesNotExist requirements matches every unlabelled node, new ones included. Control-plane nodes never join, whatever it says.")
  public NodeSelector nodeSelector;

  @Required
  @Size(min = 1, max = 64)
  @JsonPropertyDescription("Namespaces whose SlurmClusters may use this pool (spec.fleet.pool).")
  public List<@Pattern(Names.DNS_LABEL) @Size(max = 63) String> namespaces = new ArrayList<>();

  @Min(1)
  @Max(100000)
  @JsonPropertyDescription("The most nodes one SlurmCluster may take from this pool; no limit but the selector when absent.")
  public Integer maxNodesPerCluster;

  @Default("false")
  @JsonPropertyDescription("Whether clusters may lend idle pool nodes to Kubernetes (spec.fleet.lending). Lending implies reclaiming: the operator then evicts Kubernetes pods, of any namespace, from lent nodes, through the Eviction API. Off: no node is lent and no pod is ever evicted.")
  public boolean allowLending = false;

  @Size(max = 16)
  @JsonPropertyDescription("Taints the clusters' slurmd pods may tolerate (spec.fleet.podTolerations), besides the operator's own pool taint. A requested toleration is granted when an entry here covers it: same key (an entry without a key covers no toleration), same value unless the entry has none, same effect unless the entry has none.")
  public List<TolerableTaint> tolerableTaints = new ArrayList<>();

  /** A label selector over Nodes, refused at admission when it could take nodes nobody named. */
  @ValidationRule(value = "(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",
      message = "spec.nodeSelector is empty and would grant every node of the cluster: name the nodes with matchLabels or matchExpressions")
  @ValidationRule(value = "(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && self.matchExpressions.exists(r, r.operator in ['In', 'Exists']))",
      message = "spec.nodeSelector has only NotIn/DoesNotExist requirements, which match every node that lacks a label (new nodes included): name the nodes with matchLabels or an In or Exists requirement")
  @ValidationRule(value = "!has(self.matchLabels) || !self.matchLabels.exists(k, k in " + CONTROL_PLANE_KEYS + ")",
      message = "spec.nodeSelector selects control-plane nodes (" + CONTROL_PLANE + " or " + MASTER + "), which never join a Slurm pool: select worker nodes")
  @ValidationRule(value = "!has(self.matchExpressions) || !self.matchExpressions.exists(r, r.key in " + CONTROL_PLANE_KEYS + " && r.operator in ['In', 'Exists'])",
      message = "spec.nodeSelector selects control-plane nodes (" + CONTROL_PLANE + " or " + MASTER + "), which never join a Slurm pool: select worker nodes")
  public static class NodeSelector {
    @Size(max = 16)
    @JsonPropertyDescription("Node labels that must all be present with these values.")
    public Map<String, @Size(max = 63) String> matchLabels = new LinkedHashMap<>();

    @Size(max = 16)
    @JsonPropertyDescription("Label requirements that must all hold (In, NotIn, Exists, DoesNotExist).")
    public List<Requirement> matchExpressions = new ArrayList<>();

    /** The same selector as a SlurmCluster's, to match and describe it with the same code. */
    public FleetSpec.NodeSelector asFleetSelector() {
      var s = new FleetSpec.NodeSelector();
      s.matchLabels = matchLabels;
      s.matchExpressions = matchExpressions == null ? new ArrayList<>() : matchExpressions.stream().map(r -> {
        var f = new FleetSpec.Requirement();
        f.key = r.key;
        f.operator = r.operator;
        f.values = r.values;
        return f;
      }).toList();
      return s;
    }
  }

  /** One label requirement, as in a Kubernetes label selector. */
  @ValidationRule(value = "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
      message = "spec.nodeSelector.matchExpressions: In and NotIn need values; Exists and DoesNotExist take none")
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

  /** A taint that slurmd pods may tolerate. */
  public static class TolerableTaint {
    @Required
    @Size(min = 1, max = 317)
    @JsonPropertyDescription("The taint's key.")
    public String key;

    @Size(max = 63)
    @JsonPropertyDescription("The taint's value; any value when absent.")
    public String value;

    @Pattern("^(NoSchedule|PreferNoSchedule|NoExecute)$")
    @JsonPropertyDescription("NoSchedule, PreferNoSchedule or NoExecute; any effect when absent.")
    public String effect;
  }
}
