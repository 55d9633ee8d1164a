package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A Unix group that declared users share (e.g. for a project directory). */
public class GroupSpec {
  @Required
  @Size(min = 1, max = 32)
  @Pattern(Names.UNIX_NAME)
  @ValidationRule(value = "!(self in " + Names.RESERVED_UNIX_NAMES_CEL + ")",
      message = "spec.groups[].name is a group the images already have (root, slurm, users, ...); choose another name")
  public String name;

  @Required
  @Min(1000)
  @Max(2147483647)
  @ValidationRule(value = "!(self in " + UserSpec.RESERVED_IDS_CEL + ")",
      message = "spec.groups[].gid is the gid of slurm (64030), slurmrestd (64031) or nogroup (65534); choose another gid")
  @JsonPropertyDescription("Group id (1000 or more).")
  public Long gid;
}
