package io.slurmkube.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.slurmkube.SlurmkubeOperator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the API-server benchmarks share: a real kube-apiserver with the CRDs and one namespace, and
 * the whole operator on it with a stand-in Slurm per cluster, every request it makes counted.
 * {@code admin} is the benchmark's own client, not counted.
 */
public final class BenchOperator implements AutoCloseable {
  public static final String NAMESPACE = "bench";

  private final RealApiServer api = new RealApiServer();
  public final KubernetesClient admin;
  public final RequestLog requests = new RequestLog();
  private final KubernetesClient client;
  private SlurmkubeOperator operator;

  public BenchOperator(Map<String, StandInSlurm> slurm) throws IOException {
    api.beforeAll(null);
    admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml())).build();
    Crds.install(admin);
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml()))
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("request-log", requests)).build();
    operator = new SlurmkubeOperator(client, new SlurmkubeOperator.Settings(Set.of(), false, NAMESPACE, NAMESPACE, false),
        StandInSlurm.connections(client, slurm));
    operator.start();
  }

  /** Requests made between two counts, by verb and resource (namespaces left out). */
  public static Map<String, Long> between(Map<String, Long> from, Map<String, Long> to) {
    Map<String, Long> made = new TreeMap<>();
    to.forEach((k, v) -> {
      long n = v - from.getOrDefault(k, 0L);
      if (n > 0) {
        made.merge(k.replaceAll(" ns=\\S+", ""), n, Long::sum);
      }
    });
    return made;
  }

  /** Writes a benchmark's report to its file and to the console. */
  public static void write(Path out, CharSequence report) throws IOException {
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.print(report);
  }

  /** Stops the operator (before its client closes, as in a real shutdown), then the API server. */
  @Override
  public void close() {
    try {
      if (operator != null) {
        operator.stop();
        operator = null;
      }
      client.close();
      admin.close();
    } finally {
      api.afterAll(null);
    }
  }
}
