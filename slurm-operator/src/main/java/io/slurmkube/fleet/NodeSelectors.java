package io.slurmkube.fleet;

import io.slurmkube.api.FleetSpec;
import java.util.Map;

/** Whether a node's labels satisfy spec.fleet.nodeSelector, with the meaning Kubernetes gives selectors. */
public final class NodeSelectors {
  private NodeSelectors() {}

  /** A missing selector matches every node; otherwise every label and every requirement must hold. */
  public static boolean matches(FleetSpec.NodeSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return true;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.matchLabels != null) {
      for (var e : selector.matchLabels.entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.matchExpressions != null) {
      for (FleetSpec.Requirement r : selector.matchExpressions) {
        if (!holds(r, l)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean holds(FleetSpec.Requirement r, Map<String, String> labels) {
    String value = labels.get(r.key);
    return switch (r.operator) {
      case "In" -> value != null && r.values.contains(value);
      case "NotIn" -> value == null || !r.values.contains(value);
      case "Exists" -> labels.containsKey(r.key);
      case "DoesNotExist" -> !labels.containsKey(r.key);
      default -> false; // refused at admission; an unknown operator never widens the pool
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
