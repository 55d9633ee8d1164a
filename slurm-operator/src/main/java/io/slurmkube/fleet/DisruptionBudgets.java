package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Whether a PodDisruptionBudget would refuse a pod's eviction now, from the budgets informer: a
 * reclaim takes lent nodes whose pods may leave before those whose pods may not.
 */
final class DisruptionBudgets {
  private DisruptionBudgets() {}

  /** For one pass: each namespace's budgets are listed once, when a pod of it is first asked about. */
  static Predicate<Pod> guard(Function<String, List<PodDisruptionBudget>> budgetsOf) {
    Map<String, List<PodDisruptionBudget>> byNamespace = new HashMap<>();
    return p -> NodeViews.guarded(p, byNamespace.computeIfAbsent(p.getMetadata().getNamespace(), budgetsOf));
  }
}
