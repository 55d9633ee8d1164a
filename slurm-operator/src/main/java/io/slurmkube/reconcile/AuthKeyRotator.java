package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.api.AuthKeyRotationSpec;
import io.slurmkube.api.AuthKeyRotationStatus;
import io.slurmkube.model.AuthKeyRotation;
import io.slurmkube.model.AuthKeyRotation.Advance;
import io.slurmkube.model.AuthKeyRotation.Finish;
import io.slurmkube.model.AuthKeyRotation.Progress;
import io.slurmkube.model.AuthKeyRotation.Start;
import io.slurmkube.model.AuthKeyRotation.Step;
import io.slurmkube.model.AuthKeyRotation.Wait;
import io.slurmkube.model.AuthKeySet.Phase;
import io.slurmkube.model.ClusterModel;
import io.slurmkube.slurm.SlurmConnections;
import io.slurmkube.slurm.SlurmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a rotation of the generated Slurm auth key one phase at a time ({@link AuthKeyRotation}
 * decides; this class observes, writes the key Secret and tells). Asked for with the annotation
 * {@value AuthKeyRotationSpec#REQUEST_ANNOTATION} on the SlurmCluster.
 */
final class AuthKeyRotator {
  private static final Logger LOG = LoggerFactory.getLogger(AuthKeyRotator.class);

  private final KubernetesClient client;
  private final EventRecorder events;
  private final SlurmConnections slurm;
  private final SecureRandom random;
  private final Clock clock;

  AuthKeyRotator(KubernetesClient client, EventRecorder events, SlurmConnections slurm, SecureRandom random, Clock clock) {
    this.client = client;
    this.events = events;
    this.slurm = slurm;
    this.random = random;
    this.clock = clock;
  }

  /**
   * One pass: writes the next phase when every component has the current one.
   *
   * @param secret the auth key Secret as last seen (null before it exists)
   * @return the status to show; null when there is nothing to say
   */
  AuthKeyRotationStatus reconcile(ClusterModel model, Secret secret, Deployment login, Deployment accounting) {
    String requested = requested(model);
    if (!model.generatesAuthKey()) {
      return requested == null ? null : status(Phase.STABLE, null, null, null,
          "not rotated: spec.authKeySecretName names your own Secret, and the operator rotates only the key it "
              + "generates; remove the annotation " + AuthKeyRotationSpec.REQUEST_ANNOTATION);
    }
    if (secret == null) {
      return null;
    }
    var state = AuthKeyRotation.state(secret);
    Step step = AuthKeyRotation.next(state, requested, state.phase() == Phase.STABLE ? null : progress(model, state,
        login, accounting));
    if (step instanceof Wait wait) {
      return status(state, wait.why());
    }
    byte[] newKey = null;
    if (step instanceof Start) {
      newKey = new byte[AuthKeyRotation.KEY_BYTES];
      random.nextBytes(newKey);
    }
    Instant now = clock.instant();
    Secret written;
    try {
      written = client.secrets().inNamespace(model.namespace())
          .resource(AuthKeyRotation.apply(secret, step, newKey, now)).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return status(state, "the key Secret changed meanwhile; trying again"); // the next pass sees the change
      }
      throw e;
    }
    var after = AuthKeyRotation.state(written);
    tell(model, step, state, after, now);
    return status(after, after.phase() == Phase.STABLE ? null
        : "slurmctld to take in the new key set (settleSeconds after it sees it)");
  }

  /** Whether a rotation is running: the reconciler then looks again soon, not in 30 s. */
  static boolean running(AuthKeyRotationStatus status) {
    return status != null && status.phase != null
        && !AuthKeyRotation.describe(io.slurmkube.model.AuthKeySet.Phase.STABLE).equals(status.phase);
  }

  private Progress progress(ClusterModel model, AuthKeyRotation.State state, Deployment login, Deployment accounting) {
    String controller = null;
    String problem = null;
    try {
      controller = slurm.forCluster(model.cluster()).authKeySet();
    } catch (SlurmException e) {
      problem = e.getMessage();
    }
    String annotation = state.podAnnotation();
    return new Progress(controller, problem, AuthKeyRotation.rollout(login, annotation),
        AuthKeyRotation.rollout(accounting, annotation));
  }

  private void tell(ClusterModel model, Step step, AuthKeyRotation.State before, AuthKeyRotation.State after, Instant now) {
    var cluster = model.cluster();
    if (step instanceof Start start) {
      events.normal(cluster, "AuthKeyRotationStarted", "Rotating the Slurm auth key (request '" + start.request()
          + "'), phase 1 of 3: every component learns the new key and still signs with the old one");
    } else if (step instanceof Advance advance) {
      String what = advance.next() == Phase.SWITCH
          ? "phase 2 of 3: every component signs with the new key and still accepts the old one"
          : "phase 3 of 3: the old key is dropped";
      events.normal(cluster, "AuthKeyRotationPhase", "Rotating the Slurm auth key, " + what + " ("
          + AuthKeyRotation.describe(before.phase()) + " reached slurmctld, the slurmd pods, slurmdbd and the login pods in "
          + seconds(before.since(), now) + ")");
    } else if (step instanceof Finish) {
      events.normal(cluster, "AuthKeyRotated", "The Slurm auth key was rotated (request '" + after.request()
          + "'): every component has only the new key");
    }
    LOG.info("auth key rotation cluster={} namespace={} phase={}", model.name(), model.namespace(),
        AuthKeyRotation.describe(after.phase()));
  }

  private static String requested(ClusterModel model) {
    var annotations = model.cluster().getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(AuthKeyRotationSpec.REQUEST_ANNOTATION);
  }

  private static AuthKeyRotationStatus status(AuthKeyRotation.State state, String message) {
    return status(state.phase(), state.since(), state.request(), state.lastRotated(), message);
  }

  private static AuthKeyRotationStatus status(Phase phase, Instant since, String request, Instant lastRotated, String message) {
    var status = new AuthKeyRotationStatus();
    status.phase = AuthKeyRotation.describe(phase);
    status.since = since == null ? null : since.toString();
    status.request = request;
    status.lastRotated = lastRotated == null ? null : lastRotated.toString();
    status.message = message == null ? null : (phase == Phase.STABLE ? message : "waiting for " + message);
    return status;
  }

  private static String seconds(Instant since, Instant now) {
    return since == null ? "an unknown time" : Duration.between(since, now).toSeconds() + " s";
  }
}
