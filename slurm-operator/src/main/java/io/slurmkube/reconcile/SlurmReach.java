package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.ClusterModel;

/** Whether a Slurm that does not answer can answer again, for deletions that wait on it. */
final class SlurmReach {
  private SlurmReach() {}

  /**
   * Why Slurm can no longer be asked, for good: the cluster, its slurmctld or its slurmrestd is gone
   * or being deleted (a foreground cascade, the namespace terminating), or the REST API is off. Null
   * when it may answer again (a restart, a network problem).
   */
  static String hopeless(KubernetesClient client, SlurmCluster cluster) {
    if (cluster == null) {
      return "its SlurmCluster is gone";
    }
    var model = new ClusterModel(cluster);
    if (!model.runsRestApi()) {
      return "spec.restApi.enabled is false";
    }
    var ns = model.namespace();
    String restApi = gone(client.apps().deployments().inNamespace(ns).withName(model.names().restApi()).get(),
        "slurmrestd (Deployment " + model.names().restApi() + ")");
    if (restApi != null) {
      return restApi;
    }
    return gone(client.apps().statefulSets().inNamespace(ns).withName(model.names().controller()).get(),
        "slurmctld (StatefulSet " + model.names().controller() + ")");
  }

  private static String gone(HasMetadata object, String what) {
    if (object == null) {
      return what + " is gone";
    }
    return object.getMetadata().getDeletionTimestamp() != null ? what + " is being deleted" : null;
  }
}
