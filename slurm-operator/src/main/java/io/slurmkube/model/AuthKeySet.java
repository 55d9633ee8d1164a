package io.slurmkube.model;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The Slurm auth key set file ({@code slurm.jwks}) for each phase of a key rotation
 * ({@link AuthKeyRotation} drives the phases).
 *
 * <p>Slurm 24.11 signs with the set's default key, names it in each token's {@code kid} and accepts
 * any key of the set, so every component must have finished one phase before any starts the next
 * (docs/FACTS.md, "Auth key rotation"): ADD {old default, new}, SWITCH {new default, old},
 * DROP {new}. The entrypoints take a changed set in without a restart (slurmctld, slurmd); slurmdbd
 * and login pods must restart for each phase.
 */
public final class AuthKeySet {
  /** File name in the auth key Secret and in /etc/slurm. */
  public static final String FILE = "slurm.jwks";

  /** A phase of a rotation from one key to the next; STABLE: no rotation (plain slurm.key). */
  public enum Phase {
    STABLE, ADD, SWITCH, DROP;

    /** The phase after this one; DROP ends the rotation (the new key is then the only one). */
    public Phase next() {
      return switch (this) {
        case STABLE -> ADD;
        case ADD -> SWITCH;
        case SWITCH, DROP -> DROP;
      };
    }
  }

  private AuthKeySet() {}

  /**
   * The key set for {@code phase} of a rotation from {@code oldKey} to {@code newKey} (raw key
   * bytes); null for STABLE, where the plain slurm.key serves.
   */
  public static String forPhase(Phase phase, byte[] oldKey, byte[] newKey) {
    return switch (phase) {
      case STABLE -> null;
      case ADD -> jwks(List.of(oldKey, newKey), 0);
      case SWITCH -> jwks(List.of(newKey, oldKey), 0);
      case DROP -> jwks(List.of(newKey), 0);
    };
  }

  /** A jwks document of HS256 keys, {@code keys.get(defaultIndex)} marked as the signing key. */
  static String jwks(List<byte[]> keys, int defaultIndex) {
    var factory = JsonNodeFactory.instance;
    ObjectNode root = factory.objectNode();
    var array = root.putArray("keys");
    for (int i = 0; i < keys.size(); i++) {
      byte[] key = keys.get(i);
      if (key.length < 16) {
        // Slurm refuses it at start ("key lacks sufficient entropy"): refuse it here instead.
        throw new IllegalArgumentException("an auth key needs at least 16 bytes");
      }
      ObjectNode entry = array.addObject();
      entry.put("kty", "oct");
      entry.put("alg", "HS256");
      entry.put("kid", kid(key));
      entry.put("k", Base64.getUrlEncoder().withoutPadding().encodeToString(key));
      if (i == defaultIndex) {
        entry.put("use", "default");
      }
    }
    return root.toString() + "\n";
  }

  /**
   * A stable name of a key: a short digest, so the same key keeps its kid in every phase (tokens
   * signed in one phase name a key the next phase still knows) and no key bytes are shown.
   */
  static String kid(byte[] key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
      return "k" + HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /**
   * The SHA-256 of a key set file's bytes, hex: what the queue reader reports for the set slurmctld
   * last took in, and (its first 16 characters) the pod annotation that restarts slurmdbd and login
   * pods, which cannot reload it. It names the set without showing any key.
   */
  public static String sha256(byte[] jwks) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jwks));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
