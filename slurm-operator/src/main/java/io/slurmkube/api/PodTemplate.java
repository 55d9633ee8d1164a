package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a user adds to the pods the operator builds, in the shape of a Kubernetes pod template.
 * The merge rules are in {@code io.slurmkube.model.PodTemplates} and the README.
 */
public class PodTemplate {
  public Metadata metadata = new Metadata();

  public TemplatePodSpec spec = new TemplatePodSpec();

  /** Labels and annotations added to the pods; the operator's own labels win over these. */
  public static class Metadata {
    @Size(max = 64)
    @JsonPropertyDescription("Labels added to the pods. The operator's own labels (app.kubernetes.io/*, slurmkube.io/*) keep their values.")
    public Map<String, String> labels = new LinkedHashMap<>();

    @Size(max = 64)
    @JsonPropertyDescription("Annotations added to the pods.")
    public Map<String, String> annotations = new LinkedHashMap<>();
  }

}
