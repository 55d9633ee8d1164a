package io.slurmkube.slurm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs the short-lived JWTs (HS256) that slurmrestd passes to slurmctld, which checks them with
 * the same key ({@code AuthAltParameters=jwt_key=...}). The claims are Slurm's: {@code sun} (the
 * Slurm user name), {@code iat} and {@code exp}. HMAC-SHA256 is the JDK's; a token is reused until
 * a third of its lifetime is left.
 */
public final class JwtSigner {
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HEADER = BASE64URL.encodeToString(
      "{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

  private final SecretKeySpec key;
  private final String user;
  private final Duration lifetime;
  private final Clock clock;
  private String token;
  private Instant renewAt = Instant.MIN;

  /**
   * @param key the contents of jwt_hs256.key
   * @param user the Slurm user the tokens speak for (SlurmUser or root to manage nodes)
   * @param lifetime how long each token is valid
   */
  public JwtSigner(byte[] key, String user, Duration lifetime, Clock clock) {
    if (key == null || key.length < 32) {
      throw new IllegalArgumentException("a JWT HS256 key needs at least 32 bytes");
    }
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("a Slurm user name is required");
    }
    if (lifetime.isNegative() || lifetime.isZero()) {
      throw new IllegalArgumentException("token lifetime must be positive");
    }
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    this.user = user;
    this.lifetime = lifetime;
    this.clock = clock;
  }

  public JwtSigner(byte[] key, String user) {
    this(key, user, Duration.ofMinutes(5), Clock.systemUTC());
  }

  public String user() { return user; }

  /** A valid token, signed anew when the current one is past two thirds of its life. */
  public synchronized String token() {
    Instant now = clock.instant();
    if (token == null || !now.isBefore(renewAt)) {
      token = sign(now);
      renewAt = now.plus(lifetime.multipliedBy(2).dividedBy(3));
    }
    return token;
  }

  String sign(Instant issuedAt) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iat", issuedAt.getEpochSecond());
    claims.put("exp", issuedAt.plus(lifetime).getEpochSecond());
    claims.put("sun", user);
    try {
      String payload = BASE64URL.encodeToString(JSON.writeValueAsBytes(claims));
      String signingInput = HEADER + "." + payload;
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return signingInput + "." + BASE64URL.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot sign a JWT", e);
    }
  }
}
