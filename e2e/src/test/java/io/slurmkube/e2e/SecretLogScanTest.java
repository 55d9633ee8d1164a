package io.slurmkube.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The log scan of AuthKeyRotationE2EIT finds each form a secret could be logged in, and names no value. */
class SecretLogScanTest {
  static final byte[] KEY = {(byte) 0xfb, (byte) 0xff, 0x01, 0x7e, 0x3f, (byte) 0xbe, 0x00, 0x10, 0x22, 0x33,
      (byte) 0x80, (byte) 0xfe, 0x44, 0x55, 0x66, 0x77};
  static final String PASSWORD = "Zq3-xw_91LkPa0rT";

  final SecretLogScan scan = new SecretLogScan().add("slurm.key", KEY)
      .add("db-password", PASSWORD.getBytes(StandardCharsets.UTF_8));

  @Test
  void findsEveryEncodingOfAKeyAndNamesNoValue() {
    String log = String.join("\n",
        "2026-11-30T03:00:00 [INFO] started",
        "< {\"data\":{\"slurm.key\":\"" + Base64.getEncoder().encodeToString(KEY) + "\"}}",
        "{\"keys\":[{\"k\":\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(KEY) + "\"}]}",
        "StoragePass=" + PASSWORD,
        "> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzbHVybSJ9.c2lnbmF0dXJl",
        "ALTER USER 'slurm'@'%' IDENTIFIED BY '" + PASSWORD + "'");
    var found = scan.findings("op/operator", log);
    assertThat(found).containsExactly("op/operator:2: slurm.key (base64)", "op/operator:3: slurm.key (base64url)",
        "op/operator:4: db-password", "op/operator:5: a JWT", "op/operator:6: db-password");
    assertThat(String.join("\n", found)).doesNotContain(PASSWORD, Base64.getEncoder().encodeToString(KEY));
  }

  @Test
  void aCleanLogHasNoFindings() {
    assertThat(scan.findings("ns/pod", "[INFO] auth key rotation cluster=keys phase=Stable\nslurmctld: done\n"))
        .isEmpty();
  }
}
