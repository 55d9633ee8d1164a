package io.slurmkube.autoscale;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.slurmkube.api.NodeSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may move a queue-autoscaled node set's replicas now: the queue autoscaler, or someone else.
 * A HorizontalPodAutoscaler (KEDA makes one too) that targets the NodeSet wins for as long as it
 * exists; a manual write of spec.replicas (kubectl scale, an edit of the SlurmCluster's
 * nodeSets[].replicas) is kept for the scale-down delay after it was made. Read from managedFields:
 * the field manager that owns spec.replicas and, where given, the time of its last write.
 */
public final class ScalerArbitration {
  /** The field manager of the queue autoscaler's replica writes; every other writer is someone else. */
  public static final String AUTOSCALER_MANAGER = "slurmkube-autoscaler";

  public enum Driver { QUEUE, HORIZONTAL_POD_AUTOSCALER, MANUAL }

  /**
   * @param driver who drives the replicas now
   * @param reason a condition reason (CamelCase)
   * @param message what a person reads: who, since when, and how to change it
   */
  public record Verdict(Driver driver, String reason, String message) {
    public boolean queueScales() {
      return driver == Driver.QUEUE;
    }
  }

  private ScalerArbitration() {}

  /**
   * The manager that last wrote spec.replicas, and when, as far as managedFields tell.
   *
   * @param time null when managedFields do not say: writes through the scale subresource (kubectl
   *     scale, an HPA) carry no time on a NodeSet (seen with Kubernetes 1.34)
   * @param replicas the value written
   */
  public record Writer(String manager, String subresource, Instant time, Integer replicas) {
    public boolean isAutoscaler() {
      return AUTOSCALER_MANAGER.equals(manager);
    }

    /** Tells one write from the next (a same-value write changes nothing). */
    public String key() {
      return manager + "/" + subresource + "=" + replicas;
    }
  }

  /** What an earlier pass saw: the write, and its time (null: none to keep). */
  public record Seen(String key, Instant at) {}

  /**
   * When the manual write of spec.replicas was made, or null when there is none to keep (the
   * autoscaler's own write, or the one that created the NodeSet). Without a time in managedFields,
   * the first pass that saw the write stands in for it; a write already there on this process's
   * first look at the node set is taken as old (an operator restart starts no new hold).
   */
  public static Instant manualWriteTime(NodeSet nodeSet, Writer writer, Seen previous, boolean firstLook, Instant now) {
    if (writer == null || writer.isAutoscaler()) {
      return null;
    }
    if (writer.time() != null) {
      return writer.time().isAfter(createdAt(nodeSet.getMetadata())) ? writer.time() : null;
    }
    if (previous != null && previous.key().equals(writer.key())) {
      return previous.at();
    }
    return firstLook ? null : now;
  }

  /**
   * @param manualWrite when spec.replicas was last written by someone other than the queue
   *     autoscaler ({@link #manualWriteTime}), or null
   */
  public static Verdict decide(NodeSet nodeSet, String nodeSetEntry, List<HorizontalPodAutoscaler> hpas,
      Writer writer, Instant manualWrite, Duration hold, Instant now) {
    List<String> targeting = hpas.stream().filter(h -> targets(h, nodeSet))
        .map(h -> h.getMetadata().getName()).sorted().toList();
    if (!targeting.isEmpty()) {
      String names = String.join(", ", targeting);
      return new Verdict(Driver.HORIZONTAL_POD_AUTOSCALER, "HorizontalPodAutoscaler",
          "HorizontalPodAutoscaler " + names + " scales this NodeSet, so the queue autoscaler changes no replicas "
              + "(scale-downs still drain nodes first); to let the queue drive it, delete " + names
              + ", or to let the HPA drive it alone, remove maxReplicas from spec.nodeSets[" + nodeSetEntry + "]");
    }
    if (writer != null && manualWrite != null && now.isBefore(manualWrite.plus(hold))) {
      Instant until = manualWrite.plus(hold);
      String how = writer.subresource() == null ? "" : " through the " + writer.subresource() + " subresource";
      return new Verdict(Driver.MANUAL, "ManualScale", "spec.replicas was set to " + writer.replicas() + " by "
          + writer.manager() + how + " at " + manualWrite + "; the queue autoscaler keeps it until " + until
          + " (scaleDownDelaySeconds " + hold.toSeconds() + " s after that write)");
    }
    return new Verdict(Driver.QUEUE, "QueueDriven", "the queue autoscaler sets replicas between minReplicas and maxReplicas"
        + " from the Slurm queue");
  }

  /** An autoscaling/v2 HPA whose scaleTargetRef is this NodeSet (any version of its API group). */
  public static boolean targets(HorizontalPodAutoscaler hpa, NodeSet nodeSet) {
    if (hpa.getSpec() == null || hpa.getSpec().getScaleTargetRef() == null) {
      return false;
    }
    var ref = hpa.getSpec().getScaleTargetRef();
    String apiVersion = ref.getApiVersion() == null ? "" : ref.getApiVersion();
    return "NodeSet".equals(ref.getKind()) && apiVersion.startsWith(HasMetadata.getGroup(NodeSet.class) + "/")
        && Objects.equals(ref.getName(), nodeSet.getMetadata().getName())
        && Objects.equals(hpa.getMetadata().getNamespace(), nodeSet.getMetadata().getNamespace());
  }

  /** The latest entry that owns spec.replicas: with Update operations a changed field moves to its writer. */
  public static Optional<Writer> replicasWriter(NodeSet nodeSet) {
    var metadata = nodeSet.getMetadata();
    if (metadata.getManagedFields() == null) {
      return Optional.empty();
    }
    return metadata.getManagedFields().stream()
        .filter(ScalerArbitration::ownsReplicas)
        .map(e -> new Writer(e.getManager(), e.getSubresource(), e.getTime() == null ? null : Instant.parse(e.getTime()),
            nodeSet.getSpec() == null ? null : nodeSet.getSpec().replicas))
        // Entries without a time are the newest: only scale-subresource writes lack one.
        .max(Comparator.comparing(w -> w.time() == null ? Instant.MAX : w.time()));
  }

  private static boolean ownsReplicas(ManagedFieldsEntry entry) {
    if (entry.getFieldsV1() == null || entry.getFieldsV1().getAdditionalProperties() == null) {
      return false;
    }
    return entry.getFieldsV1().getAdditionalProperties().get("f:spec") instanceof Map<?, ?> spec
        && spec.containsKey("f:replicas");
  }

  private static Instant createdAt(ObjectMeta metadata) {
    return metadata.getCreationTimestamp() == null ? Instant.EPOCH : Instant.parse(metadata.getCreationTimestamp());
  }
}
