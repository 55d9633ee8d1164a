package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.slurmkube.model.Labels.Component;
import java.util.Map;

/** slurmdbd: stateless (its state is the database), so a Deployment of one behind a headless Service. */
public final class AccountingBuilder {
  private AccountingBuilder() {}

  public static Service service(ClusterModel model) {
    // Headless: slurmctld must reach slurmdbd without a Service address in between. slurmdbd
    // registers the cluster at the address the connection came from and pushes every association
    // and QOS change there; through a Service that address may be a masquerading node's (it is
    // here), and the changes never arrive (jobs of new users are refused as "Invalid account").
    return PodParts.headlessService(model, model.names().accounting(), Component.ACCOUNTING, "slurmdbd",
        SlurmConfig.SLURMDBD_PORT, false);
  }


  public static Deployment deployment(ClusterModel model) {
    var spec = model.spec();
    var labels = Labels.of(model.name(), Component.ACCOUNTING);
    return new DeploymentBuilder()
        .withMetadata(Owned.meta(model.cluster(), model.names().accounting(), labels))
        .withNewSpec()
          .withReplicas(1)
          // Two slurmdbd on one database would fight over it: stop the old one first.
          .withNewStrategy().withType("Recreate").endStrategy()
          .withNewSelector().withMatchLabels(Labels.selector(model.name(), Component.ACCOUNTING)).endSelector()
          .withNewTemplate()
            .withNewMetadata()
              .withLabels(labels)
              .withAnnotations(PodParts.withAuthKeySet(model, Map.of(ClusterModel.CONFIG_HASH, model.accountingConfigHash())))
            .endMetadata()
            .withNewSpec()
              .withEnableServiceLinks(false)
              .withAutomountServiceAccountToken(false)
              .withSecurityContext(PodSecurity.pod())
              .addNewContainer()
                .withName("slurmdbd")
                .withImage(spec.image)
                .withImagePullPolicy(spec.imagePullPolicy)
                .withArgs("slurmdbd")
                .addNewPort().withName("slurmdbd").withContainerPort(SlurmConfig.SLURMDBD_PORT).endPort()
                .withNewReadinessProbe()
                  .withNewTcpSocket().withPort(new IntOrString(SlurmConfig.SLURMDBD_PORT)).endTcpSocket()
                  .withPeriodSeconds(2)
                .endReadinessProbe()
                .withResources(PodParts.resources("50m", "128Mi", "512Mi"))
                .withSecurityContext(PodSecurity.container(PodSecurity.Daemon.SLURMDBD))
                .withVolumeMounts(PodParts.configMount(), PodParts.secretsMount())
              .endContainer()
              .withVolumes(PodParts.configVolume(model), PodParts.secretsVolume(model, true, true))
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
  }
}
