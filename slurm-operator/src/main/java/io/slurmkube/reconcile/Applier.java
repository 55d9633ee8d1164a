package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;

/** Server-side apply of desired objects, telling whether anything changed (for events and logs). */
public final class Applier {
  public static final String FIELD_MANAGER = "slurmkube-operator";

  public enum Outcome { CREATED, UPDATED, UNCHANGED }

  private final KubernetesClient client;

  public Applier(KubernetesClient client) {
    this.client = client;
  }

  public <T extends HasMetadata> Outcome apply(T desired) {
    T existing = client.resource(desired).get();
    T applied = client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    if (existing == null) {
      return Outcome.CREATED;
    }
    return Objects.equals(existing.getMetadata().getResourceVersion(), applied.getMetadata().getResourceVersion())
        ? Outcome.UNCHANGED : Outcome.UPDATED;
  }

  /** Creates the object only if it does not exist yet; an existing one is left exactly as it is. */
  public <T extends HasMetadata> Outcome createIfAbsent(T desired) {
    if (client.resource(desired).get() != null) {
      return Outcome.UNCHANGED;
    }
    client.resource(desired).create();
    return Outcome.CREATED;
  }
}
