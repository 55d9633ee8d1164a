package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.slurmkube.model.Labels.Component;

/** slurmrestd, through which the operator reads the queue and manages nodes. Never root. */
public final class RestApiBuilder {
  public static final int PORT = 6820;

  private RestApiBuilder() {}

  public static Service service(ClusterModel model) {
    return PodParts.service(model, model.names().restApi(), Component.REST_API, "http", PORT);
  }


  /** Without slurmdbd, slurmrestd must not load its accounting endpoints: it exits if it tries. */
  static String[] args(ClusterModel model) {
    return model.runsSlurmdbd()
        ? new String[] {"slurmrestd"}
        : new String[] {"slurmrestd", "-s", "openapi/slurmctld"};
  }

  public static Deployment deployment(ClusterModel model) {
    var spec = model.spec();
    var labels = Labels.of(model.name(), Component.REST_API);
    return new DeploymentBuilder()
        .withMetadata(Owned.meta(model.cluster(), model.names().restApi(), labels))
        .withNewSpec()
          .withReplicas(1)
          .withNewSelector().withMatchLabels(Labels.selector(model.name(), Component.REST_API)).endSelector()
          .withNewTemplate()
            .withNewMetadata().withLabels(labels).endMetadata()
            .withNewSpec()
              .withDnsConfig(PodParts.slurmDns(model))
              .withEnableServiceLinks(false)
              .withAutomountServiceAccountToken(false)
              .withSecurityContext(PodSecurity.pod())
              .addNewContainer()
                .withName("slurmrestd")
                .withImage(spec.image)
                .withImagePullPolicy(spec.imagePullPolicy)
                .withArgs(args(model))
                .addNewPort().withName("http").withContainerPort(PORT).endPort()
                .withNewReadinessProbe()
                  .withNewTcpSocket().withPort(new IntOrString(PORT)).endTcpSocket()
                  .withPeriodSeconds(2)
                .endReadinessProbe()
                // A listing of 10,000 jobs peaks at about 1.3 GB (docs/FACTS.md); the operator lists
                // through slurmrestd only while the queue reader does not answer.
                .withResources(PodParts.resources("50m", "128Mi", "2Gi"))
                // Started as its own user: reads slurm.conf where mounted, no key, no capability.
                .withSecurityContext(PodSecurity.container(PodSecurity.Daemon.SLURMRESTD))
                // No key: each request carries a user's token, which slurmctld checks.
                .withVolumeMounts(PodParts.configMount())
              .endContainer()
              .withVolumes(PodParts.configVolume(model))
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
  }
}
