package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pods this controller created or deleted that its informer has not shown yet. Without them, a
 * pass that runs before the cache catches up sees one pod too few and creates another (a duplicate
 * node), or still sees a deleted pod and drains one more node than wanted. An expectation ends
 * when the cache shows the change, or after {@link #PATIENCE} (a lost watch event is not waited
 * for forever: the next relist tells the truth).
 */
final class PodExpectations {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  private record Expected(Pod pod, Instant at) {}

  /** By namespace/name: pods created, not yet in the cache. */
  private final Map<String, Expected> created = new ConcurrentHashMap<>();
  /** By uid: pods deleted, still in the cache without a deletion timestamp. */
  private final Map<String, Expected> deleted = new ConcurrentHashMap<>();

  void created(Pod pod, Instant now) {
    created.put(key(pod), new Expected(pod, now));
  }

  void deleted(Pod pod, Instant now) {
    if (pod.getMetadata().getUid() != null) {
      deleted.put(pod.getMetadata().getUid(), new Expected(pod, now));
    }
  }

  /**
   * Drops what is expected of the pods of an owner that is gone: a NodeSet made again under the same
   * name must not take the old one's pod for its own.
   */
  void forget(String ownerUid) {
    java.util.function.Predicate<Expected> ownedByIt = e -> e.pod().getMetadata().getOwnerReferences() != null
        && e.pod().getMetadata().getOwnerReferences().stream().anyMatch(o -> ownerUid.equals(o.getUid()));
    created.values().removeIf(ownedByIt);
    deleted.values().removeIf(ownedByIt);
  }

  /**
   * The pods of one node set as they are once the controller's own writes land: {@code cached}
   * (active pods from the informer, of that node set only) with the created ones it lacks added and
   * the deleted ones it still holds removed. {@code owned} tells which expected pods belong to it.
   */
  List<Pod> adjust(List<Pod> cached, java.util.function.Predicate<Pod> owned, Instant now) {
    created.values().removeIf(e -> e.at().plus(PATIENCE).isBefore(now));
    deleted.values().removeIf(e -> e.at().plus(PATIENCE).isBefore(now));
    Set<String> cachedKeys = new HashSet<>();
    Set<String> cachedUids = new HashSet<>();
    List<Pod> pods = new ArrayList<>();
    for (Pod pod : cached) {
      cachedKeys.add(key(pod));
      cachedUids.add(pod.getMetadata().getUid());
      if (!deleted.containsKey(pod.getMetadata().getUid())) {
        pods.add(pod);
      }
    }
    // The cache has caught up with these: the expectation is met.
    created.keySet().removeIf(cachedKeys::contains);
    deleted.entrySet().removeIf(e -> owned.test(e.getValue().pod()) && !cachedUids.contains(e.getKey()));
    created.values().stream().map(Expected::pod).filter(owned).forEach(pods::add);
    return pods;
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }
}
