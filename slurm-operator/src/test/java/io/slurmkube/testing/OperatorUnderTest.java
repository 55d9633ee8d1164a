package io.slurmkube.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.slurmkube.SlurmkubeOperator;
import java.util.Set;

/**
 * The whole operator, as main starts it, against a test's real API server, with a real
 * kube-controller-manager running the named controllers (e.g. garbagecollector, disruption).
 */
public final class OperatorUnderTest implements AutoCloseable {
  private final KubernetesClient client;
  private final SlurmkubeOperator operator;
  private final ControllerManager controllerManager;

  private OperatorUnderTest(KubernetesClient client, SlurmkubeOperator operator, ControllerManager controllerManager) {
    this.client = client;
    this.operator = operator;
    this.controllerManager = controllerManager;
  }

  public static OperatorUnderTest start(RealApiServer api, String leaseNamespace, String controllers) throws Exception {
    KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml())).build();
    ControllerManager controllerManager = ControllerManager.start(api.kubeConfigYaml(), controllers);
    var operator = new SlurmkubeOperator(client, Set.of(), false, leaseNamespace);
    operator.start();
    return new OperatorUnderTest(client, operator, controllerManager);
  }

  @Override
  public void close() throws Exception {
    operator.stop();
    controllerManager.close();
    client.close();
  }
}
