package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;

/** The outcome of a scale-down step: the pods that may be deleted now, and why (shown in status and events). */
public final class ScaleDown {
  private ScaleDown() {}

  public record Decision(List<Pod> podsToDelete, String reason) {}
}
