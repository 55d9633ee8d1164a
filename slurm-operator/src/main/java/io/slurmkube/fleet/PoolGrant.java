package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.Toleration;
import io.slurmkube.api.FleetSpec;
import io.slurmkube.api.FleetStatus;
import io.slurmkube.api.SlurmNodePool;
import io.slurmkube.api.SlurmNodePoolSpec;
import io.slurmkube.api.SlurmNodePoolSpec.TolerableTaint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a SlurmCluster may do with nodes: the intersection of what its {@code spec.fleet} asks and
 * what the SlurmNodePool it names grants its namespace. Pure: decided from the two objects alone.
 * Without a grant (no such pool, or the namespace not named) nothing is admitted, so the plan only
 * takes this cluster's marks off nodes it had.
 *
 * @param usable whether the pool grants this namespace anything at all
 * @param nodes the most nodes the pool may have; null for every admitted node
 * @param lends whether idle nodes are lent (asked and allowed)
 * @param mayEvict whether Kubernetes pods may be evicted to reclaim a lent node (the pool allows lending)
 * @param tolerations the asked pod tolerations the pool covers
 * @param refused each refused part of the ask, in words that say why
 */
public record PoolGrant(String pool, boolean usable, String reason, FleetSpec.NodeSelector poolSelector,
    FleetSpec.NodeSelector clusterSelector, Integer nodes, boolean lends, boolean mayEvict, int idleSeconds,
    List<Toleration> tolerations, List<String> refused, FleetStatus.Terms asked, FleetStatus.Terms granted) {

  /** Condition reasons: the pool grants all that was asked, part of it, or nothing. */
  public static final String GRANTED = "Granted";
  public static final String PARTLY_GRANTED = "PartlyGranted";
  public static final String POOL_NOT_FOUND = "PoolNotFound";
  public static final String NAMESPACE_NOT_GRANTED = "NamespaceNotGranted";

  public static PoolGrant of(String namespace, FleetSpec ask, SlurmNodePool pool) {
    FleetStatus.Terms asked = terms(ask.nodeSelector, ask.nodes, ask.lends(), ask.podTolerations);
    int idle = ask.lending == null || ask.lending.idleSeconds == null ? 300 : ask.lending.idleSeconds;
    if (pool == null || pool.getSpec() == null || pool.getSpec().nodeSelector == null) {
      return refusedAll(ask, asked, idle, POOL_NOT_FOUND, "SlurmNodePool " + ask.pool + " (spec.fleet.pool) does not exist:"
          + " no node is used; ask a cluster administrator for a pool that grants namespace " + namespace);
    }
    SlurmNodePoolSpec grant = pool.getSpec();
    if (grant.namespaces == null || !grant.namespaces.contains(namespace)) {
      return refusedAll(ask, asked, idle, NAMESPACE_NOT_GRANTED, "SlurmNodePool " + ask.pool + " does not grant namespace "
          + namespace + " (its spec.namespaces): no node is used; ask a cluster administrator to add it");
    }
    List<String> refused = new ArrayList<>();
    Integer nodes = ask.nodes;
    if (grant.maxNodesPerCluster != null && (nodes == null || nodes > grant.maxNodesPerCluster)) {
      if (nodes != null) {
        refused.add("spec.fleet.nodes asks for " + nodes + " nodes; SlurmNodePool " + ask.pool + " allows "
            + grant.maxNodesPerCluster + " per cluster (spec.maxNodesPerCluster)");
      }
      nodes = grant.maxNodesPerCluster;
    }
    boolean lends = ask.lends() && grant.allowLending;
    if (ask.lends() && !grant.allowLending) {
      refused.add("spec.fleet.lending: SlurmNodePool " + ask.pool + " does not allow lending (spec.allowLending is false),"
          + " so no node is lent and no Kubernetes pod is evicted");
    }
    List<Toleration> tolerations = new ArrayList<>();
    for (Toleration t : ask.podTolerations == null ? List.<Toleration>of() : ask.podTolerations) {
      if (grant.tolerableTaints != null && grant.tolerableTaints.stream().anyMatch(e -> covers(e, t))) {
        tolerations.add(t);
      } else {
        refused.add("spec.fleet.podTolerations " + words(t) + ": not covered by SlurmNodePool " + ask.pool
            + "'s spec.tolerableTaints, so node-set pods do not get it");
      }
    }
    FleetSpec.NodeSelector poolSelector = grant.nodeSelector.asFleetSelector();
    FleetStatus.Terms granted = terms(null, nodes, lends, tolerations);
    granted.nodeSelector = LabelSelectors.describe(poolSelector)
        + (ask.nodeSelector == null ? "" : " and " + LabelSelectors.describe(ask.nodeSelector)) + ", no control-plane node";
    return new PoolGrant(ask.pool, true, refused.isEmpty() ? GRANTED : PARTLY_GRANTED, poolSelector, ask.nodeSelector,
        nodes, lends, grant.allowLending, idle, List.copyOf(tolerations), List.copyOf(refused), asked, granted);
  }

  private static PoolGrant refusedAll(FleetSpec ask, FleetStatus.Terms asked, int idle, String reason, String why) {
    FleetStatus.Terms granted = terms(null, 0, false, List.of());
    granted.nodeSelector = "(none)";
    return new PoolGrant(ask.pool, false, reason, null, ask.nodeSelector, 0, false, false, idle, List.of(), List.of(why),
        asked, granted);
  }

  /** Whether a node may be in the pool: granted, matching both selectors, and not a control-plane node. */
  public boolean admits(Map<String, String> labels) {
    return usable && !controlPlane(labels) && selects(labels);
  }

  /** Whether both selectors match, control-plane or not. */
  public boolean selects(Map<String, String> labels) {
    return usable && LabelSelectors.matches(poolSelector, labels) && LabelSelectors.matches(clusterSelector, labels);
  }

  public static boolean controlPlane(Map<String, String> labels) {
    return labels.containsKey(SlurmNodePoolSpec.CONTROL_PLANE) || labels.containsKey(SlurmNodePoolSpec.MASTER);
  }

  /** The selectors in kubectl's words, for messages. */
  public String describe() {
    return granted.nodeSelector;
  }

  /**
   * Whether a granted taint covers a toleration: the toleration must name the entry's key (a
   * toleration of every key is never granted), and may be no wider in value or effect.
   */
  static boolean covers(TolerableTaint entry, Toleration t) {
    if (entry.key == null || t.getKey() == null || !entry.key.equals(t.getKey())) {
      return false;
    }
    boolean exists = "Exists".equals(t.getOperator());
    if (entry.value != null && (exists || !entry.value.equals(t.getValue() == null ? "" : t.getValue()))) {
      return false;
    }
    boolean anyEffect = t.getEffect() == null || t.getEffect().isEmpty();
    return entry.effect == null || !anyEffect && entry.effect.equals(t.getEffect());
  }

  static String words(Toleration t) {
    String key = t.getKey() == null || t.getKey().isEmpty() ? "(every key)" : t.getKey();
    String value = "Exists".equals(t.getOperator()) ? "" : "=" + (t.getValue() == null ? "" : t.getValue());
    String effect = t.getEffect() == null || t.getEffect().isEmpty() ? "(every effect)" : t.getEffect();
    return key + value + ":" + effect;
  }

  private static FleetStatus.Terms terms(FleetSpec.NodeSelector selector, Integer nodes, boolean lending, List<Toleration> tolerations) {
    var t = new FleetStatus.Terms();
    t.nodeSelector = selector == null ? null : LabelSelectors.describe(selector);
    t.nodes = nodes;
    t.lending = lending;
    t.podTolerations = tolerations == null ? new ArrayList<>() : new ArrayList<>(tolerations.stream().map(PoolGrant::words).toList());
    return t;
  }
}
