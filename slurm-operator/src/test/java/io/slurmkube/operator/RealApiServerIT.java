package io.slurmkube.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.testing.Conflicts;
import io.slurmkube.testing.RealApiServer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's tests rely on a real API server: server-side apply (which the fabric8 mock does
 * not implement) and the DRA resource.k8s.io/v1 API that GPU node sets use.
 */
class RealApiServerIT {

  @RegisterExtension static RealApiServer api = new RealApiServer();

  @Test
  void servesThePinnedKubernetesVersion() {
    assertThat(api.client().getKubernetesVersion().getGitVersion())
        .isEqualTo("v" + RealApiServer.kubernetesVersion());
  }

  @Test
  void servesTheDraV1Api() {
    var names = api.client().getApiResources("resource.k8s.io/v1").getResources().stream()
        .map(APIResource::getName)
        .toList();
    assertThat(names).contains("deviceclasses", "resourceclaims", "resourceclaimtemplates", "resourceslices");
  }

  @Test
  void serverSideApplyMergesFieldsOfTwoManagers() {
    var client = api.client();
    client.resource(new NamespaceBuilder().withNewMetadata().withName("ssa").endMetadata().build())
        .serverSideApply();
    ConfigMap first = new ConfigMapBuilder()
        .withNewMetadata().withName("conf").withNamespace("ssa").endMetadata()
        .withData(Map.of("slurm.conf", "ClusterName=a"))
        .build();
    client.resource(first).fieldManager("operator").serverSideApply();
    ConfigMap second = new ConfigMapBuilder()
        .withNewMetadata().withName("conf").withNamespace("ssa").endMetadata()
        .withData(Map.of("extra", "x"))
        .build();
    client.resource(second).fieldManager("someone-else").serverSideApply();

    ConfigMap merged = client.configMaps().inNamespace("ssa").withName("conf").get();
    assertThat(merged.getData()).containsEntry("slurm.conf", "ClusterName=a").containsEntry("extra", "x");
    assertThat(merged.getMetadata().getManagedFields())
        .extracting(f -> f.getManager())
        .contains("operator", "someone-else");
  }

  @Test
  void anEditThatRacesAnotherWriterIsAppliedToTheLatestVersion() {
    var client = api.client();
    client.resource(new NamespaceBuilder().withNewMetadata().withName("race").endMetadata().build())
        .serverSideApply();
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("conf").withNamespace("race").endMetadata()
        .withData(Map.of("a", "1")).build()).create();
    var conf = client.configMaps().inNamespace("race").withName("conf");
    var racer = new ConfigMapBuilder().withNewMetadata().withName("conf").withNamespace("race").endMetadata()
        .withData(Map.of("racer", "was here")).build();

    // A plain edit loses to a write that lands between its read and its patch.
    assertThatThrownBy(() -> conf.edit(c -> {
      client.resource(racer).fieldManager("racer").serverSideApply();
      c.getData().put("b", "2");
      return c;
    })).isInstanceOf(KubernetesClientException.class).extracting(e -> ((KubernetesClientException) e).getCode())
        .isEqualTo(409);

    var calls = new AtomicInteger();
    Conflicts.edit(conf, c -> {
      if (calls.incrementAndGet() == 1) {
        client.resource(new ConfigMapBuilder(racer).withData(Map.of("racer", "again")).build())
            .fieldManager("racer").serverSideApply();
      }
      c.getData().put("b", "2");
      return c;
    });
    assertThat(calls).hasValue(2);
    assertThat(conf.get().getData()).containsEntry("a", "1").containsEntry("b", "2").containsEntry("racer", "again");
  }
}
