package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.slurmkube.model.AuthKeySet.Phase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rotation of the generated Slurm auth key, as a state machine over the key's Secret: pure.
 *
 * <p>The rotation's state lives in the Secret beside the keys (annotations, and the new key under
 * {@link #NEXT_KEY}), so an operator restart resumes it where it was. Each phase writes the
 * phase's {@code slurm.jwks} ({@link AuthKeySet}); the next phase starts only when every
 * component has taken the set in: slurmctld (its queue reader reports the SHA-256 of the set it
 * last reconfigured with, which it does {@code settleSeconds} after seeing it, once the kubelets
 * have delivered it to the slurmd pods too; the slurmds re-execute with it) and the login and
 * slurmdbd pods, which cannot reload it and are rolled by a pod annotation
 * ({@link #POD_ANNOTATION}). When DROP is done, {@code slurm.key} becomes the new key and the
 * set {new} stays: the next rotation starts from it.
 */
public final class AuthKeyRotation {
  /** Secret annotations: the phase running (absent when stable) and when it was written. */
  public static final String PHASE = "slurmkube.io/auth-key-phase";
  public static final String SINCE = "slurmkube.io/auth-key-phase-since";
  /** The request (value of the cluster's rotate annotation) running or last completed. */
  public static final String REQUEST = "slurmkube.io/auth-key-rotation";
  public static final String ROTATED = "slurmkube.io/auth-key-rotated";
  /** The key a running rotation moves to. */
  public static final String NEXT_KEY = "slurm.key.next";
  /** Pod annotation of slurmdbd and login pods: the digest of the key set they were started with. */
  public static final String POD_ANNOTATION = "slurmkube.io/auth-key-set";
  /** Bytes of a generated key (as {@link KeySecrets} makes them). */
  public static final int KEY_BYTES = 1024;

  private AuthKeyRotation() {}

  /** The rotation as its Secret records it. */
  public record State(Phase phase, Instant since, String request, Instant lastRotated, byte[] keySet) {
    /** The SHA-256 of the key set the Secret holds now; null before any rotation. */
    public String keySetSha256() {
      return keySet == null ? null : AuthKeySet.sha256(keySet);
    }

    /** The value of {@link #POD_ANNOTATION} for pods that read this set at start; null without one. */
    public String podAnnotation() {
      String sha = keySetSha256();
      return sha == null ? null : sha.substring(0, 16);
    }
  }

  public static State state(Secret secret) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations() == null ? Map.of()
        : secret.getMetadata().getAnnotations();
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    Phase phase = annotations.containsKey(PHASE) ? Phase.valueOf(annotations.get(PHASE)) : Phase.STABLE;
    String set = data.get(AuthKeySet.FILE);
    return new State(phase, instant(annotations.get(SINCE)), annotations.get(REQUEST),
        instant(annotations.get(ROTATED)), set == null ? null : Base64.getDecoder().decode(set));
  }

  /**
   * What the components have taken in, for the current phase's set.
   *
   * @param controllerKeySet SHA-256 of the set slurmctld reconfigured with last ("" none), or null
   *     when the queue reader cannot say
   * @param controllerProblem why the reader cannot say, when it cannot
   */
  public record Progress(String controllerKeySet, String controllerProblem, Rollout login, Rollout accounting) {}

  /** Whether a Deployment runs only pods started with the current set, and if not, what it shows. */
  public record Rollout(boolean done, String detail) {
    public static final Rollout ABSENT = new Rollout(true, "not running");
  }

  /** What to do next. */
  public sealed interface Step permits Wait, Start, Advance, Finish {}

  /** Nothing to write; {@code why} says what the rotation (or a request) waits for. */
  public record Wait(String why) implements Step {}

  /** Start a rotation for {@code request}: generate the new key and write ADD. */
  public record Start(String request) implements Step {}

  /** Every component has the current phase: write {@code next}. */
  public record Advance(Phase next) implements Step {}

  /** DROP reached every component: the new key becomes slurm.key. */
  public record Finish() implements Step {}

  /**
   * The next step for a generated key, given the request on the cluster (null: none) and what the
   * components have taken in.
   */
  public static Step next(State state, String requested, Progress progress) {
    if (state.phase() == Phase.STABLE) {
      if (requested != null && !requested.isBlank() && !requested.equals(state.request())) {
        return new Start(requested);
      }
      return new Wait(null);
    }
    String want = state.keySetSha256();
    if (progress.controllerKeySet() == null) {
      return new Wait("the queue reader in the slurmctld pod to tell which key set slurmctld uses ("
          + progress.controllerProblem() + ")");
    }
    if (!progress.controllerKeySet().equals(want)) {
      return new Wait("slurmctld to take in the new key set (settleSeconds after it sees it)");
    }
    if (!progress.accounting().done()) {
      return new Wait("slurmdbd to restart with the new key set (" + progress.accounting().detail() + ")");
    }
    if (!progress.login().done()) {
      return new Wait("the login pods to restart with the new key set (" + progress.login().detail() + ")");
    }
    return state.phase() == Phase.DROP ? new Finish() : new Advance(state.phase().next());
  }

  /**
   * Whether {@code deployment} has rolled out to pods with {@code annotation} (the current set's):
   * its controller saw the latest spec, and every replica is updated, ready and alone (no old pod).
   */
  public static Rollout rollout(Deployment deployment, String annotation) {
    if (deployment == null) {
      return Rollout.ABSENT;
    }
    var template = deployment.getSpec().getTemplate().getMetadata();
    String has = template.getAnnotations() == null ? null : template.getAnnotations().get(POD_ANNOTATION);
    if (annotation != null && !annotation.equals(has)) {
      return new Rollout(false, "its pod template is not updated yet");
    }
    var status = deployment.getStatus();
    int want = deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
    long generation = deployment.getMetadata().getGeneration() == null ? 0 : deployment.getMetadata().getGeneration();
    if (status == null || status.getObservedGeneration() == null || status.getObservedGeneration() < generation) {
      return new Rollout(false, "its Deployment has not seen the change yet");
    }
    int updated = orZero(status.getUpdatedReplicas());
    int ready = orZero(status.getReadyReplicas());
    int all = orZero(status.getReplicas());
    if (updated < want || ready < want || all > want) {
      return new Rollout(false, updated + " of " + want + " updated, " + ready + " ready, " + all + " running");
    }
    return new Rollout(true, want + " updated and ready");
  }

  /**
   * The Secret after {@code step}: the key set and annotations of the new phase ({@code newKey} is
   * used by {@link Start} only), or, for {@link Finish}, the new key as slurm.key.
   */
  public static Secret apply(Secret current, Step step, byte[] newKey, Instant now) {
    Map<String, String> data = new LinkedHashMap<>(current.getData());
    Map<String, String> annotations = new LinkedHashMap<>(
        current.getMetadata().getAnnotations() == null ? Map.of() : current.getMetadata().getAnnotations());
    byte[] old = Base64.getDecoder().decode(data.get(KeySecrets.AUTH_KEY));
    Phase phase;
    if (step instanceof Start start) {
      data.put(NEXT_KEY, Base64.getEncoder().encodeToString(newKey));
      annotations.put(REQUEST, start.request());
      phase = Phase.ADD;
    } else if (step instanceof Advance advance) {
      phase = advance.next();
    } else if (step instanceof Finish) {
      data.put(KeySecrets.AUTH_KEY, data.remove(NEXT_KEY));
      annotations.remove(PHASE);
      annotations.remove(SINCE);
      annotations.put(ROTATED, now.toString());
      return withDataAndAnnotations(current, data, annotations); // the set {new} stays as it is
    } else {
      throw new IllegalArgumentException("nothing to write for " + step);
    }
    byte[] next = Base64.getDecoder().decode(data.get(NEXT_KEY));
    String set = AuthKeySet.forPhase(phase, old, next);
    data.put(AuthKeySet.FILE, Base64.getEncoder().encodeToString(set.getBytes(StandardCharsets.UTF_8)));
    annotations.put(PHASE, phase.name());
    annotations.put(SINCE, now.toString());
    return withDataAndAnnotations(current, data, annotations);
  }

  /** The phase as status shows it. */
  public static String describe(Phase phase) {
    return switch (phase) {
      case STABLE -> "Stable";
      case ADD -> "AddingKey";
      case SWITCH -> "SwitchingKey";
      case DROP -> "DroppingOldKey";
    };
  }

  private static Secret withDataAndAnnotations(Secret current, Map<String, String> data, Map<String, String> annotations) {
    // The resourceVersion stays: the update is refused if anyone changed the Secret meanwhile.
    return new SecretBuilder(current).editMetadata().withAnnotations(annotations).endMetadata().withData(data).build();
  }

  private static Instant instant(String value) {
    return value == null ? null : Instant.parse(value);
  }

  private static int orZero(Integer value) {
    return value == null ? 0 : value;
  }
}
