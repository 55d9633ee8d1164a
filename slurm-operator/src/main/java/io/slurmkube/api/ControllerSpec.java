package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** slurmctld: one pod whose StateSaveLocation lives on a PersistentVolumeClaim. */
public class ControllerSpec {
  @Default("1Gi")
  @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")
  @JsonPropertyDescription("Size of the volume that holds slurmctld's saved state (jobs, nodes), e.g. 1Gi.")
  public String storageSize = "1Gi";

  @JsonPropertyDescription("StorageClass of that volume; empty means the cluster default.")
  public String storageClassName;

  @Default("100000")
  @Min(1000)
  @Max(10000000)
  @JsonPropertyDescription("Most jobs slurmctld holds at once (MaxJobCount: pending, running and those finished less than MinJobAge ago); beyond it sbatch waits or is refused. Slurm's own default is 10,000, which a busy site reaches; each job costs slurmctld a few KiB. Changing it restarts slurmctld.")
  public Integer maxJobCount = 100000;
}
