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

/** A whole Slurm cluster: controller, accounting, REST API, login pods and node sets. */
@Group(SlurmCluster.GROUP)
@Version(SlurmCluster.VERSION)
@Kind("SlurmCluster")
@Plural("slurmclusters")
@ShortNames("slurm")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(name = "Nodes", jsonPath = ".status.readyNodes", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".status.desiredNodes", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Pending-Jobs", jsonPath = ".status.pendingJobs", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Slurm", jsonPath = ".status.slurmRelease")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
// The name prefixes every object of the cluster (model.ClusterNames): Service names, pod host
// names and the StatefulSets' controller-revision-hash label values must stay DNS labels.
@ValidationRule(value = "self.metadata.name.matches('" + Names.DNS_LABEL + "')",
    message = "metadata.name is not usable as a SlurmCluster name: it prefixes Service and pod names, so use lower-case letters, digits and '-', starting with a letter, no '.'; choose such a name")
@ValidationRule(value = "size(self.metadata.name) <= " + Names.MAX_CLUSTER_NAME,
    message = "metadata.name is longer than " + Names.MAX_CLUSTER_NAME + " characters: the controller StatefulSet <name>"
        + Names.LONGEST_STATEFULSET_SUFFIX + " must fit " + Names.STATEFULSET_NAME_MAX + " characters so that its pod's "
        + "controller-revision-hash label fits " + Names.DNS_LABEL_MAX + "; choose a name of at most " + Names.MAX_CLUSTER_NAME + " characters")
@ValidationRule(value = "!has(self.spec) || !has(self.spec.nodeSets) || self.spec.nodeSets.all(n, size(self.metadata.name) + size(n.name) <= "
        + Names.MAX_CLUSTER_PLUS_NODESET + ")",
    message = "spec.nodeSets[].name: metadata.name plus a node set name is longer than " + Names.MAX_CLUSTER_PLUS_NODESET
        + " characters: node pod names <cluster>-<nodeset>-<ordinal> must fit " + Names.DNS_LABEL_MAX
        + " characters with a 4-digit ordinal; shorten the node set name or the cluster name",
    fieldPath = ".spec.nodeSets")
public class SlurmCluster extends CustomResource<SlurmClusterSpec, SlurmClusterStatus> implements Namespaced {
  public static final String GROUP = "slurmkube.io";
  public static final String VERSION = "v1alpha1";
}
