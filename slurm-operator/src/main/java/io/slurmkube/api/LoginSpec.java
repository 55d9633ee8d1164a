package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Login pods: where users run sbatch, squeue and srun. */
public class LoginSpec {
  @Default("1")
  @Min(0)
  @Max(16)
  public int replicas = 1;

  // Each key becomes one line of authorized_keys: a line break would add a key (or options) unseen.
  @Size(max = 64)
  @ValidationRule(value = "self.all(k, !k.contains('\\n') && !k.contains('\\r'))",
      message = "spec.login.sshAuthorizedKeys: a key contains a line break, which would add lines to authorized_keys; give each key as one line (type, key, comment) and list several keys as separate entries")
  @JsonPropertyDescription("SSH public keys allowed to log in (key-only; no passwords), one authorized_keys line each.")
  public List<@Size(min = 1, max = 16384) String> sshAuthorizedKeys = new ArrayList<>();

  @Default("false")
  @JsonPropertyDescription("Allow SSH login as root (with a key of sshAuthorizedKeys; never with a password). Off by default. Until users can be declared, root is the only account on login pods, so a cluster whose users log in over SSH sets it.")
  public boolean allowRootLogin = false;

  @JsonPropertyDescription("Name of an existing Secret with the login pods' SSH host keys, as files named like sshd's (ssh_host_ed25519_key, optionally ssh_host_ecdsa_key, ssh_host_rsa_key and their .pub). When empty the operator generates them once per cluster into <cluster>-ssh-host-keys.")
  public String sshHostKeysSecretName;

  @JsonPropertyDescription("Added to the login pods: image (e.g. with a team's compilers), env, volumes and mounts, node selector, tolerations, affinity, resources, security settings, extra containers. A change rolls the login pods.")
  public PodTemplate template;
}
