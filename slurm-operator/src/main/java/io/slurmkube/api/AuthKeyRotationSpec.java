package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * How a rotation of the generated Slurm auth key proceeds. A rotation is asked for with the
 * annotation {@code slurmkube.io/rotate-auth-key} on the SlurmCluster (any new value).
 */
public class AuthKeyRotationSpec {
  /** The annotation that asks for a rotation: each new value starts one. */
  public static final String REQUEST_ANNOTATION = "slurmkube.io/rotate-auth-key";

  @Default("150")
  @Min(5)
  @Max(3600)
  @JsonPropertyDescription("Seconds slurmctld waits, after it sees a rotation phase's key set, before it takes it in (scontrol reconfigure): the kubelets must have delivered the set to every slurmd pod first, and they refresh Secret volumes about once a minute (syncFrequency). Lower it only where kubelets sync faster. Changing it restarts slurmctld.")
  public Integer settleSeconds = 150;
}
