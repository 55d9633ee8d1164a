package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pod-level fields of a Kubernetes PodSpec that a user may set, plus the fields of the
 * operator's own container (slurmd or login) that a user may add to: image, env, envFrom,
 * volumeMounts, resources and containerSecurityContext. Extra containers and init containers are
 * added beside it. Fields that would break Slurm are refused at admission.
 */
@ValidationRule(value = "!has(self.hostname)",
    message = "hostname cannot be set: the operator names each pod after its Slurm node; remove template.spec.hostname",
    fieldPath = ".hostname")
@ValidationRule(value = "!has(self.subdomain)",
    message = "subdomain cannot be set: Slurm finds its nodes through the operator's headless Service; remove template.spec.subdomain",
    fieldPath = ".subdomain")
@ValidationRule(value = "!has(self.hostNetwork) || !self.hostNetwork",
    message = "hostNetwork cannot be true: slurmd pods sharing a Kubernetes node would share one slurmd port; remove template.spec.hostNetwork",
    fieldPath = ".hostNetwork")
public class TemplatePodSpec {
  // ---- the operator's container

  @Pattern("^\\S+$")
  @JsonPropertyDescription("Image of the operator's container (slurmd, or login), replacing spec.nodeImage, e.g. a team's image built FROM the project's slurmd image.")
  public String image;

  @Size(max = 64)
  @ValidationRule(value = "self.all(e, !(e.name in ['SLURM_CONF_SERVER', 'SLURM_NODENAME', 'SLURM_NODESET', 'SLURM_FEATURES', "
      + "'SLURM_CPUS', 'SLURM_MEMORY_MIB', 'SLURM_GPUS', 'SLURM_GPU_INFO_DIR', 'SLURM_GPU_DEVICE_CLASS', 'POD_UID', 'SSH_AUTHORIZED_KEYS']))",
      message = "sets a variable the operator sets itself (SLURM_CONF_SERVER, SLURM_NODENAME, SLURM_NODESET, SLURM_FEATURES, SLURM_CPUS, "
          + "SLURM_MEMORY_MIB, SLURM_GPUS, SLURM_GPU_INFO_DIR, SLURM_GPU_DEVICE_CLASS, POD_UID, SSH_AUTHORIZED_KEYS): use the node set's own fields instead")
  @JsonPropertyDescription("Environment variables added to the operator's container.")
  public List<EnvVar> env = new ArrayList<>();

  @Size(max = 16)
  @JsonPropertyDescription("ConfigMaps and Secrets whose keys become environment variables of the operator's container.")
  public List<EnvFromSource> envFrom = new ArrayList<>();

  @Size(max = 32)
  @JsonPropertyDescription("Mounts added to the operator's container, of template.spec.volumes or spec.sharedVolumes.")
  public List<TemplateVolumeMount> volumeMounts = new ArrayList<>();

  @JsonPropertyDescription("Requests and limits of the operator's container; each one given here replaces the operator's (cpu and memory requests come from cpus/cpuRequest and memoryMiB otherwise).")
  public ResourceRequirements resources;

  @JsonPropertyDescription("securityContext of the operator's container (e.g. capabilities).")
  public SecurityContext containerSecurityContext;

  // ---- the pod

  @Size(max = 32)
  @ValidationRule(value = "self.all(v, !(v.name in ['slurm-config', 'slurm-secrets', 'gpu-devices', 'slurmkube-home']))",
      message = "a volume is named like one of the operator's (slurm-config, slurm-secrets, gpu-devices, slurmkube-home): choose another name")
  @JsonPropertyDescription("Volumes added to the pod (any Kubernetes volume source).")
  public List<Volume> volumes = new ArrayList<>();

  @Size(max = 8)
  @ValidationRule(value = "self.all(c, !(c.name in ['slurmd', 'login']))",
      message = "a container is named like the operator's (slurmd, login): give the extra container another name")
  @JsonPropertyDescription("Extra containers (sidecars) added beside the operator's.")
  public List<Container> containers = new ArrayList<>();

  @Size(max = 8)
  @ValidationRule(value = "self.all(c, !(c.name in ['slurmd', 'login']))",
      message = "an init container is named like the operator's (slurmd, login): give it another name")
  @JsonPropertyDescription("Init containers, run before the operator's container starts.")
  public List<Container> initContainers = new ArrayList<>();

  @Size(max = 32)
  @JsonPropertyDescription("Node labels the pods require, added to those of spec.fleet (which win on the same key).")
  public Map<String, String> nodeSelector = new LinkedHashMap<>();

  @Size(max = 32)
  @JsonPropertyDescription("Tolerations added to the pods.")
  public List<Toleration> tolerations = new ArrayList<>();

  public Affinity affinity;

  public String priorityClassName;

  @JsonPropertyDescription("RuntimeClass of the pods, e.g. nvidia.")
  public String runtimeClassName;

  @Size(max = 8)
  public List<LocalObjectReference> imagePullSecrets = new ArrayList<>();

  @JsonPropertyDescription("The pod's securityContext (e.g. fsGroup, supplementalGroups, sysctls, seccompProfile).")
  public PodSecurityContext securityContext;

  // ---- refused at admission, listed so that the refusal can say why

  @JsonPropertyDescription("Not allowed: the operator names each pod after its Slurm node.")
  public String hostname;

  @JsonPropertyDescription("Not allowed: Slurm finds its nodes through the operator's headless Service.")
  public String subdomain;

  @JsonPropertyDescription("Not allowed: slurmd pods on one Kubernetes node would share one port.")
  public Boolean hostNetwork;

}
