package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.slurmkube.api.Names;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.SlurmCluster;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The name limits admission enforces (api.Names, turned into CRD rules) are the real ones: a
 * cluster and node set at the limits give objects whose names, host names and label values all
 * fit, one character more does not, and every suffix ClusterNames uses is a reserved node set name.
 */
class NameLimitsTest {
  static final String DNS_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?";

  static SlurmCluster clusterNamed(String name, String nodeSetName) {
    SlurmCluster cluster = Fixtures.cluster();
    cluster.getMetadata().setName(name);
    NodeSetSpec entry = cluster.getSpec().nodeSets.get(0);
    entry.name = nodeSetName;
    cluster.getSpec().partitions.get(0).nodeSets = List.of(nodeSetName);
    return cluster;
  }

  /** The StatefulSets' revision label value: {@code <statefulset>-<hash>}, the hash up to 10 characters. */
  static String longestRevisionLabel(StatefulSet set) {
    return set.getMetadata().getName() + "-" + "4294967295";
  }

  static List<String> problems(SlurmCluster cluster) {
    var model = new ClusterModel(cluster);
    List<String> problems = new ArrayList<>();
    List<HasMetadata> named = new ArrayList<>(List.of(
        ControllerBuilder.service(model), AccountingBuilder.service(model), DatabaseBuilder.service(model),
        LoginBuilder.service(model), RestApiBuilder.service(model), NodeSetBuilder.nodesService(model),
        ControllerBuilder.statefulSet(model), DatabaseBuilder.statefulSet(model),
        AccountingBuilder.deployment(model), LoginBuilder.deployment(model), RestApiBuilder.deployment(model)));
    for (HasMetadata object : named) {
      String name = object.getMetadata().getName();
      if (object instanceof Service && !name.matches(DNS_LABEL) || name.length() > Names.DNS_LABEL_MAX) {
        problems.add(object.getKind() + " " + name + " is not a DNS label");
      }
      if (object instanceof StatefulSet set) {
        if (longestRevisionLabel(set).length() > Names.DNS_LABEL_MAX) {
          problems.add("controller-revision-hash of " + name + " is longer than 63");
        }
        if ((name + "-0").length() > Names.DNS_LABEL_MAX) {
          problems.add("pod " + name + "-0 is longer than 63");
        }
      }
      labelValues(object.getMetadata().getLabels(), name, problems);
    }
    NodeSet nodeSet = NodeSetBuilder.build(model, cluster.getSpec().nodeSets.get(0), true);
    int highestOrdinal = (int) Math.pow(10, Names.ORDINAL_DIGITS) - 1;
    Pod pod = NodePodBuilder.build(model, nodeSet, highestOrdinal);
    if (!pod.getMetadata().getName().matches(DNS_LABEL) || pod.getMetadata().getName().length() > Names.DNS_LABEL_MAX) {
      problems.add("node pod " + pod.getMetadata().getName() + " is not a DNS label");
    }
    if (!pod.getSpec().getHostname().equals(pod.getMetadata().getName())) {
      problems.add("node pod host name differs from its name");
    }
    labelValues(pod.getMetadata().getLabels(), pod.getMetadata().getName(), problems);
    labelValues(nodeSet.getMetadata().getLabels(), nodeSet.getMetadata().getName(), problems);
    return problems;
  }

  static void labelValues(Map<String, String> labels, String owner, List<String> problems) {
    if (labels != null) {
      labels.forEach((k, v) -> {
        if (v.length() > Names.DNS_LABEL_MAX) {
          problems.add("label " + k + " of " + owner + " is longer than 63");
        }
      });
    }
  }

  @Test
  void aClusterAndNodeSetAtTheLimitsGiveOnlyValidNames() {
    String cluster = "c" + "a".repeat(Names.MAX_CLUSTER_NAME - 1);
    String nodeSet = "n" + "b".repeat(Names.MAX_CLUSTER_PLUS_NODESET - Names.MAX_CLUSTER_NAME - 1);
    assertThat(problems(clusterNamed(cluster, nodeSet))).isEmpty();
  }

  @Test
  void oneCharacterMoreInTheClusterNameBreaksTheControllerStatefulSet() {
    String cluster = "c" + "a".repeat(Names.MAX_CLUSTER_NAME);
    assertThat(problems(clusterNamed(cluster, "cpu")))
        .containsExactly("controller-revision-hash of " + cluster + Names.LONGEST_STATEFULSET_SUFFIX + " is longer than 63");
    assertThat(new ClusterNames(cluster, "ns").controller()).endsWith(Names.LONGEST_STATEFULSET_SUFFIX);
  }

  @Test
  void oneCharacterMoreInClusterPlusNodeSetBreaksTheNodePodName() {
    String cluster = "c" + "a".repeat(Names.MAX_CLUSTER_NAME - 1);
    String nodeSet = "n" + "b".repeat(Names.MAX_CLUSTER_PLUS_NODESET - Names.MAX_CLUSTER_NAME);
    assertThat(problems(clusterNamed(cluster, nodeSet))).singleElement().asString().startsWith("node pod ");
  }

  @Test
  void everySuffixOfTheClusterObjectsIsAReservedNodeSetName() throws Exception {
    var names = new ClusterNames("demo", "hpc");
    List<String> suffixes = new ArrayList<>();
    for (Method method : ClusterNames.class.getDeclaredMethods()) {
      if (Modifier.isPublic(method.getModifiers()) && method.getParameterCount() == 0 && method.getReturnType() == String.class) {
        String value = (String) method.invoke(names);
        // Object names, not host names or URLs; a pod's "-0" is the ordinal a node set would add.
        if (value.startsWith("demo-") && !value.contains(".") && !value.contains(":")) {
          suffixes.add(value.substring("demo-".length()).replaceFirst("-[0-9]+$", ""));
        }
      }
    }
    assertThat(suffixes).contains("controller", "db", "login", "restapi", "accounting", "nodes", "config", "auth-key", "jwt-key");
    assertThat(Names.RESERVED_NODESET_NAMES).containsAll(suffixes);
    assertThat(Names.RESERVED_NODESET_NAMES_CEL)
        .isEqualTo("[" + String.join(", ", Names.RESERVED_NODESET_NAMES.stream().map(n -> "'" + n + "'").toList()) + "]");
  }
}
