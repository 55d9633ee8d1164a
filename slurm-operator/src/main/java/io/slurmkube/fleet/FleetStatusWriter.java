package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.slurmkube.api.FleetStatus;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.reconcile.Conditions;
import io.slurmkube.reconcile.EventRecorder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code status.fleet} and tells what changed in it: the PoolGranted condition, one Event
 * per change of what the SlurmNodePool refused, one Warning per new problem.
 */
final class FleetStatusWriter {
  static final String FIELD_MANAGER = "slurmkube-fleet";
  public static final String POOL_GRANTED = "PoolGranted";
  private static final String GRANT_TOPIC = "fleet-grant";

  private final KubernetesClient client;
  private final EventRecorder events;

  FleetStatusWriter(KubernetesClient client, EventRecorder events) {
    this.client = client;
    this.events = events;
  }

  /** Sends status.fleet, with its condition, and the events for what changed; nothing when unchanged. */
  void write(SlurmCluster cluster, FleetStatus status, PoolGrant grant) {
    FleetStatus before = cluster.getStatus() == null ? null : cluster.getStatus().fleet;
    long generation = cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();
    String message = grant.usable() && grant.refused().isEmpty()
        ? "SlurmNodePool " + grant.pool() + " grants all that spec.fleet asks"
        : (grant.usable() ? "SlurmNodePool " + grant.pool() + " refuses part of spec.fleet: " : "") + String.join("; ", grant.refused());
    status.conditions = Conditions.set(before == null ? null : before.conditions, generation, POOL_GRANTED, grant.usable(),
        grant.reason(), message);
    tellAboutGrant(cluster, before, grant, message);
    warnAboutNewProblems(cluster, before, status.problems, grant.refused());
    if (!same(before, status)) {
      patch(cluster, status);
    }
  }

  /** Takes status.fleet away (spec.fleet was removed). */
  void remove(SlurmCluster cluster) {
    if (cluster.getStatus() != null && cluster.getStatus().fleet != null) {
      patch(cluster, null);
    }
  }

  private void tellAboutGrant(SlurmCluster cluster, FleetStatus before, PoolGrant grant, String message) {
    String key = grant.pool() + "\n" + String.join("\n", grant.refused());
    String recorded = before == null || before.pool == null ? null
        : before.pool + "\n" + String.join("\n", before.refused == null ? List.of() : before.refused);
    if (grant.refused().isEmpty()) {
      events.normalOnChange(cluster, GRANT_TOPIC, key, recorded, "PoolGranted", message);
    } else {
      events.warningOnChange(cluster, GRANT_TOPIC, key, recorded, grant.usable() ? "PoolPartlyRefused" : "PoolRefused", message);
    }
  }

  private void warnAboutNewProblems(SlurmCluster cluster, FleetStatus before, List<String> problems, List<String> told) {
    List<String> earlier = before == null || before.problems == null ? List.of() : before.problems;
    for (String p : problems) {
      if (!earlier.contains(p) && !told.contains(p)) {
        events.warning(cluster, "FleetProblem", p);
      }
    }
  }

  private boolean same(FleetStatus before, FleetStatus status) {
    if (before == null) {
      return false;
    }
    var json = client.getKubernetesSerialization();
    return json.asJson(before).equals(json.asJson(status));
  }

  /**
   * Server-side apply of status.fleet alone, under this controller's own field manager: the
   * SlurmCluster controller's status fields are neither sent nor touched. Null removes status.fleet.
   */
  private void patch(SlurmCluster cluster, FleetStatus fleet) {
    Map<String, Object> status = new LinkedHashMap<>();
    if (fleet != null) {
      status.put("fleet", fleet);
    }
    var body = new GenericKubernetesResourceBuilder()
        .withApiVersion(cluster.getApiVersion()).withKind(cluster.getKind())
        .withNewMetadata().withName(cluster.getMetadata().getName()).withNamespace(cluster.getMetadata().getNamespace()).endMetadata()
        .addToAdditionalProperties("status", status)
        .build();
    try {
      client.genericKubernetesResources(cluster.getApiVersion(), cluster.getKind())
          .inNamespace(cluster.getMetadata().getNamespace()).withName(cluster.getMetadata().getName())
          .subresource("status")
          .patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
              .withFieldManager(FIELD_MANAGER).withForce(true).build(), client.getKubernetesSerialization().asJson(body));
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }
}
