package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.ArrayList;
import java.util.List;

/** Login pods: where users run sbatch, squeue and srun. */
public class LoginSpec {
  @Default("1")
  @Min(0)
  @Max(16)
  public int replicas = 1;

  @JsonPropertyDescription("SSH public keys allowed to log in (key-only; no passwords).")
  public List<String> sshAuthorizedKeys = new ArrayList<>();

  @JsonPropertyDescription("Added to the login pods: image (e.g. with a team's compilers), env, volumes and mounts, node selector, tolerations, affinity, resources, security settings, extra containers. A change rolls the login pods.")
  public PodTemplate template;
}
