package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Volume;

/**
 * A volume mounted at the same path in every login and slurmd pod: a Kubernetes volume (any
 * source: persistentVolumeClaim, nfs, hostPath, ...) plus where it goes. Jobs see the same files
 * wherever they run, and the files outlive the pods.
 */
@ValidationRule(value = ReservedPaths.CEL_ALLOWED_MOUNT, message = "mountPath " + ReservedPaths.MESSAGE, fieldPath = ".mountPath")
@ValidationRule(value = "!(self.name in ['slurm-config', 'slurm-secrets', 'gpu-devices', 'slurmkube-home'])",
    message = "name is used by the operator's own volumes (slurm-config, slurm-secrets, gpu-devices, slurmkube-home): choose another name",
    fieldPath = ".name")
public class SharedVolume extends Volume {
  @Required
  @Size(min = 1, max = 256)
  @Pattern("^/")
  @JsonPropertyDescription("Absolute path at which login and slurmd pods mount the volume, e.g. /datasets.")
  public String mountPath;

  @JsonPropertyDescription("Mount read-only (e.g. a shared dataset).")
  public Boolean readOnly;

  @Size(max = 256)
  @JsonPropertyDescription("Mount only this path inside the volume.")
  public String subPath;
}
