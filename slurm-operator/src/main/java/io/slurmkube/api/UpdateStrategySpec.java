package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** How a node set replaces pods made before a change to its template, image, volumes or shape. */
public class UpdateStrategySpec {
  public enum Type { RollingUpdate, OnDelete }

  @Default("RollingUpdate")
  @JsonPropertyDescription("RollingUpdate: the operator drains outdated nodes in Slurm (idle ones first), and replaces each pod once its node holds no job; running jobs are never killed. OnDelete: outdated pods stay until someone deletes them.")
  public Type type = Type.RollingUpdate;

  @Default("1")
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("RollingUpdate: how many nodes may be draining or being replaced at once.")
  public Integer maxUnavailable = 1;
}
