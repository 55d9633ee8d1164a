package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.slurmkube.api.FleetSpec;
import java.util.List;
import java.util.Map;

/**
 * Whether labels satisfy a selector, with the meaning Kubernetes gives selectors: a node's for
 * spec.fleet.nodeSelector, a pod's for a PodDisruptionBudget's selector.
 */
public final class LabelSelectors {
  private LabelSelectors() {}

  /** A missing selector matches every node; otherwise every label and every requirement must hold. */
  public static boolean matches(FleetSpec.NodeSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return true;
    }
    // Evaluated in place (once per node per pass, so no conversion to a Kubernetes selector).
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.matchLabels != null) {
      for (var e : selector.matchLabels.entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.matchExpressions != null) {
      for (var r : selector.matchExpressions) {
        if (!holds(r.key, r.operator, r.values == null ? List.of() : r.values, l)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * A PodDisruptionBudget's selector (policy/v1): a missing one selects no pod, an empty one every
   * pod of the namespace.
   */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (var e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        if (!holds(r.getKey(), r.getOperator(), r.getValues() == null ? List.of() : r.getValues(), l)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean holds(String key, String operator, List<String> values, Map<String, String> labels) {
    String value = labels.get(key);
    return switch (operator) {
      case "In" -> value != null && values.contains(value);
      case "NotIn" -> value == null || !values.contains(value);
      case "Exists" -> labels.containsKey(key);
      case "DoesNotExist" -> !labels.containsKey(key);
      default -> false; // refused at admission; an unknown operator never widens a selection
    };
  }

  /** The selector in kubectl's words, for messages: {@code a=b,c in (d,e)}. */
  public static String describe(FleetSpec.NodeSelector selector) {
    if (selector == null) {
      return "(any node)";
    }
    var parts = new java.util.ArrayList<String>();
    if (selector.matchLabels != null) {
      selector.matchLabels.forEach((k, v) -> parts.add(k + "=" + v));
    }
    if (selector.matchExpressions != null) {
      for (var r : selector.matchExpressions) {
        parts.add(switch (r.operator) {
          case "In" -> r.key + " in (" + String.join(",", r.values) + ")";
          case "NotIn" -> r.key + " notin (" + String.join(",", r.values) + ")";
          case "Exists" -> r.key;
          case "DoesNotExist" -> "!" + r.key;
          default -> r.key + " " + r.operator;
        });
      }
    }
    return String.join(",", parts);
  }
}
