package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;

/**
 * A Kubernetes volumeMount of the operator's container (same fields and meaning), with bounded
 * lengths so that admission can check the path against the directories Slurm needs.
 */
@ValidationRule(value = ReservedPaths.CEL_ALLOWED_MOUNT, message = "mountPath " + ReservedPaths.MESSAGE, fieldPath = ".mountPath")
public class TemplateVolumeMount {
  @Required
  @Size(min = 1, max = 63)
  @JsonPropertyDescription("Name of a volume of the pod: one of template.spec.volumes or spec.sharedVolumes.")
  public String name;

  @Required
  @Size(min = 1, max = 256)
  @Pattern("^/")
  @JsonPropertyDescription("Absolute path in the container.")
  public String mountPath;

  public Boolean readOnly;

  @Size(max = 256)
  public String subPath;

  @Size(max = 256)
  public String subPathExpr;

  public TemplateVolumeMount() {}

  public TemplateVolumeMount(String name, String mountPath) {
    this.name = name;
    this.mountPath = mountPath;
  }

  public VolumeMount toVolumeMount() {
    return new VolumeMountBuilder().withName(name).withMountPath(mountPath).withReadOnly(readOnly)
        .withSubPath(subPath).withSubPathExpr(subPathExpr).build();
  }
}
