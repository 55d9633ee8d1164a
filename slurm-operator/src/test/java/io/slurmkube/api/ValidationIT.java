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

/** Bad SlurmCluster specs are refused at admission, with a message that names the field and the fix. */
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
  void corpusHasAtLeastTwentySpecs() throws IOException {
    assertThat(badSpecs().count()).isGreaterThanOrEqualTo(20);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSpecs")
  void badSpecIsRejectedWithItsMessage(Path file) throws IOException {
    String yaml = Files.readString(file);
    String expected = yaml.lines().findFirst().orElseThrow().replaceFirst("^# expect: ", "");
    GenericKubernetesResource resource = api.client().genericKubernetesResources(SlurmCluster.GROUP + "/" + SlurmCluster.VERSION, "SlurmCluster")
        .load(new java.io.ByteArrayInputStream(yaml.getBytes())).item();

    assertThatThrownBy(() -> api.client().resource(resource).inNamespace("default").create())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(expected);
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
      assertThat(mpi.template.spec.image).isEqualTo("slurmkube.local/slurmd-mpi:24.11");
      assertThat(mpi.template.spec.volumeMounts).extracting(m -> m.mountPath).containsExactly("/scratch");
      assertThat(created.getSpec().sharedVolumes).extracting(v -> v.getPersistentVolumeClaim().getClaimName()).containsExactly("datasets");
      api.client().resource(created).delete();
    }
  }
}
