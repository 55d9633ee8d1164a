package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Sets standard conditions, keeping lastTransitionTime when a condition's status did not change. */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String PROGRESSING = "Progressing";
  public static final String DEGRADED = "Degraded";
  /** NodeSets: whether every pod was built from the current template. */
  public static final String UP_TO_DATE = "UpToDate";
  /** Autoscaling NodeSets: whether the queue autoscaler drives replicas, or an HPA or a manual scale. */
  public static final String QUEUE_AUTOSCALING = "QueueAutoscaling";

  private Conditions() {}

  public static List<Condition> set(List<Condition> previous, long generation, String type, boolean status,
      String reason, String message) {
    List<Condition> next = new ArrayList<>();
    String transition = DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    for (Condition c : previous == null ? List.<Condition>of() : previous) {
      if (c.getType().equals(type)) {
        if (c.getStatus().equals(statusString(status))) {
          transition = c.getLastTransitionTime();
        }
      } else {
        next.add(c);
      }
    }
    next.add(new ConditionBuilder()
        .withType(type)
        .withStatus(statusString(status))
        .withReason(reason)
        .withMessage(message)
        .withObservedGeneration(generation)
        .withLastTransitionTime(transition)
        .build());
    next.sort((a, b) -> order(a.getType()) - order(b.getType()));
    return next;
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return conditions != null && conditions.stream().anyMatch(c -> c.getType().equals(type) && "True".equals(c.getStatus()));
  }

  private static String statusString(boolean status) {
    return status ? "True" : "False";
  }

  private static int order(String type) {
    return switch (type) {
      case READY -> 0;
      case PROGRESSING -> 1;
      case DEGRADED -> 2;
      default -> 3;
    };
  }
}
