package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Service;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetResourceSpec;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.model.Labels.Component;
import java.util.ArrayList;

/** A NodeSet object for each node set of a cluster, and the headless Service their pods share. */
public final class NodeSetBuilder {
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
    var nodeSet = new NodeSet();
    var labels = Labels.nodeSetSelector(model.name(), entry.name);
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    nodeSet.setMetadata(Owned.meta(model.cluster(), model.names().nodeSet(entry.name), labels));
    nodeSet.setSpec(spec);
    return nodeSet;
  }

  public static Service nodesService(ClusterModel model) {
    // A node must be resolvable while it registers, before any readiness.
    return PodParts.headlessService(model, model.names().nodes(), Component.NODE, "slurmd", SlurmConfig.SLURMD_PORT, true);
  }

}
