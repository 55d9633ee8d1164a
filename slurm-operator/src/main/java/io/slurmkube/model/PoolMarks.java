package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.slurmkube.api.SlurmCluster;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the operator marks a Slurm pool's nodes, and how node-set pods find them. A pool node carries
 * the label {@code slurmkube.io/pool=<pool id>}, the label {@code slurmkube.io/pool-state} (slurm,
 * lent or reclaiming), the annotation {@code slurmkube.io/pool-owner=<namespace>/<cluster>}, and,
 * unless lent, the taint {@code slurmkube.io/pool=<pool id>:NoSchedule}. Nothing else on a node is
 * the operator's.
 */
public final class PoolMarks {
  /** Label key (which pool a node is in) and taint key (only that pool's pods may come). */
  public static final String POOL = "slurmkube.io/pool";
  public static final String STATE = "slurmkube.io/pool-state";
  /** Annotation: the SlurmCluster whose pool this is, as namespace/name. */
  public static final String OWNER = "slurmkube.io/pool-owner";
  public static final String TAINT_EFFECT = "NoSchedule";
  public static final int MAX_LABEL_VALUE = 63;

  /** A pool node's state, as the value of the {@code slurmkube.io/pool-state} label. */
  public enum State {
    /** Reserved for Slurm: tainted, node-set pods go here. */
    SLURM("slurm"),
    /** Lent to Kubernetes: untainted, node-set pods do not come. */
    LENT("lent"),
    /** Being taken back: tainted again, its Kubernetes pods being evicted. */
    RECLAIMING("reclaiming");

    public final String label;

    State(String label) {
      this.label = label;
    }

    /** The state a label value names; null for a missing or unknown value. */
    public static State of(String label) {
      for (State s : values()) {
        if (s.label.equals(label)) {
          return s;
        }
      }
      return null;
    }

    public boolean tainted() {
      return this != LENT;
    }
  }

  private PoolMarks() {}

  /**
   * The pool's id, the value of its label and taint: {@code <namespace>.<cluster>}, shortened with a
   * hash when longer than a label value may be.
   */
  public static String poolId(String namespace, String cluster) {
    String id = namespace + "." + cluster;
    if (id.length() <= MAX_LABEL_VALUE) {
      return id;
    }
    return id.substring(0, MAX_LABEL_VALUE - 11) + "-" + sha256(id).substring(0, 10);
  }

  public static String poolId(SlurmCluster cluster) {
    return poolId(cluster.getMetadata().getNamespace(), cluster.getMetadata().getName());
  }

  public static String owner(SlurmCluster cluster) {
    return cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
  }

  public static Taint taint(String poolId) {
    return new TaintBuilder().withKey(POOL).withValue(poolId).withEffect(TAINT_EFFECT).build();
  }

  /** Node labels a node-set pod requires: a reserved node of its own pool. Null without a fleet policy. */
  public static Map<String, String> podNodeSelector(SlurmCluster cluster) {
    if (cluster.getSpec().fleet == null) {
      return null;
    }
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put(POOL, poolId(cluster));
    selector.put(STATE, State.SLURM.label);
    return selector;
  }

  /**
   * The toleration of the pool's own taint, plus those of spec.fleet.podTolerations that the
   * SlurmNodePool granted (status.fleet.grantedTolerations, written by the fleet controller): a
   * toleration the pool does not cover never reaches a pod, and one taken out of the spec leaves at
   * once. Null without a fleet policy.
   */
  public static List<Toleration> podTolerations(SlurmCluster cluster) {
    var fleet = cluster.getSpec().fleet;
    if (fleet == null) {
      return null;
    }
    List<Toleration> tolerations = new ArrayList<>();
    tolerations.add(new TolerationBuilder()
        .withKey(POOL).withOperator("Equal").withValue(poolId(cluster)).withEffect(TAINT_EFFECT).build());
    var status = cluster.getStatus() == null ? null : cluster.getStatus().fleet;
    if (fleet.podTolerations != null && status != null && status.grantedTolerations != null) {
      fleet.podTolerations.stream().filter(status.grantedTolerations::contains).forEach(tolerations::add);
    }
    return tolerations;
  }

  /** Whether a pod's tolerations let it onto a node tainted for this pool. */
  public static boolean tolerates(List<Toleration> tolerations, String poolId) {
    if (tolerations == null) {
      return false;
    }
    for (Toleration t : tolerations) {
      boolean effect = t.getEffect() == null || t.getEffect().isEmpty() || TAINT_EFFECT.equals(t.getEffect());
      boolean anyKey = t.getKey() == null || t.getKey().isEmpty();
      if (!effect) {
        continue;
      }
      if ("Exists".equals(t.getOperator()) && (anyKey || POOL.equals(t.getKey()))) {
        return true;
      }
      boolean equal = t.getOperator() == null || t.getOperator().isEmpty() || "Equal".equals(t.getOperator());
      if (equal && POOL.equals(t.getKey()) && poolId.equals(t.getValue())) {
        return true;
      }
    }
    return false;
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
