package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** A Slurm partition over one or more node sets. */
public class PartitionSpec {
  @Required
  @Size(min = 1, max = Names.MAX_LENGTH)
  @ValidationRule(value = "self.matches('" + Names.SLURM_NAME + "')",
      message = "is not a valid partition name: use lower-case letters, digits and '-', starting with a letter and not ending with '-' (for example gpu-a100)")
  @ValidationRule(value = "self.lowerAscii() != 'default'",
      message = "is reserved: Slurm reads a partition named DEFAULT as the defaults for every partition; choose another name and mark the partition with default: true to make it the default")
  @JsonPropertyDescription("Partition name: lower-case letters, digits and '-', starting with a letter.")
  public String name;

  @Size(max = 32)
  @JsonPropertyDescription("Names of the node sets (from spec.nodeSets) whose nodes belong to this partition.")
  public List<String> nodeSets = new ArrayList<>();

  @JsonPropertyDescription("Jobs submitted without -p go to this partition.")
  @com.fasterxml.jackson.annotation.JsonProperty("default")
  public boolean isDefault;

  @Pattern("^(UNLIMITED|INFINITE|[0-9]+(-[0-9]+)?(:[0-9]+){0,2})$")
  @JsonPropertyDescription("Slurm MaxTime: UNLIMITED, minutes, or days-hours:minutes:seconds.")
  public String maxTime;
}
