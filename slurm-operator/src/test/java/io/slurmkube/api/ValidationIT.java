package io.slurmkube.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.testing.Crds;
import io.slurmkube.testing.RealApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad SlurmCluster, NodeSet and SlurmNodePool specs are refused at admission, with a message that names the field
 * and the fix; every cluster the project ships as an example or runs in e2e is accepted.
 */
class ValidationIT {

  @RegisterExtension static RealApiServer api = new RealApiServer();

  static final Path CORPUS = Path.of("src/test/resources/bad-specs");

  @BeforeAll
  static void installCrds() throws IOException {
    Crds.install(api.client());
  }

  static Stream<Path> badSpecs() throws IOException {
    return Files.list(CORPUS).filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
  }

  @Test
  void corpusHasAtLeastFiftySpecsOfBothKinds() throws IOException {
    assertThat(badSpecs().count()).isGreaterThanOrEqualTo(50);
    assertThat(badSpecs().map(ValidationIT::kindOf)).contains("SlurmCluster", "NodeSet", "SlurmNodePool");
  }

  static String kindOf(Path file) {
    try {
      return Files.readAllLines(file).stream().filter(l -> l.startsWith("kind: "))
          .map(l -> l.substring("kind: ".length()).trim()).findFirst().orElseThrow();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSpecs")
  void badSpecIsRejectedWithItsMessage(Path file) throws IOException {
    String yaml = Files.readString(file);
    String expected = yaml.lines().findFirst().orElseThrow().replaceFirst("^# expect: ", "");
    GenericKubernetesResource resource = api.client().genericKubernetesResources(SlurmCluster.GROUP + "/" + SlurmCluster.VERSION, kindOf(file))
        .load(new java.io.ByteArrayInputStream(yaml.getBytes())).item();

    // SlurmNodePools are cluster-scoped.
    var op = "SlurmNodePool".equals(kindOf(file)) ? api.client().resource(resource) : api.client().resource(resource).inNamespace("default");
    assertThatThrownBy(op::create)
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(expected);
  }

  /** Every SlurmCluster in examples/ and in the e2e resources, as a user would apply it (dry run). */
  static Stream<Path> goodSpecs() throws IOException {
    return Stream.of(Path.of("../examples"), Path.of("../e2e/src/test/resources"))
        .flatMap(dir -> {
          try {
            return Files.list(dir).filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  @Test
  void goodSpecsAreFound() throws IOException {
    assertThat(goodSpecs().map(p -> p.getFileName().toString()))
        .contains("slurmcluster.yaml", "slurmcluster-fleet.yaml", "slurmcluster-mpi.yaml", "soak-cluster.yaml");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goodSpecs")
  void everyShippedClusterIsAccepted(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      var items = api.client().load(in).items();
      var clusters = items.stream().filter(o -> "SlurmCluster".equals(o.getKind())).toList();
      assertThat(clusters).as("SlurmClusters in " + file).isNotEmpty();
      for (var cluster : clusters) {
        var accepted = api.client().resource(cluster).inNamespace("default").dryRun().create();
        assertThat(accepted.getMetadata().getName()).isEqualTo(cluster.getMetadata().getName());
      }
      // The pools an administrator would apply with it.
      for (var pool : items.stream().filter(o -> "SlurmNodePool".equals(o.getKind())).toList()) {
        var accepted = api.client().resource(pool).dryRun().create();
        assertThat(accepted.getMetadata().getName()).isEqualTo(pool.getMetadata().getName());
      }
    }
  }

  @Test
  void aClusterAndItsNodeSetAtTheNameLimitsAreAccepted() throws IOException {
    // The longest names admission allows: 41 characters of cluster, 57 of cluster plus node set.
    String clusterName = "c" + "a".repeat(Names.MAX_CLUSTER_NAME - 1);
    String nodeSetName = "n" + "b".repeat(Names.MAX_CLUSTER_PLUS_NODESET - Names.MAX_CLUSTER_NAME - 1);
    SlurmCluster cluster;
    try (var in = Files.newInputStream(Path.of("../examples/slurmcluster.yaml"))) {
      cluster = api.client().resources(SlurmCluster.class).load(in).item();
    }
    cluster.getMetadata().setName(clusterName);
    cluster.getMetadata().setNamespace("default");
    cluster.getSpec().nodeSets.get(0).name = nodeSetName;
    cluster.getSpec().partitions.forEach(p -> p.nodeSets = java.util.List.of(nodeSetName));
    SlurmCluster created = api.client().resource(cluster).create();
    // The NodeSet as the operator makes it for that entry.
    NodeSet nodeSet = io.slurmkube.model.NodeSetBuilder.build(new io.slurmkube.model.ClusterModel(created), created.getSpec().nodeSets.get(0), true);
    NodeSet made = api.client().resource(nodeSet).create();
    assertThat(made.getMetadata().getName()).hasSize(Names.MAX_CLUSTER_PLUS_NODESET + 1);
    api.client().resource(made).delete();
    api.client().resource(created).delete();
  }

  @Test
  void theExampleClusterIsAccepted() throws IOException {
    try (var in = Files.newInputStream(Path.of("../examples/slurmcluster.yaml"))) {
      SlurmCluster cluster = api.client().resources(SlurmCluster.class).load(in).item();
      SlurmCluster created = api.client().resource(cluster).inNamespace("default").create();
      assertThat(created.getSpec().nodeSets).extracting(n -> n.name).containsExactly("cpu");
      api.client().resource(created).delete();
    }
  }

  @Test
  void theRealWorkExampleWithStorageAndTemplatesIsAccepted() throws IOException {
    try (var in = Files.newInputStream(Path.of("../examples/slurmcluster-mpi.yaml"))) {
      // The file also holds the dataset's PersistentVolumeClaim; only the SlurmCluster is checked here.
      var serialization = api.client().getKubernetesSerialization();
      SlurmCluster cluster = api.client().load(in).items().stream()
          .filter(o -> "SlurmCluster".equals(o.getKind()))
          .map(o -> serialization.convertValue(o, SlurmCluster.class)).findFirst().orElseThrow();
      SlurmCluster created = api.client().resource(cluster).inNamespace("default").create();
      var mpi = created.getSpec().nodeSets.get(0);
      assertThat(mpi.template.spec.image).isEqualTo("slurmkube.local/slurmd-mpi:26.05");
      assertThat(mpi.template.spec.volumeMounts).extracting(m -> m.mountPath).containsExactly("/scratch");
      assertThat(created.getSpec().sharedVolumes).extracting(v -> v.getPersistentVolumeClaim().getClaimName()).containsExactly("datasets");
      api.client().resource(created).delete();
    }
  }
}
