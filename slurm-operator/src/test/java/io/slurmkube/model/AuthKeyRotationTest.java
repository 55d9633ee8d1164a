package io.slurmkube.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.slurmkube.model.AuthKeyRotation.Advance;
import io.slurmkube.model.AuthKeyRotation.Finish;
import io.slurmkube.model.AuthKeyRotation.Progress;
import io.slurmkube.model.AuthKeyRotation.Rollout;
import io.slurmkube.model.AuthKeyRotation.Start;
import io.slurmkube.model.AuthKeyRotation.Wait;
import io.slurmkube.model.AuthKeySet.Phase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthKeyRotationTest {
  static final byte[] OLD = filled(1);
  static final byte[] NEW = filled(2);
  static final Instant NOW = Instant.parse("2026-11-30T03:00:00Z");

  @Test
  void aNewRequestStartsARotationAndAHandledOneDoesNot() {
    var stable = AuthKeyRotation.state(secret());
    assertEquals(new Wait(null), AuthKeyRotation.next(stable, null, null));
    assertEquals(new Start("r1"), AuthKeyRotation.next(stable, "r1", null));

    var done = AuthKeyRotation.state(rotateFully(secret(), "r1"));
    assertEquals(Phase.STABLE, done.phase());
    assertEquals(new Wait(null), AuthKeyRotation.next(done, "r1", null), "the same annotation value rotates once");
    assertEquals(new Start("r2"), AuthKeyRotation.next(done, "r2", null));
  }

  @Test
  void startAddsTheNewKeyWhileTheOldOneStillSigns() throws Exception {
    Secret added = AuthKeyRotation.apply(secret(), new Start("r1"), NEW, NOW);
    var state = AuthKeyRotation.state(added);
    assertEquals(Phase.ADD, state.phase());
    assertEquals(NOW, state.since());
    assertEquals("r1", state.request());
    assertEquals(List.of(OLD.length + ":default", NEW.length + ""), keys(state.keySet()));
    assertArrayEquals(OLD, firstKey(state.keySet()), "the old key is still the default");
    assertArrayEquals(OLD, data(added, KeySecrets.AUTH_KEY), "slurm.key is not touched until the end");
    assertArrayEquals(NEW, data(added, AuthKeyRotation.NEXT_KEY));
    assertEquals(added.getMetadata().getResourceVersion(), "7", "written with the version it was read at");
  }

  @Test
  void aPhaseAdvancesOnlyWhenSlurmctldSlurmdbdAndTheLoginPodsHaveIt() {
    var state = AuthKeyRotation.state(AuthKeyRotation.apply(secret(), new Start("r1"), NEW, NOW));
    String sha = state.keySetSha256();
    var done = new Rollout(true, "1 updated and ready");
    var rolling = new Rollout(false, "0 of 1 updated");

    var unknown = AuthKeyRotation.next(state, "r1", new Progress(null, "connection refused", done, done));
    assertTrue(((Wait) unknown).why().contains("connection refused"), unknown.toString());
    var oldSet = AuthKeyRotation.next(state, "r1", new Progress("", null, done, done));
    assertTrue(((Wait) oldSet).why().startsWith("slurmctld"), oldSet.toString());
    var otherSet = AuthKeyRotation.next(state, "r1", new Progress("ab12", null, done, done));
    assertInstanceOf(Wait.class, otherSet);
    var dbd = AuthKeyRotation.next(state, "r1", new Progress(sha, null, done, rolling));
    assertTrue(((Wait) dbd).why().startsWith("slurmdbd"), dbd.toString());
    var login = AuthKeyRotation.next(state, "r1", new Progress(sha, null, rolling, done));
    assertTrue(((Wait) login).why().startsWith("the login pods"), login.toString());

    assertEquals(new Advance(Phase.SWITCH), AuthKeyRotation.next(state, "r1", new Progress(sha, null, done, done)));
    assertEquals(new Advance(Phase.SWITCH), AuthKeyRotation.next(state, "r1",
        new Progress(sha, null, Rollout.ABSENT, Rollout.ABSENT)), "no slurmdbd and no login pods: nothing to wait for");
  }

  @Test
  void theThreePhasesThenTheNewKeyAlone() throws Exception {
    Secret add = AuthKeyRotation.apply(secret(), new Start("r1"), NEW, NOW);
    Secret change = AuthKeyRotation.apply(add, new Advance(Phase.SWITCH), null, NOW.plusSeconds(60));
    var switching = AuthKeyRotation.state(change);
    assertEquals(Phase.SWITCH, switching.phase());
    assertArrayEquals(NEW, firstKey(switching.keySet()), "the new key signs");
    assertEquals(2, keys(switching.keySet()).size(), "the old one is still accepted");

    Secret drop = AuthKeyRotation.apply(change, new Advance(Phase.DROP), null, NOW.plusSeconds(120));
    var dropping = AuthKeyRotation.state(drop);
    assertEquals(List.of(NEW.length + ":default"), keys(dropping.keySet()));
    assertEquals(new Finish(), AuthKeyRotation.next(dropping, "r1", allDone(dropping)));

    Secret finished = AuthKeyRotation.apply(drop, new Finish(), null, NOW.plusSeconds(180));
    var stable = AuthKeyRotation.state(finished);
    assertEquals(Phase.STABLE, stable.phase());
    assertEquals(NOW.plusSeconds(180), stable.lastRotated());
    assertArrayEquals(NEW, data(finished, KeySecrets.AUTH_KEY));
    assertFalse(finished.getData().containsKey(AuthKeyRotation.NEXT_KEY));
    assertEquals(dropping.keySetSha256(), stable.keySetSha256(),
        "the set {new} stays: finishing restarts nothing and the next rotation starts from it");

    byte[] newer = filled(3);
    var again = AuthKeyRotation.state(AuthKeyRotation.apply(finished, new Start("r2"), newer, NOW));
    assertArrayEquals(NEW, firstKey(again.keySet()));
    assertEquals(List.of(NEW.length + ":default", newer.length + ""), keys(again.keySet()));
  }

  @Test
  void eachPhaseGivesThePodsThatCannotReloadANewAnnotation() {
    assertNull(AuthKeyRotation.state(secret()).podAnnotation(), "no set before the first rotation: no annotation");
    Secret add = AuthKeyRotation.apply(secret(), new Start("r1"), NEW, NOW);
    Secret change = AuthKeyRotation.apply(add, new Advance(Phase.SWITCH), null, NOW);
    String a = AuthKeyRotation.state(add).podAnnotation();
    String b = AuthKeyRotation.state(change).podAnnotation();
    assertEquals(16, a.length());
    assertNotEquals(a, b);
  }

  @Test
  void aRolloutIsDoneWhenEveryPodIsNewAndReadyAndNoOldOneIsLeft() {
    assertTrue(AuthKeyRotation.rollout(null, "x").done(), "absent: nothing to wait for");
    assertFalse(AuthKeyRotation.rollout(deployment("old", 2, 2, 1, 1, 1, 1), "new").done(), "template not updated yet");
    assertFalse(AuthKeyRotation.rollout(deployment("new", 3, 2, 1, 1, 1, 1), "new").done(), "generation not observed");
    assertFalse(AuthKeyRotation.rollout(deployment("new", 3, 3, 1, 2, 1, 1), "new").done(), "the old pod still runs");
    assertFalse(AuthKeyRotation.rollout(deployment("new", 3, 3, 1, 1, 1, 0), "new").done(), "the new pod is not ready");
    assertTrue(AuthKeyRotation.rollout(deployment("new", 3, 3, 1, 1, 1, 1), "new").done());
    assertTrue(AuthKeyRotation.rollout(deployment("new", 3, 3, 0, 0, 0, 0), "new").done(), "no login replicas");
  }

  // ---------------------------------------------------------------- helpers

  static Secret rotateFully(Secret secret, String request) {
    Secret s = AuthKeyRotation.apply(secret, new Start(request), NEW, NOW);
    s = AuthKeyRotation.apply(s, new Advance(Phase.SWITCH), null, NOW);
    s = AuthKeyRotation.apply(s, new Advance(Phase.DROP), null, NOW);
    return AuthKeyRotation.apply(s, new Finish(), null, NOW);
  }

  static Progress allDone(AuthKeyRotation.State state) {
    return new Progress(state.keySetSha256(), null, Rollout.ABSENT, Rollout.ABSENT);
  }

  static Secret secret() {
    return new SecretBuilder().withNewMetadata().withName("demo-auth-key").withResourceVersion("7").endMetadata()
        .withData(Map.of(KeySecrets.AUTH_KEY, Base64.getEncoder().encodeToString(OLD))).build();
  }

  static Deployment deployment(String annotation, long generation, long observed, int replicas, int all,
      int updated, int ready) {
    return new DeploymentBuilder()
        .withNewMetadata().withGeneration(generation).endMetadata()
        .withNewSpec().withReplicas(replicas).withNewTemplate().withNewMetadata()
          .withAnnotations(Map.of(AuthKeyRotation.POD_ANNOTATION, annotation)).endMetadata().endTemplate().endSpec()
        .withNewStatus().withObservedGeneration(observed).withReplicas(all).withUpdatedReplicas(updated)
          .withReadyReplicas(ready).endStatus()
        .build();
  }

  static byte[] filled(int value) {
    byte[] key = new byte[AuthKeyRotation.KEY_BYTES];
    Arrays.fill(key, (byte) value);
    key[0] = (byte) (value * 7);
    return key;
  }

  static byte[] data(Secret secret, String key) {
    return Base64.getDecoder().decode(secret.getData().get(key));
  }

  /** "length[:default]" per key of a jwks, in order. */
  static List<String> keys(byte[] jwks) {
    List<String> out = new ArrayList<>();
    try {
      for (var key : new ObjectMapper().readTree(jwks).path("keys")) {
        int length = Base64.getUrlDecoder().decode(key.path("k").asText()).length;
        out.add(length + ("default".equals(key.path("use").asText()) ? ":default" : ""));
      }
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    return out;
  }

  static byte[] firstKey(byte[] jwks) throws Exception {
    return Base64.getUrlDecoder().decode(new ObjectMapper().readTree(jwks).path("keys").get(0).path("k").asText());
  }
}
