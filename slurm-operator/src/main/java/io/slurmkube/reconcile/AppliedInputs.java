package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.slurmkube.api.SlurmCluster;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a SlurmCluster's objects must be applied again. A pass applies everything (a read and a
 * server-side apply per object); it need not when nothing it applies from has changed since the last
 * pass that applied cleanly: the cluster's generation, the pods' key-set annotation, and every owned
 * object as the informers hold it (a changed StatefulSet, Deployment, Secret, Service or ConfigMap
 * moves its resourceVersion, a NodeSet whose spec changed its generation; a deleted one goes). A
 * hand edit of only a NodeSet's labels is undone at the next full apply. Still, everything is applied again every
 * {@link #REAPPLY} (what no informer sees: a claim, a StorageClass). So an idle cluster costs the API
 * server nothing between those passes.
 */
final class AppliedInputs {
  static final Duration REAPPLY = Duration.ofMinutes(5);

  /** What a pass applies from. */
  record Inputs(Long generation, String keySet, SortedSet<String> owned) {}

  private record Applied(Inputs inputs, Instant at) {}

  private final Map<ResourceID, Applied> applied = new ConcurrentHashMap<>();
  private final Clock clock;

  AppliedInputs(Clock clock) {
    this.clock = clock;
  }

  /** What a pass would apply from: the cluster's generation, the key set, the owned objects' versions. */
  static Inputs inputs(SlurmCluster cluster, String keySet, Collection<? extends HasMetadata> owned) {
    SortedSet<String> versions = new TreeSet<>();
    for (HasMetadata o : owned) {
      versions.add(o.getKind() + "/" + o.getMetadata().getName() + "@" + version(o));
    }
    return new Inputs(cluster.getMetadata().getGeneration(), keySet, versions);
  }

  /**
   * A NodeSet's generation (it moves with the spec only), any other object's resourceVersion. A
   * NodeSet's status is no input (with 1,000 pods starting, each of its status writes made the
   * cluster apply its every object again); a StatefulSet's or Deployment's status is: an upgrade
   * moves slurmctld once slurmdbd's rollout is done (UpgradePlan).
   */
  private static String version(HasMetadata o) {
    Long generation = o.getMetadata().getGeneration();
    return o instanceof io.slurmkube.api.NodeSet && generation != null ? "g" + generation : o.getMetadata().getResourceVersion();
  }

  /** True when the last clean pass applied from the same inputs, less than REAPPLY ago. */
  boolean unchanged(SlurmCluster cluster, Inputs inputs) {
    Applied last = applied.get(ResourceID.fromResource(cluster));
    return last != null && last.inputs().equals(inputs) && clock.instant().isBefore(last.at().plus(REAPPLY));
  }

  /** After a pass: remembered if it applied everything without a problem, forgotten otherwise. */
  void record(SlurmCluster cluster, Inputs inputs, boolean clean) {
    if (clean) {
      applied.put(ResourceID.fromResource(cluster), new Applied(inputs, clock.instant()));
    } else {
      forget(cluster);
    }
  }

  void forget(SlurmCluster cluster) {
    applied.remove(ResourceID.fromResource(cluster));
  }
}
