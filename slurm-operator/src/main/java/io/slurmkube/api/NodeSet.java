package io.slurmkube.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One node set of a SlurmCluster as its own object, so that HPA or KEDA can drive it through the
 * scale subresource and the NodeSet controller can choose which pod to remove.
 */
@Group(SlurmCluster.GROUP)
@Version(SlurmCluster.VERSION)
@Kind("NodeSet")
@Plural("nodesets")
@ShortNames("ns-slurm")
@AdditionalPrinterColumn(name = "Cluster", jsonPath = ".spec.clusterName")
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Current", jsonPath = ".status.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyReplicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Idle", jsonPath = ".status.idle", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Allocated", jsonPath = ".status.allocated", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
// The name ties the object to its (cluster, node set) pair: two NodeSets for one pair would select
// and count each other's pods, and the pods are named after the NodeSet.
@ValidationRule(value = "has(self.spec)", message = "spec is required: give at least spec.clusterName and spec.nodeSetName")
@ValidationRule(value = "!has(self.spec) || !has(self.spec.clusterName) || !has(self.spec.nodeSetName) || self.metadata.name == self.spec.clusterName + '-' + self.spec.nodeSetName",
    message = "metadata.name must be <spec.clusterName>-<spec.nodeSetName> (one NodeSet per node set of a cluster; its pods are named after it): "
        + "name the NodeSet so, or set spec.clusterName and spec.nodeSetName to match its name")
public class NodeSet extends CustomResource<NodeSetResourceSpec, NodeSetStatus> implements Namespaced {}
