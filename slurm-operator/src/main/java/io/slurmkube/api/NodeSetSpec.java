package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A node set entry of a SlurmCluster: a group of identical slurmd pods registering as Slurm dynamic nodes. */
@ValidationRule(value = "!has(self.maxReplicas) || !has(self.minReplicas) || self.minReplicas <= self.maxReplicas",
    message = "minReplicas is greater than maxReplicas; lower minReplicas or raise maxReplicas",
    fieldPath = ".minReplicas")
@ValidationRule(value = "!has(self.maxReplicas) || !has(self.replicas) || self.replicas <= self.maxReplicas",
    message = "replicas is greater than maxReplicas; lower replicas or raise maxReplicas",
    fieldPath = ".replicas")
public class NodeSetSpec extends NodeShape {
  @Required
  @Size(min = 1, max = Names.MAX_LENGTH)
  @ValidationRule(value = "self.matches('" + Names.SLURM_NAME + "')", message = Names.NODESET_NAME_MESSAGE)
  @ValidationRule(value = "!(self in " + Names.RESERVED_NODESET_NAMES_CEL + ")", message = Names.RESERVED_NODESET_MESSAGE)
  @JsonPropertyDescription("Node set name; also the Slurm feature and node name prefix. Lower-case letters, digits and '-', starting with a letter.")
  public String name;

  @Min(0)
  @Max(1000)
  @JsonPropertyDescription("Number of slurmd pods. Sets the NodeSet's spec.replicas when it is created and again whenever this value is changed; in between, the autoscaler, an HPA or kubectl scale may move the NodeSet's count.")
  public Integer replicas;

  /** Replicas to create when the spec gives none: the lower autoscaling bound. */
  public int initialReplicas() {
    return replicas != null ? replicas : minReplicas == null ? 0 : minReplicas;
  }
}
