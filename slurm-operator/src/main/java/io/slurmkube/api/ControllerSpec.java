package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** slurmctld: one pod whose StateSaveLocation lives on a PersistentVolumeClaim. */
public class ControllerSpec {
  @Default("1Gi")
  @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")
  @JsonPropertyDescription("Size of the volume that holds slurmctld's saved state (jobs, nodes), e.g. 1Gi.")
  public String storageSize = "1Gi";

  @JsonPropertyDescription("StorageClass of that volume; empty means the cluster default.")
  public String storageClassName;
}
