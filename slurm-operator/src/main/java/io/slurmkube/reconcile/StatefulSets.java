package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** What of a StatefulSet cannot be changed once it exists: its volume claim templates. */
final class StatefulSets {
  private StatefulSets() {}

  /** Same claim names, sizes and storage classes (what the builders set; the server adds the rest). */
  static boolean sameClaims(StatefulSet existing, StatefulSet desired) {
    List<PersistentVolumeClaim> a = existing.getSpec().getVolumeClaimTemplates();
    List<PersistentVolumeClaim> b = desired.getSpec().getVolumeClaimTemplates();
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!Objects.equals(a.get(i).getMetadata().getName(), b.get(i).getMetadata().getName())
          || !Objects.equals(storage(a.get(i)), storage(b.get(i)))
          || (b.get(i).getSpec().getStorageClassName() != null
              && !b.get(i).getSpec().getStorageClassName().equals(a.get(i).getSpec().getStorageClassName()))) {
        return false;
      }
    }
    return true;
  }

  static String describeClaims(StatefulSet statefulSet) {
    return statefulSet.getSpec().getVolumeClaimTemplates().stream()
        .map(c -> c.getMetadata().getName() + " " + storage(c)
            + (c.getSpec().getStorageClassName() == null ? "" : " of class " + c.getSpec().getStorageClassName()))
        .collect(Collectors.joining(", "));
  }

  private static String storage(PersistentVolumeClaim claim) {
    var requests = claim.getSpec().getResources() == null ? null : claim.getSpec().getResources().getRequests();
    Quantity q = requests == null ? null : requests.get("storage");
    return q == null ? "" : q.toString();
  }
}
