package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.slurmkube.SlurmkubeOperator;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.Labels;
import io.slurmkube.testing.Crds;
import io.slurmkube.testing.RealApiServer;
import io.slurmkube.testing.StandInSlurm;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator stopping (an upgrade, a rescheduled pod) while a node set's pass is in flight.
 * JOSDK stops the informers before it waits for running passes, so the pass goes on over an empty
 * pod cache; it must then touch nothing: no node drained, no record deleted, no pod made.
 */
class OperatorStopIT {
  @RegisterExtension static RealApiServer api = new RealApiServer();

  static final String NS = "stop-it";

  @Test
  void aPassInFlightWhileTheOperatorStopsDrainsDeletesAndCreatesNothing() throws Exception {
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(api.kubeConfigYaml())).build()) {
      Crds.install(client);
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
      var slurm = new StandInSlurm();
      for (int i = 0; i < 3; i++) {
        slurm.node("calm-cpu-" + i, 0);
      }
      var operator = new SlurmkubeOperator(client, new SlurmkubeOperator.Settings(Set.of(), false, NS, "stop-it", false),
          StandInSlurm.connections(client, Map.of("calm", slurm)));
      operator.start();
      try (InputStream in = Files.newInputStream(Path.of("../examples/slurmcluster.yaml"))) {
        SlurmCluster cluster = client.resources(SlurmCluster.class).load(in).item();
        cluster.getMetadata().setName("calm");
        cluster.getMetadata().setNamespace(NS);
        cluster.getSpec().nodeSets.get(0).minReplicas = 3;
        client.resource(cluster).create();
      }
      // Three pods, each an idle registered node: a steady node set that passes twice a second.
      await().atMost(Duration.ofSeconds(60)).until(() -> nodePods(client) == 3);
      Thread.sleep(2000);
      assertThat(slurm.drains).isEmpty();

      // Hold the next pass at its node listing, stop the operator meanwhile, then let the pass go on.
      var held = new CountDownLatch(1);
      var release = new CountDownLatch(1);
      slurm.beforeNodeListing = () -> {
        held.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      };
      assertThat(held.await(10, TimeUnit.SECONDS)).as("a pass reached its node listing").isTrue();
      Thread stopper = new Thread(operator::stop, "stopper");
      stopper.start();
      Thread.sleep(2000); // the informers stop; the held pass waits
      release.countDown();
      stopper.join(30_000);

      assertThat(slurm.drains).as("nodes drained by a stopping operator").isEmpty();
      assertThat(slurm.deletedRecords).as("node records deleted by a stopping operator").isEmpty();
      assertThat(nodePods(client)).as("slurmd pods after the stop").isEqualTo(3);
    }
  }

  private static int nodePods(KubernetesClient client) {
    return client.pods().inNamespace(NS).withLabel(Labels.COMPONENT, Labels.Component.NODE).list().getItems().size();
  }
}
