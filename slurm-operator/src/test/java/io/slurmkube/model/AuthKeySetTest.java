package io.slurmkube.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.slurmkube.model.AuthKeySet.Phase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthKeySetTest {
  private static final byte[] OLD = filled(64, 1);
  private static final byte[] NEW = filled(64, 2);

  private static byte[] filled(int length, int value) {
    byte[] key = new byte[length];
    Arrays.fill(key, (byte) value);
    key[0] = (byte) 0xfb; // base64 of this needs '-'/'_' in the url alphabet
    return key;
  }

  private static JsonNode parse(String jwks) throws Exception {
    return new ObjectMapper().readTree(jwks);
  }

  /** The key bytes of each entry, in order, and which one is the default. */
  private static List<String> entries(String jwks) throws Exception {
    var out = new ArrayList<String>();
    for (JsonNode key : parse(jwks).get("keys")) {
      assertEquals("oct", key.get("kty").asText());
      assertEquals("HS256", key.get("alg").asText());
      byte[] bytes = Base64.getUrlDecoder().decode(key.get("k").asText());
      String name = Arrays.equals(bytes, OLD) ? "old" : Arrays.equals(bytes, NEW) ? "new" : "?";
      assertEquals(AuthKeySet.kid(bytes), key.get("kid").asText());
      out.add(name + (key.has("use") ? ":" + key.get("use").asText() : ""));
    }
    return out;
  }

  @Test
  void phasesMoveTheDefaultOnlyAfterEveryoneKnowsBothKeys() throws Exception {
    assertNull(AuthKeySet.forPhase(Phase.STABLE, OLD, NEW));
    assertEquals(List.of("old:default", "new"), entries(AuthKeySet.forPhase(Phase.ADD, OLD, NEW)));
    assertEquals(List.of("new:default", "old"), entries(AuthKeySet.forPhase(Phase.SWITCH, OLD, NEW)));
    assertEquals(List.of("new:default"), entries(AuthKeySet.forPhase(Phase.DROP, OLD, NEW)));
  }

  @Test
  void phasesFollowEachOther() {
    assertEquals(Phase.ADD, Phase.STABLE.next());
    assertEquals(Phase.SWITCH, Phase.ADD.next());
    assertEquals(Phase.DROP, Phase.SWITCH.next());
    assertEquals(Phase.DROP, Phase.DROP.next());
  }

  @Test
  void keyMaterialIsBase64UrlWithoutPadding() throws Exception {
    String k = parse(AuthKeySet.forPhase(Phase.DROP, OLD, NEW)).get("keys").get(0).get("k").asText();
    assertEquals(-1, k.indexOf('='));
    assertEquals(-1, k.indexOf('+'));
    assertEquals(-1, k.indexOf('/'));
  }

  @Test
  void aKeyKeepsItsKidAcrossPhasesAndKidsDiffer() throws Exception {
    String inAdd = parse(AuthKeySet.forPhase(Phase.ADD, OLD, NEW)).get("keys").get(1).get("kid").asText();
    String inDrop = parse(AuthKeySet.forPhase(Phase.DROP, OLD, NEW)).get("keys").get(0).get("kid").asText();
    assertEquals(inAdd, inDrop);
    assertNotEquals(AuthKeySet.kid(OLD), AuthKeySet.kid(NEW));
  }

  @Test
  void shortKeysAreRefusedAsSlurmWould() {
    assertThrows(IllegalArgumentException.class, () -> AuthKeySet.forPhase(Phase.ADD, new byte[15], NEW));
  }

  @Test
  void eachPhaseHasItsOwnDigest() {
    byte[] add = AuthKeySet.forPhase(Phase.ADD, OLD, NEW).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] change = AuthKeySet.forPhase(Phase.SWITCH, OLD, NEW).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertNotEquals(AuthKeySet.sha256(add), AuthKeySet.sha256(change));
  }

  @Test
  void theDigestIsSha256sumsOfTheFile() {
    // What the queue reader computes over the file slurmctld took in must match: plain SHA-256, hex.
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        AuthKeySet.sha256("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
  }
}
