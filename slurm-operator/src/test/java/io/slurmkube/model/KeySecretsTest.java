package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class KeySecretsTest {
  final KeySecrets secrets = new KeySecrets(new SecureRandom());

  @Test
  void generatedKeysAreRandomAndLongEnough() {
    var cluster = Fixtures.cluster();
    String a = secrets.authKey(cluster, null).getData().get(KeySecrets.AUTH_KEY);
    String b = secrets.authKey(cluster, null).getData().get(KeySecrets.AUTH_KEY);
    assertThat(a).isNotEqualTo(b);
    assertThat(Base64.getDecoder().decode(a)).hasSize(1024);
    assertThat(Base64.getDecoder().decode(secrets.jwtKey(cluster, null).getData().get(KeySecrets.JWT_KEY))).hasSize(64);
  }

  @Test
  void anExistingKeyIsNeverRegenerated() {
    var cluster = Fixtures.cluster();
    var first = secrets.jwtKey(cluster, null);
    var again = secrets.jwtKey(cluster, first);
    assertThat(again.getData()).isEqualTo(first.getData());
  }

  @Test
  void sshHostKeysAreOneSecretOfTheClusterWithEveryKeyFile() {
    var secret = secrets.sshHostKeys(Fixtures.cluster());
    assertThat(secret.getMetadata().getName()).isEqualTo("demo-ssh-host-keys");
    assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-1"));
    assertThat(secret.getData()).containsKeys("ssh_host_ed25519_key", "ssh_host_ed25519_key.pub",
        "ssh_host_ecdsa_key", "ssh_host_rsa_key");
    assertThat(new String(Base64.getDecoder().decode(secret.getData().get("ssh_host_ed25519_key"))))
        .startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
  }

  @Test
  void databasePasswordsArePrintable() {
    String encoded = secrets.databasePassword(Fixtures.cluster(), null).getData().get(KeySecrets.DB_PASSWORD);
    assertThat(new String(Base64.getDecoder().decode(encoded))).matches("[A-Za-z0-9_-]{32}");
  }

  @Test
  void secretsAreOwnedByTheCluster() {
    var secret = secrets.authKey(Fixtures.cluster(), null);
    assertThat(secret.getMetadata().getName()).isEqualTo("demo-auth-key");
    assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-1"));
  }
}
