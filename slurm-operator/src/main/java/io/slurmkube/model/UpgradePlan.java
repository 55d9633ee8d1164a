package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.slurmkube.api.SlurmClusterSpec;
import java.util.Objects;
import java.util.Optional;

/**
 * Which image each component may run now, so that a change of spec.image reaches the daemons in
 * the order Slurm's upgrade guide asks for: slurmdbd (and its database) first, then slurmctld and
 * slurmrestd once slurmdbd runs the new image, then the node sets and login pods once slurmctld
 * does. A jump Slurm does not support (more than {@value SlurmRelease#MAX_UPGRADE_STEP} releases,
 * or a downgrade) moves nothing and says which release to go through.
 *
 * @param controllerImage what slurmctld and slurmrestd run, and what slurm.conf is written for
 * @param accountingImage what slurmdbd and the embedded database run
 * @param nodesFollow whether node sets and login pods may change their images now (false while
 *     slurmctld has not yet settled on spec.image, or while an upgrade is refused)
 * @param refusal why the spec's images are not being rolled out, naming the fix
 * @param phase what the upgrade waits for, for events and status; empty when nothing is moving
 */
public record UpgradePlan(String controllerImage, String accountingImage, boolean nodesFollow,
    Optional<String> refusal, Optional<String> phase) {

  /** The components as the informers last saw them; any may be null (not made yet, or not run). */
  public record Running(StatefulSet controller, Deployment accounting) {}

  public static UpgradePlan plan(SlurmClusterSpec spec, boolean runsSlurmdbd, Running running) {
    String wanted = spec.image;
    String current = image(running.controller() == null ? null : running.controller().getSpec().getTemplate(), "slurmctld");
    if (current == null) {
      return new UpgradePlan(wanted, wanted, true, Optional.empty(), Optional.empty());
    }
    Optional<SlurmRelease> from = SlurmRelease.ofImage(current);
    Optional<SlurmRelease> to = SlurmRelease.ofImage(wanted);
    if (from.isPresent() && to.isPresent()) {
      Optional<String> refused = from.get().refusedUpgradeTo(to.get());
      if (refused.isPresent()) {
        String accounting = image(running.accounting() == null ? null : running.accounting().getSpec().getTemplate(),
            "slurmdbd");
        return new UpgradePlan(current, accounting == null ? current : accounting, false,
            Optional.of("spec.image " + wanted + ": " + refused.get()
                + "; the cluster keeps running " + current + " until spec.image names a supported release"),
            Optional.empty());
      }
    }
    if (!current.equals(wanted)) {
      String accounting = running.accounting() == null ? null : image(running.accounting().getSpec().getTemplate(), "slurmdbd");
      boolean accountingDone = !runsSlurmdbd || running.accounting() == null
          || (wanted.equals(accounting) && settled(running.accounting()));
      if (!accountingDone) {
        return new UpgradePlan(current, wanted, false, Optional.empty(),
            Optional.of("slurmdbd is moving to " + wanted + " first; slurmctld (" + current + ") follows once it runs"));
      }
      return new UpgradePlan(wanted, wanted, false, Optional.empty(),
          Optional.of("slurmctld is moving to " + wanted + " with its saved state; node sets follow once it runs"));
    }
    boolean controllerDone = settled(running.controller());
    return new UpgradePlan(wanted, wanted, controllerDone, Optional.empty(), Optional.empty());
  }

  /** The image of the named container, null when there is no such template or container. */
  public static String image(PodTemplateSpec template, String container) {
    if (template == null || template.getSpec() == null) {
      return null;
    }
    return template.getSpec().getContainers().stream().filter(c -> container.equals(c.getName()))
        .map(Container::getImage).findFirst().orElse(null);
  }

  /** Every replica runs the current template and is ready. */
  static boolean settled(StatefulSet set) {
    var status = set.getStatus();
    int replicas = Objects.requireNonNullElse(set.getSpec().getReplicas(), 1);
    return status != null && generationSeen(set.getMetadata().getGeneration(), status.getObservedGeneration())
        && Objects.equals(status.getCurrentRevision(), status.getUpdateRevision())
        && Objects.requireNonNullElse(status.getReadyReplicas(), 0) == replicas
        && Objects.requireNonNullElse(status.getReplicas(), 0) == replicas;
  }

  /** Every replica runs the current template and is available, and no old pod is left. */
  static boolean settled(Deployment deployment) {
    var status = deployment.getStatus();
    int replicas = Objects.requireNonNullElse(deployment.getSpec().getReplicas(), 1);
    return status != null && generationSeen(deployment.getMetadata().getGeneration(), status.getObservedGeneration())
        && Objects.requireNonNullElse(status.getUpdatedReplicas(), 0) == replicas
        && Objects.requireNonNullElse(status.getAvailableReplicas(), 0) == replicas
        && Objects.requireNonNullElse(status.getReplicas(), 0) == replicas;
  }

  private static boolean generationSeen(Long generation, Long observed) {
    return generation == null || (observed != null && observed >= generation);
  }
}
