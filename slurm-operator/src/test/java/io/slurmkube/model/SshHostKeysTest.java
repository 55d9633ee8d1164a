package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host keys the operator writes must be keys that OpenSSH itself loads and signs with. */
class SshHostKeysTest {
  static final Map<String, byte[]> FILES = SshHostKeys.generate(new SecureRandom(), "slurmkube-demo-login");
  static final List<String> KEYS = List.of(SshHostKeys.ED25519, SshHostKeys.ECDSA, SshHostKeys.RSA);

  @TempDir Path dir;

  @Test
  void everyTypeHasAPrivateAndAPublicFile() {
    assertThat(FILES.keySet()).containsExactly(
        "ssh_host_ed25519_key", "ssh_host_ed25519_key.pub",
        "ssh_host_ecdsa_key", "ssh_host_ecdsa_key.pub",
        "ssh_host_rsa_key", "ssh_host_rsa_key.pub");
    assertThat(text("ssh_host_ed25519_key.pub")).startsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5").endsWith(" slurmkube-demo-login\n");
    assertThat(text("ssh_host_ecdsa_key.pub")).startsWith("ecdsa-sha2-nistp256 ");
    assertThat(text("ssh_host_rsa_key.pub")).startsWith("ssh-rsa ");
  }

  @Test
  void twoClustersGetDifferentKeys() {
    var other = SshHostKeys.generate(new SecureRandom(), "slurmkube-demo-login");
    for (String key : KEYS) {
      assertThat(other.get(key + ".pub")).isNotEqualTo(FILES.get(key + ".pub"));
    }
  }

  /** Read as OpenSSH's PROTOCOL.key describes it, without ssh-keygen. */
  @Test
  void thePrivateKeyFilesFollowTheOpenSshKeyFormat() {
    for (String key : KEYS) {
      String pem = text(key);
      assertThat(pem).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n").endsWith("\n-----END OPENSSH PRIVATE KEY-----\n");
      assertThat(pem.lines().skip(1).takeWhile(l -> !l.startsWith("-----"))).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(70));
      byte[] file = Base64.getMimeDecoder().decode(pem.lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat));
      var in = ByteBuffer.wrap(file);
      byte[] magic = new byte[15];
      in.get(magic);
      assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("openssh-key-v1\0");
      assertThat(string(in)).as("cipher").isEqualTo("none".getBytes(StandardCharsets.US_ASCII));
      assertThat(string(in)).as("kdf").isEqualTo("none".getBytes(StandardCharsets.US_ASCII));
      assertThat(string(in)).as("kdf options").isEmpty();
      assertThat(in.getInt()).as("number of keys").isEqualTo(1);
      byte[] blob = string(in);
      String[] pub = text(key + ".pub").split(" ");
      assertThat(Base64.getEncoder().encodeToString(blob)).as("the public key in the file is the .pub one").isEqualTo(pub[1]);
      var section = ByteBuffer.wrap(string(in));
      assertThat(in.hasRemaining()).isFalse();
      assertThat(section.remaining() % 8).isZero();
      assertThat(section.getInt()).as("check integers match").isEqualTo(section.getInt());
      assertThat(new String(string(section), StandardCharsets.US_ASCII)).isEqualTo(pub[0]);
    }
  }

  @Test
  void sshKeygenLoadsEveryKeyAndDerivesTheSamePublicKey() throws Exception {
    assumeTrue(sshKeygen(), "ssh-keygen is not installed here");
    for (String key : KEYS) {
      Path file = write(key);
      var derived = run("ssh-keygen", "-y", "-f", file.toString());
      assertThat(derived.code).as("ssh-keygen -y -f %s: %s", key, derived.out).isZero();
      String[] expected = text(key + ".pub").split(" ");
      assertThat(derived.out.strip()).startsWith(expected[0] + " " + expected[1]);
    }
  }

  /** ssh-keygen -y only reads the public half: a signature shows the private half belongs to it. */
  @Test
  void everyPrivateKeySignsWhatItsPublicKeyVerifies() throws Exception {
    assumeTrue(sshKeygen(), "ssh-keygen is not installed here");
    Path data = Files.writeString(dir.resolve("data"), "hello from slurmkube\n");
    for (String key : KEYS) {
      Path file = write(key);
      var sign = run("ssh-keygen", "-Y", "sign", "-f", file.toString(), "-n", "file", data.toString());
      assertThat(sign.code).as("sign with %s: %s", key, sign.out).isZero();
      Path signers = Files.writeString(dir.resolve("signers"), "login " + text(key + ".pub"));
      var verify = run("sh", "-c", "ssh-keygen -Y verify -f \"$1\" -I login -n file -s \"$2.sig\" < \"$2\"", "verify",
          signers.toString(), data.toString());
      assertThat(verify.code).as("verify %s: %s", key, verify.out).isZero();
      Files.delete(dir.resolve("data.sig"));
    }
  }

  private Path write(String key) throws IOException {
    Path file = dir.resolve(key);
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, FILES.get(key));
    return file;
  }

  private static String text(String file) {
    return new String(FILES.get(file), StandardCharsets.US_ASCII);
  }

  private static byte[] string(ByteBuffer in) {
    byte[] bytes = new byte[in.getInt()];
    in.get(bytes);
    return bytes;
  }

  record Result(int code, String out) {}

  private static Result run(String... command) throws Exception {
    var process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(process.waitFor(), out);
  }

  private static boolean sshKeygen() {
    try {
      return run("sh", "-c", "command -v ssh-keygen").code == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
