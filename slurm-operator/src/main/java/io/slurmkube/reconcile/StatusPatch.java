package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * The object a status patch sends: name, namespace and status only. Without a resourceVersion,
 * server-side apply of the status does not fail when the spec changed meanwhile (the autoscaler
 * itself changes NodeSet specs), and fields the operator does not own are left alone.
 */
final class StatusPatch {
  private StatusPatch() {}

  /** A status as JSON, to tell whether a pass changed it ("" for none). */
  static String json(io.fabric8.kubernetes.client.KubernetesClient client, Object status) {
    return status == null ? "" : client.getKubernetesSerialization().asJson(status);
  }

  static <S, R extends CustomResource<?, S>> R of(R current, R fresh, S status) {
    fresh.setMetadata(new ObjectMetaBuilder()
        .withName(current.getMetadata().getName())
        .withNamespace(current.getMetadata().getNamespace())
        .build());
    fresh.setStatus(status);
    return fresh;
  }
}
