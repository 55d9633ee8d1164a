package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** The spec of a NodeSet object: one node set of the SlurmCluster named by clusterName. */
@ValidationRule(value = "!has(self.maxReplicas) || !has(self.minReplicas) || self.minReplicas <= self.maxReplicas",
    message = "minReplicas is greater than maxReplicas; lower minReplicas or raise maxReplicas",
    fieldPath = ".minReplicas")
@ValidationRule(value = "!has(self.maxReplicas) || !has(self.replicas) || self.replicas <= self.maxReplicas",
    message = "replicas is greater than maxReplicas; lower replicas or raise maxReplicas",
    fieldPath = ".replicas")
public class NodeSetResourceSpec extends NodeShape {
  @Required
  @JsonPropertyDescription("The SlurmCluster this node set belongs to (same namespace).")
  public String clusterName;

  @Required
  @JsonPropertyDescription("The node set's name inside its cluster (spec.nodeSets[].name): its Slurm feature and node name prefix.")
  public String nodeSetName;

  @SpecReplicas
  @Min(0)
  @Max(1000)
  @JsonPropertyDescription("Number of slurmd pods wanted; the scale subresource, the autoscaler, HPA or KEDA move it.")
  public Integer replicas;
}
