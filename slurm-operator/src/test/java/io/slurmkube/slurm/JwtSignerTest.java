package io.slurmkube.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Token shape and renewal; SlurmClusterIT shows slurmctld accepting them and refusing a wrong key. */
class JwtSignerTest {
  private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private static JsonNode part(String token, int index) throws Exception {
    return new ObjectMapper().readTree(Base64.getUrlDecoder().decode(token.split("\\.")[index]));
  }

  @Test
  void tokensCarrySlurmsClaimsAndExpireAfterTheirLifetime() throws Exception {
    var clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    String token = new JwtSigner(KEY, "slurm", Duration.ofMinutes(5), clock).token();
    assertThat(token.split("\\.")).hasSize(3);
    assertThat(part(token, 0).path("alg").asText()).isEqualTo("HS256");
    JsonNode claims = part(token, 1);
    assertThat(claims.path("sun").asText()).isEqualTo("slurm");
    assertThat(claims.path("iat").asLong()).isEqualTo(1767225600L);
    assertThat(claims.path("exp").asLong()).isEqualTo(1767225600L + 300);
  }

  @Test
  void aTokenIsReusedUntilTwoThirdsOfItsLifeThenRenewed() {
    var now = new Instant[] {Instant.parse("2026-01-01T00:00:00Z")};
    var clock = new Clock() {
      @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
      @Override public Clock withZone(java.time.ZoneId zone) { return this; }
      @Override public Instant instant() { return now[0]; }
    };
    var signer = new JwtSigner(KEY, "slurm", Duration.ofSeconds(90), clock);
    String first = signer.token();
    now[0] = now[0].plusSeconds(59);
    assertThat(signer.token()).isEqualTo(first);
    now[0] = now[0].plusSeconds(1);
    assertThat(signer.token()).isNotEqualTo(first);
  }

  @Test
  void signaturesDependOnTheKey() {
    var clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    byte[] other = KEY.clone();
    other[0] ^= 1;
    String a = new JwtSigner(KEY, "slurm", Duration.ofMinutes(1), clock).token();
    String b = new JwtSigner(other, "slurm", Duration.ofMinutes(1), clock).token();
    assertThat(a.substring(0, a.lastIndexOf('.'))).isEqualTo(b.substring(0, b.lastIndexOf('.')));
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void refusesShortKeysAndBlankUsers() {
    assertThatThrownBy(() -> new JwtSigner(new byte[8], "slurm")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new JwtSigner(KEY, " ")).isInstanceOf(IllegalArgumentException.class);
  }
}
