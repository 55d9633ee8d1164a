package io.slurmkube.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.slurmkube.testing.RealApiServer;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The request counter on a client talking to a real kube-apiserver, as a scrape shows it. */
class KubernetesRequestsIT {
  @RegisterExtension static RealApiServer api = new RealApiServer();

  @Test
  void countsEachRequestByVerbResourceAndCodeFromBeforeTheRegistryExists() {
    var requests = new KubernetesRequests();
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml()))
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("request-count", requests)).build()) {
      // Before binding: the operator's client is made before its registry.
      client.configMaps().inNamespace("default").resource(new ConfigMapBuilder()
          .withNewMetadata().withName("counted").endMetadata().addToData("a", "1").build()).create();
      requests.bindTo(registry);
      client.configMaps().inNamespace("default").withName("counted").get();
      client.configMaps().inNamespace("default").withName("counted").get();
      assertThat(client.configMaps().inNamespace("default").withName("absent").get()).isNull();
      client.pods().inAnyNamespace().list();
    }

    assertThat(count(registry, "create", "/configmaps", "201")).isEqualTo(1);
    assertThat(count(registry, "get", "/configmaps", "200")).isEqualTo(2);
    assertThat(count(registry, "get", "/configmaps", "404")).isEqualTo(1);
    assertThat(count(registry, "list", "/pods", "200")).isEqualTo(1);
    assertThat(registry.scrape())
        .contains("slurmkube_kubernetes_requests_total{code=\"200\",resource=\"/configmaps\",verb=\"get\"} 2.0");
  }

  @Test
  void namesRequestsAsRbacDoes() {
    assertThat(KubernetesRequests.access("GET", URI.create("https://k/apis/slurmkube.io/v1alpha1/namespaces/n/nodesets?watch=true")))
        .hasToString("watch slurmkube.io/nodesets ns=n");
    assertThat(KubernetesRequests.access("PATCH", URI.create("https://k/apis/slurmkube.io/v1alpha1/namespaces/n/nodesets/a/status")))
        .hasToString("patch slurmkube.io/nodesets/status ns=n");
    assertThat(KubernetesRequests.access("POST", URI.create("https://k/api/v1/namespaces/n/pods/p/eviction")))
        .hasToString("create /pods/eviction ns=n");
    assertThat(KubernetesRequests.access("GET", URI.create("https://k/api/v1/namespaces/n")))
        .hasToString("get /namespaces");
    assertThat(KubernetesRequests.access("DELETE", URI.create("https://k/api/v1/namespaces/n/pods")))
        .hasToString("deletecollection /pods ns=n");
  }

  private static double count(PrometheusMeterRegistry registry, String verb, String resource, String code) {
    FunctionCounter counter = registry.find("slurmkube.kubernetes.requests")
        .tags("verb", verb, "resource", resource, "code", code).functionCounter();
    return counter == null ? 0 : counter.count();
  }
}
