package io.slurmkube.reconcile;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;

/**
 * Adds and removes this operator's finalizers by JSON patch with a precondition, never by
 * server-side apply: an apply that lands after the object was deleted creates it again, empty but
 * for the finalizer (docs/FACTS.md). A patch of a missing object is a 404 and creates nothing.
 */
final class Finalizers {
  /** On NodeSets: their Slurm nodes are drained and their pods deleted only once idle before the NodeSet goes. */
  static final String DRAIN_NODES = "slurmkube.io/drain-nodes";
  /** On SlurmClusters: running jobs may end, up to spec.deletionGracePeriodSeconds, before everything goes. */
  static final String WAIT_FOR_JOBS = "slurmkube.io/wait-for-jobs";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Finalizers() {}

  static boolean has(HasMetadata object, String finalizer) {
    return object.getMetadata().getFinalizers() != null && object.getMetadata().getFinalizers().contains(finalizer);
  }

  /**
   * Adds the finalizer to the object as it was read (same resourceVersion), so that it lands on that
   * object or not at all. False when the object changed, is gone, or is being deleted (the API server
   * refuses new finalizers then): the next pass tries again with what it reads.
   */
  static boolean add(KubernetesClient client, HasMetadata object, String finalizer) {
    if (has(object, finalizer)) {
      return true;
    }
    var meta = object.getMetadata();
    List<Map<String, Object>> ops = new java.util.ArrayList<>();
    ops.add(Map.of("op", "test", "path", "/metadata/resourceVersion", "value", meta.getResourceVersion()));
    if (meta.getFinalizers() == null || meta.getFinalizers().isEmpty()) {
      ops.add(Map.of("op", "add", "path", "/metadata/finalizers", "value", List.of(finalizer)));
    } else {
      ops.add(Map.of("op", "add", "path", "/metadata/finalizers/-", "value", finalizer));
    }
    return patch(client, object, ops);
  }

  /**
   * Removes the finalizer, testing that the entry at its index is still it (test-and-set): no
   * resourceVersion, so that status writes in between do not make the removal fail.
   */
  static boolean remove(KubernetesClient client, HasMetadata object, String finalizer) {
    List<String> finalizers = object.getMetadata().getFinalizers();
    int index = finalizers == null ? -1 : finalizers.indexOf(finalizer);
    if (index < 0) {
      return true;
    }
    String path = "/metadata/finalizers/" + index;
    return patch(client, object, List.of(
        Map.of("op", "test", "path", "/metadata/uid", "value", object.getMetadata().getUid()),
        Map.of("op", "test", "path", path, "value", finalizer),
        Map.of("op", "remove", "path", path)));
  }

  private static boolean patch(KubernetesClient client, HasMetadata object, List<Map<String, Object>> ops) {
    try {
      client.resource(object).patch(PatchContext.of(PatchType.JSON), JSON.writeValueAsString(ops));
      return true;
    } catch (KubernetesClientException e) {
      // 404: gone; 409/422: a failed test (changed meanwhile) or a refused finalizer. Read again next pass.
      if (e.getCode() == 404 || e.getCode() == 409 || e.getCode() == 422) {
        return false;
      }
      throw e;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
