package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** slurmrestd. The operator itself talks to Slurm through it, so it is on unless turned off. */
public class RestApiSpec {
  @Default("true")
  @JsonPropertyDescription("Run slurmrestd. Autoscaling and status need it.")
  public boolean enabled = true;
}
