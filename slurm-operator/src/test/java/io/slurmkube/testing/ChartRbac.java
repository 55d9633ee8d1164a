package io.slurmkube.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;

/**
 * The chart's RBAC, rendered by Helm and applied to a test's real API server, and a client that
 * acts as the chart's ServiceAccount (impersonation): an operator given this client can do exactly
 * what an installed operator may, and its {@link RequestLog} tells what it did and what was refused.
 */
public final class ChartRbac {
  public static final String RELEASE = "slurmkube";
  public static final String NAMESPACE = "slurmkube-system";
  public static final String SERVICE_ACCOUNT = "slurmkube-operator";
  static final List<String> RBAC_KINDS = List.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");

  private ChartRbac() {}

  /** Applies the ServiceAccount and RBAC objects of `helm template` with these --set values (namespaces created as needed). */
  @SuppressWarnings("unchecked")
  public static void install(KubernetesClient admin, String... sets) throws Exception {
    for (Map<String, Object> object : Helm.render(RELEASE, NAMESPACE, sets)) {
      if (!RBAC_KINDS.contains(object.get("kind"))) {
        continue;
      }
      String namespace = (String) ((Map<String, Object>) object.get("metadata")).get("namespace");
      if (namespace != null) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
            .serverSideApply();
      }
      admin.resource(Serialization.asYaml(object)).forceConflicts().serverSideApply();
    }
  }

  /** A client for kubeconfig that acts as the chart's ServiceAccount, its requests logged. */
  public static KubernetesClient operatorClient(String kubeconfig, RequestLog log) {
    Config config = new ConfigBuilder(Config.fromKubeconfig(kubeconfig))
        .withImpersonateUsername("system:serviceaccount:" + NAMESPACE + ":" + SERVICE_ACCOUNT)
        .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + NAMESPACE, "system:authenticated")
        .build();
    return new KubernetesClientBuilder().withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("request-log", log))
        .build();
  }
}
