package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.slurmkube.model.Labels.Component;

/** Login pods: client tools and sackd (configless), and sshd when keys are given. */
public final class LoginBuilder {
  /** Where sackd listens, and where it keeps the configuration it fetched from slurmctld (configless). */
  static final String SACK_SOCKET = "/run/slurm/sack.socket";
  static final String FETCHED_CONF = "/run/slurm/conf/slurm.conf";
  static final String HOST_KEYS_VOLUME = "ssh-host-keys";
  /** Where the entrypoint finds the host keys it installs into /etc/ssh (slurmd-image/README.md). */
  public static final String HOST_KEYS_MOUNT = "/etc/slurmkube/ssh-host-keys";

  private LoginBuilder() {}

  public static Service service(ClusterModel model) {
    return PodParts.service(model, model.names().login(), Component.LOGIN, "ssh", 22);
  }


  public static Deployment deployment(ClusterModel model) {
    var spec = model.spec();
    var labels = Labels.of(model.name(), Component.LOGIN);
    String keys = String.join("\n", spec.login.sshAuthorizedKeys);
    Deployment deployment = new DeploymentBuilder()
        .withMetadata(Owned.meta(model.cluster(), model.names().login(), labels))
        .withNewSpec()
          .withReplicas(spec.login.replicas)
          .withNewSelector().withMatchLabels(Labels.selector(model.name(), Component.LOGIN)).endSelector()
          .withNewTemplate()
            .withNewMetadata().withLabels(labels).withAnnotations(PodParts.withAuthKeySet(model, java.util.Map.of())).endMetadata()
            .withNewSpec()
              .withDnsConfig(PodParts.slurmDns(model))
              .withEnableServiceLinks(false)
              .withAutomountServiceAccountToken(false)
              .withSecurityContext(PodSecurity.pod())
              .addNewContainer()
                .withName("login")
                .withImage(spec.nodeImage)
                .withImagePullPolicy(spec.imagePullPolicy)
                .withArgs("login")
                .withEnv(PodParts.env(
                    "SLURM_CONF_SERVER", model.names().controllerAddress(),
                    "SSH_AUTHORIZED_KEYS", keys,
                    "SSH_ALLOW_ROOT_LOGIN", Boolean.toString(spec.login.allowRootLogin)))
                .addNewPort().withName("ssh").withContainerPort(22).endPort()
                // Ready once sackd listens and holds the configuration it fetched: before that an
                // sbatch here fails ("failed to connect to any sack sockets").
                .withNewReadinessProbe()
                  .withNewExec().withCommand("sh", "-c", "test -S " + SACK_SOCKET + " && test -f " + FETCHED_CONF).endExec()
                  .withPeriodSeconds(2).withFailureThreshold(3)
                .endReadinessProbe()
                // Users' shells, editors and compilers run here too.
                .withResources(PodParts.resources("50m", "64Mi", "2Gi"))
                .withSecurityContext(PodSecurity.container(PodSecurity.Daemon.LOGIN))
                .withVolumeMounts(PodParts.secretsMount(),
                    new VolumeMountBuilder().withName(HOST_KEYS_VOLUME).withMountPath(HOST_KEYS_MOUNT).withReadOnly(true).build())
              .endContainer()
              .withVolumes(PodParts.secretsVolume(model, false, false), hostKeysVolume(model))
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
    var pod = deployment.getSpec().getTemplate();
    var login = pod.getSpec().getContainers().get(0);
    SharedStorage.mount(model, pod.getSpec(), login);
    UserDirectory.mount(model, pod.getSpec(), login);
    PodTemplates.apply(spec.login.template, pod.getMetadata(), pod.getSpec(), login);
    return deployment;
  }

  /** One set of host keys for every replica and restart, so clients never see "host key changed". */
  private static Volume hostKeysVolume(ClusterModel model) {
    return new VolumeBuilder().withName(HOST_KEYS_VOLUME)
        .withNewSecret().withSecretName(model.sshHostKeysSecretName()).withDefaultMode(0400).endSecret()
        .build();
  }

  /** What would stop the login pods from starting, each naming the field and the fix. */
  public static java.util.List<String> problems(ClusterModel model) {
    var pod = deployment(model).getSpec().getTemplate().getSpec();
    return PodTemplates.problems(model.spec().login.template, pod, "spec.login.template.spec");
  }
}
