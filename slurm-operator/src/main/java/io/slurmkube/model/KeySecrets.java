package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.slurmkube.api.SlurmCluster;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * The cluster's secrets: the Slurm auth key (auth/slurm), the JWT key (slurmrestd tokens), the
 * embedded database's password and the login pods' SSH host keys. Each is generated once from a secure random source; a Secret that
 * already exists keeps its value, so keys are never rotated behind the daemons' backs.
 */
public final class KeySecrets {
  public static final String AUTH_KEY = "slurm.key";
  public static final String JWT_KEY = "jwt_hs256.key";
  public static final String DB_PASSWORD = "db-password";

  private final SecureRandom random;

  public KeySecrets(SecureRandom random) {
    this.random = random;
  }

  public Secret authKey(SlurmCluster cluster, Secret existing) {
    return keySecret(cluster, names(cluster).authKeySecret(), AUTH_KEY, 1024, existing);
  }

  public Secret jwtKey(SlurmCluster cluster, Secret existing) {
    return keySecret(cluster, names(cluster).jwtKeySecret(), JWT_KEY, 64, existing);
  }

  public Secret databasePassword(SlurmCluster cluster, Secret existing) {
    return keySecret(cluster, names(cluster).databaseSecret(), DB_PASSWORD, 24, existing);
  }

  /**
   * The login pods' SSH host keys, one set per cluster: every replica and every restart shows
   * the same host key. Generating takes a moment (RSA), so call it only when the Secret is absent.
   */
  public Secret sshHostKeys(SlurmCluster cluster) {
    var data = new java.util.LinkedHashMap<String, String>();
    SshHostKeys.generate(random, "slurmkube-" + cluster.getMetadata().getName() + "-login")
        .forEach((file, bytes) -> data.put(file, Base64.getEncoder().encodeToString(bytes)));
    return new SecretBuilder()
        .withMetadata(Owned.meta(cluster, names(cluster).sshHostKeysSecret(), Labels.of(cluster.getMetadata().getName(), "keys")))
        .withType("Opaque")
        .withData(data)
        .build();
  }

  private Secret keySecret(SlurmCluster cluster, String name, String key, int bytes, Secret existing) {
    String value = existing != null && existing.getData() != null && existing.getData().containsKey(key)
        ? existing.getData().get(key)
        : generate(bytes, key.equals(DB_PASSWORD));
    return new SecretBuilder()
        .withMetadata(Owned.meta(cluster, name, Labels.of(cluster.getMetadata().getName(), "keys")))
        .withType("Opaque")
        .withData(Map.of(key, value))
        .build();
  }

  /** Base64 of random bytes; passwords are URL-safe text so that they survive SQL and shells. */
  private String generate(int bytes, boolean printable) {
    byte[] raw = new byte[bytes];
    random.nextBytes(raw);
    byte[] value = printable ? Base64.getUrlEncoder().withoutPadding().encode(raw) : raw;
    return Base64.getEncoder().encodeToString(value);
  }

  private static ClusterNames names(SlurmCluster cluster) {
    return new ClusterNames(cluster.getMetadata().getName(), cluster.getMetadata().getNamespace());
  }
}
