package io.slurmkube.model;

import io.slurmkube.api.AccountingSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Everything the builders need to know about one SlurmCluster, computed once from its spec:
 * object names, the Slurm configuration files and their hash, and which Secrets hold the keys.
 */
public final class ClusterModel {
  /** Pod annotation whose change rolls a pod when the configuration it reads at start changes. */
  public static final String CONFIG_HASH = "slurmkube.io/config-hash";
  public static final String CONFIG_MOUNT = "/etc/slurmkube/config";
  public static final String SECRETS_MOUNT = "/etc/slurmkube/secrets";

  private final SlurmCluster cluster;
  private final ClusterNames names;
  private final Map<String, String> configFiles;
  private final String authKeySet;

  public ClusterModel(SlurmCluster cluster) {
    this(cluster, null);
  }

  /**
   * @param authKeySet digest of the auth key set ({@code slurm.jwks}) in the key Secret, null when
   *     it has none: pods that read the set only at start carry it, so a new set restarts them
   */
  public ClusterModel(SlurmCluster cluster, String authKeySet) {
    this.cluster = cluster;
    this.authKeySet = authKeySet;
    this.names = new ClusterNames(cluster.getMetadata().getName(), cluster.getMetadata().getNamespace());
    this.configFiles = SlurmConfig.render(names.cluster(), cluster.getSpec(), names.slurmHosts());
  }

  public SlurmCluster cluster() { return cluster; }
  public SlurmClusterSpec spec() { return cluster.getSpec(); }
  public ClusterNames names() { return names; }
  public String name() { return names.cluster(); }
  public String namespace() { return names.namespace(); }
  public Map<String, String> configFiles() { return configFiles; }

  public String authKeySecretName() {
    return blank(spec().authKeySecretName) ? names.authKeySecret() : spec().authKeySecretName;
  }

  public String jwtKeySecretName() {
    return blank(spec().jwtKeySecretName) ? names.jwtKeySecret() : spec().jwtKeySecretName;
  }

  public String sshHostKeysSecretName() {
    var login = spec().login;
    return login == null || blank(login.sshHostKeysSecretName) ? names.sshHostKeysSecret() : login.sshHostKeysSecretName;
  }

  public boolean generatesSshHostKeys() {
    return spec().login == null || blank(spec().login.sshHostKeysSecretName);
  }

  /** The auth key set's digest for {@link AuthKeyRotation#POD_ANNOTATION}; null without a set. */
  public String authKeySet() { return authKeySet; }

  /** spec.authKeyRotation.settleSeconds, or its default. */
  public int keySettleSeconds() {
    var rotation = spec().authKeyRotation;
    return rotation == null || rotation.settleSeconds == null ? 150 : rotation.settleSeconds;
  }

  public boolean generatesAuthKey() { return blank(spec().authKeySecretName); }
  public boolean generatesJwtKey() { return blank(spec().jwtKeySecretName); }

  public AccountingSpec.Mode accountingMode() {
    return spec().accounting == null ? AccountingSpec.Mode.Embedded : spec().accounting.mode;
  }

  public boolean runsSlurmdbd() { return accountingMode() != AccountingSpec.Mode.None; }
  public boolean runsDatabase() { return accountingMode() == AccountingSpec.Mode.Embedded; }
  public boolean runsRestApi() { return spec().restApi == null || spec().restApi.enabled; }

  /**
   * Hash of what slurmctld can only take in by restarting. Left out: partitions, node sets and
   * gres.conf, which its entrypoint installs and follows with {@code scontrol reconfigure}, and
   * the FUTURE placeholders, which it applies with {@code scontrol create}/{@code delete}. slurmd,
   * sackd and the tools are configless, so they never need a restart for a configuration change.
   */
  public String controllerConfigHash() {
    String restartRelevant = configFiles.getOrDefault(SlurmConfig.SLURM_CONF, "").lines()
        .filter(line -> !line.startsWith("PartitionName=") && !line.startsWith("Nodeset="))
        .collect(java.util.stream.Collectors.joining("\n"));
    // The GPU Prolog/Epilog are read from slurmctld's directory, installed at its start; only
    // clusters with GPUs have them, so the hash of the others stays what it was.
    String gpuScript = configFiles.get(SlurmConfig.GPU_PROLOG);
    return gpuScript == null ? hash(restartRelevant, configFiles.get(SlurmConfig.CGROUP_CONF))
        : hash(restartRelevant, configFiles.get(SlurmConfig.CGROUP_CONF), gpuScript);
  }

  /** Hash of everything in slurm.conf: when only this changes, slurmctld is told to reconfigure. */
  public String fullConfigHash() {
    return hash(configFiles.values().toArray(String[]::new));
  }

  /** Hash of slurmdbd's configuration, which it reads only at start. */
  public String accountingConfigHash() {
    return hash(configFiles.get("slurmdbd.conf"));
  }

  static String hash(String... parts) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        digest.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
