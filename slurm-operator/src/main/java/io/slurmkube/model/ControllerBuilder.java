package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.slurmkube.model.Labels.Component;
import java.util.Map;

/**
 * slurmctld: a StatefulSet of one, so its pod has a stable DNS name (SlurmctldHost) and its
 * StateSaveLocation survives restarts on a PersistentVolumeClaim.
 */
public final class ControllerBuilder {
  static final String STATE_VOLUME = "state";
  /**
   * Touched by the entrypoint once the FUTURE placeholders are applied: before that, a job for a
   * node set with no running node would be refused ("Requested node configuration is not available").
   */
  static final String PLACEHOLDERS_APPLIED = "/run/slurmctld/placeholders-applied";

  private ControllerBuilder() {}

  public static Service service(ClusterModel model) {
    // slurmd pods must reach a controller that is starting, to register as soon as it listens.
    return PodParts.headlessService(model, model.names().controller(), Component.CONTROLLER, "slurmctld",
        SlurmConfig.SLURMCTLD_PORT, true);
  }


  public static StatefulSet statefulSet(ClusterModel model) {
    var spec = model.spec();
    var labels = Labels.of(model.name(), Component.CONTROLLER);
    var claim = new PersistentVolumeClaimBuilder()
        .withNewMetadata().withName(STATE_VOLUME).withLabels(labels).endMetadata()
        .withNewSpec()
          .withAccessModes("ReadWriteOnce")
          .withStorageClassName(spec.controller.storageClassName)
          .withNewResources().addToRequests("storage", new Quantity(spec.controller.storageSize)).endResources()
        .endSpec()
        .build();
    return new StatefulSetBuilder()
        .withMetadata(Owned.meta(model.cluster(), model.names().controller(), labels))
        .withNewSpec()
          .withReplicas(1)
          .withServiceName(model.names().controller())
          .withNewSelector().withMatchLabels(Labels.selector(model.name(), Component.CONTROLLER)).endSelector()
          .withNewTemplate()
            .withNewMetadata()
              .withLabels(labels)
              .withAnnotations(Map.of(ClusterModel.CONFIG_HASH, model.controllerConfigHash()))
            .endMetadata()
            .withNewSpec()
              .withDnsConfig(PodParts.slurmDns(model))
              .withEnableServiceLinks(false)
              .addNewContainer()
                .withName("slurmctld")
                .withImage(spec.image)
                .withImagePullPolicy(spec.imagePullPolicy)
                .withArgs("slurmctld")
                .addNewPort().withName("slurmctld").withContainerPort(SlurmConfig.SLURMCTLD_PORT).endPort()
                // Ready when slurmctld answers and has its placeholders; a bare TCP probe would be
                // logged by it as a failed message.
                .withNewReadinessProbe()
                  .withNewExec().withCommand("/bin/sh", "-c", "test -e " + PLACEHOLDERS_APPLIED + " && scontrol ping").endExec()
                  .withPeriodSeconds(3)
                  .withTimeoutSeconds(5)
                .endReadinessProbe()
                .withResources(PodParts.requests("100m", "256Mi"))
                .withVolumeMounts(PodParts.configMount(), PodParts.secretsMount())
                .addNewVolumeMount().withName(STATE_VOLUME).withMountPath("/var/spool/slurmctld").endVolumeMount()
              .endContainer()
              .withVolumes(PodParts.configVolume(model), PodParts.secretsVolume(model, true, false))
            .endSpec()
          .endTemplate()
          .withVolumeClaimTemplates(claim)
        .endSpec()
        .build();
  }
}
