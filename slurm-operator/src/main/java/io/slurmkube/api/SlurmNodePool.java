package io.slurmkube.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A cluster administrator's grant of Kubernetes nodes to Slurm pools: which nodes, for the
 * SlurmClusters of which namespaces, which taints their slurmd pods may tolerate, whether idle
 * nodes may be lent to Kubernetes (and taken back by evicting its pods), and how many nodes one
 * cluster may take. Cluster-scoped, so that only whoever may write cluster-wide objects grants
 * powers over Nodes; the operator only reads it. A SlurmCluster's {@code spec.fleet.pool} names one.
 */
@Group(SlurmCluster.GROUP)
@Version(SlurmCluster.VERSION)
@Kind("SlurmNodePool")
@Plural("slurmnodepools")
@ShortNames("snp")
@AdditionalPrinterColumn(name = "Lending", jsonPath = ".spec.allowLending", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Max-Nodes", jsonPath = ".spec.maxNodesPerCluster", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class SlurmNodePool extends CustomResource<SlurmNodePoolSpec, Void> {
}
