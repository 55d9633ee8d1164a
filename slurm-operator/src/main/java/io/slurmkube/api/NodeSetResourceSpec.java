package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** The spec of a NodeSet object: one node set of the SlurmCluster named by clusterName. */
@ValidationRule(value = "!has(self.maxReplicas) || !has(self.minReplicas) || self.minReplicas <= self.maxReplicas",
    message = "minReplicas is greater than maxReplicas; lower minReplicas or raise maxReplicas",
    fieldPath = ".minReplicas")
@ValidationRule(value = "!has(self.maxReplicas) || !has(self.replicas) || self.replicas <= self.maxReplicas",
    message = "replicas is greater than maxReplicas; lower replicas or raise maxReplicas",
    fieldPath = ".replicas")
@ValidationRule(value = "!has(self.clusterName) || !has(self.nodeSetName) || size(self.clusterName) + size(self.nodeSetName) <= " + Names.MAX_CLUSTER_PLUS_NODESET,
    message = "spec.clusterName plus spec.nodeSetName is longer than " + Names.MAX_CLUSTER_PLUS_NODESET
        + " characters: pod names <clusterName>-<nodeSetName>-<ordinal> must fit " + Names.DNS_LABEL_MAX
        + " characters with a 4-digit ordinal; shorten the node set name (or the cluster's)",
    fieldPath = ".nodeSetName")
public class NodeSetResourceSpec extends NodeShape {
  @Required
  @Size(min = 1, max = Names.DNS_LABEL_MAX)
  @ValidationRule(value = "self.matches('" + Names.DNS_LABEL + "')",
      message = "is not a SlurmCluster name: use lower-case letters, digits and '-', starting with a letter and not ending with '-'; give the name of a SlurmCluster in this namespace")
  @ValidationRule(value = "size(self) <= " + Names.MAX_CLUSTER_NAME,
      message = "is longer than " + Names.MAX_CLUSTER_NAME + " characters, which no SlurmCluster name may be; give the name of a SlurmCluster in this namespace")
  @JsonPropertyDescription("The SlurmCluster this node set belongs to (same namespace).")
  public String clusterName;

  @Required
  @Size(min = 1, max = Names.MAX_LENGTH)
  @ValidationRule(value = "self.matches('" + Names.SLURM_NAME + "')", message = Names.NODESET_NAME_MESSAGE)
  @ValidationRule(value = "!(self in " + Names.RESERVED_NODESET_NAMES_CEL + ")", message = Names.RESERVED_NODESET_MESSAGE)
  @JsonPropertyDescription("The node set's name inside its cluster (spec.nodeSets[].name): its Slurm feature and node name prefix.")
  public String nodeSetName;

  @JsonPropertyDescription("The slurmd image of this node set's pods (a template's image still replaces it), set by the operator from the SlurmCluster's spec.nodeImage; during a Slurm upgrade it changes only once slurmctld runs the new release.")
  public String image;

  @SpecReplicas
  @Min(0)
  @Max(1000)
  @JsonPropertyDescription("Number of slurmd pods wanted; the scale subresource, the autoscaler, HPA or KEDA move it.")
  public Integer replicas;
}
