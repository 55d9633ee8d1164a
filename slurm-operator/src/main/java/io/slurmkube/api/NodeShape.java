package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * What every pod of a node set looks like and how far it may scale: shared by the node set entries
 * of a SlurmCluster and by NodeSet objects.
 */
public abstract class NodeShape {
  @Default("0")
  @Min(0)
  @Max(1000)
  public Integer minReplicas = 0;

  @Min(0)
  @Max(1000)
  @JsonPropertyDescription("Upper bound for autoscaling; when absent, the node set does not autoscale.")
  public Integer maxReplicas;

  @Default("60")
  @Min(0)
  @JsonPropertyDescription("How long a node must be idle before the autoscaler drains and removes it.")
  public Integer scaleDownDelaySeconds = 60;

  @Default("1")
  @Min(1)
  @Max(1024)
  @JsonPropertyDescription("CPUs each slurmd pod requests from Kubernetes and reports to Slurm.")
  public Integer cpus = 1;

  @Pattern("^[0-9]+(\\.[0-9]+)?m?$")
  @JsonPropertyDescription("CPU each pod requests from Kubernetes (a quantity such as 500m); defaults to cpus. Lower it to pack more nodes than cores, as on a test machine.")
  public String cpuRequest;

  @Default("1024")
  @Min(64)
  @JsonPropertyDescription("Memory (MiB) each slurmd pod requests and reports to Slurm as RealMemory.")
  public Integer memoryMiB = 1024;

  @Default("0")
  @Min(0)
  @Max(64)
  @JsonPropertyDescription("GPUs each slurmd pod claims through DRA; Slurm sees them as gres/gpu.")
  public Integer gpus = 0;

  @Default("gpu.slurmkube.io")
  @Size(max = 253)
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
  @JsonPropertyDescription("DeviceClass (a DNS subdomain name) that GPU claims are made against: gpu.slurmkube.io (this project's DRA plugin), NVIDIA's gpu.nvidia.com, gpu.example.com (the upstream example driver) or a site's own. slurmd finds the devices in what the container was given (README, GPUs).")
  public String deviceClassName = "gpu.slurmkube.io";

  @Size(max = 16)
  @JsonPropertyDescription("Extra Slurm features for these nodes; the node set name is always a feature.")
  public List<@Pattern("^[A-Za-z0-9_.-]+$") String> features = new ArrayList<>();

  @JsonPropertyDescription("Added to every slurmd pod of the node set: image, env, volumes and mounts, node selector, tolerations, affinity, priority class, resources, security settings, extra containers. Changing it marks running pods outdated; new pods get it.")
  public PodTemplate template;

  @JsonPropertyDescription("How pods made before a change to the template, image, volumes or shape are replaced: RollingUpdate (default; drains first, never kills a job) or OnDelete.")
  public UpdateStrategySpec updateStrategy = new UpdateStrategySpec();

  public boolean autoscales() {
    return maxReplicas != null;
  }
}
