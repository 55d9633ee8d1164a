package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Service;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetResourceSpec;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.model.Labels.Component;
import java.util.ArrayList;
import java.util.Map;
import java.util.Optional;

/** A NodeSet object for each node set of a cluster, and the headless Service their pods share. */
public final class NodeSetBuilder {
  /**
   * The spec.nodeSets[].replicas this NodeSet last saw. A different value in the SlurmCluster is a
   * user's edit and rescales the NodeSet once; otherwise the live count stays with whoever scales it.
   */
  public static final String REQUESTED_REPLICAS = "slurmkube.io/requested-replicas";
  private static final String NONE = "none";

  private NodeSetBuilder() {}

  /**
   * The NodeSet for one entry of spec.nodeSets. {@code replicas} is set only when {@code creating}:
   * afterwards the NodeSet's replica count belongs to whoever scales it (autoscaler, HPA, kubectl).
   */
  public static NodeSet build(ClusterModel model, NodeSetSpec entry, boolean creating) {
    var spec = new NodeSetResourceSpec();
    spec.clusterName = model.name();
    spec.nodeSetName = entry.name;
    spec.replicas = creating ? entry.initialReplicas() : null;
    spec.minReplicas = entry.minReplicas;
    spec.maxReplicas = entry.maxReplicas;
    spec.scaleDownDelaySeconds = entry.scaleDownDelaySeconds;
    spec.cpus = entry.cpus;
    spec.cpuRequest = entry.cpuRequest;
    spec.memoryMiB = entry.memoryMiB;
    spec.gpus = entry.gpus;
    spec.deviceClassName = entry.deviceClassName;
    spec.features = new ArrayList<>(entry.features);
    spec.image = model.spec().nodeImage;
    spec.template = entry.template;
    spec.updateStrategy = entry.updateStrategy;
    var nodeSet = new NodeSet();
    var labels = Labels.nodeSetSelector(model.name(), entry.name);
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    nodeSet.setMetadata(Owned.meta(model.cluster(), model.names().nodeSet(entry.name), labels));
    // Recorded also when absent ("none"), so that a count added later is seen as an edit.
    nodeSet.getMetadata().setAnnotations(Map.of(REQUESTED_REPLICAS, entry.replicas == null ? NONE : entry.replicas.toString()));
    nodeSet.setSpec(spec);
    return nodeSet;
  }

  /**
   * The replica count to set on an existing NodeSet because the user edited
   * spec.nodeSets[].replicas, or empty. A NodeSet that never recorded a request (made by an older
   * operator) is not rescaled: without a record, an unchanged spec cannot be told from an edit.
   */
  public static Optional<Integer> editedReplicas(NodeSetSpec entry, NodeSet existing) {
    if (entry.replicas == null || existing.getMetadata().getAnnotations() == null) {
      return Optional.empty();
    }
    String recorded = existing.getMetadata().getAnnotations().get(REQUESTED_REPLICAS);
    if (recorded == null || recorded.equals(entry.replicas.toString())) {
      return Optional.empty();
    }
    return Optional.of(entry.replicas);
  }

  public static Service nodesService(ClusterModel model) {
    // A node must be resolvable while it registers, before any readiness.
    return PodParts.headlessService(model, model.names().nodes(), Component.NODE, "slurmd", SlurmConfig.SLURMD_PORT, true);
  }

}
