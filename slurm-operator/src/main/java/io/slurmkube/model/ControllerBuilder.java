package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
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
  /**
   * slurmctld's run directory, shared with the queue reader: slurmctld creates its sack socket
   * (auth/slurm for local clients) there, through which squeue in the reader's container
   * authenticates as the slurm user without the cluster's key.
   */
  static final String RUN_VOLUME = "run";
  static final String RUN_DIR = "/run/slurmctld";
  public static final String QUEUE_READER = "queue-reader";
  public static final int QUEUE_READER_PORT = 6821;
  /** The slurm user and group of the project's images (slurmctld-image/Dockerfile). */
  static final long SLURM_UID = 64030;

  private ControllerBuilder() {}

  public static Service service(ClusterModel model) {
    // slurmd pods must reach a controller that is starting, to register as soon as it listens.
    Service service = PodParts.headlessService(model, model.names().controller(), Component.CONTROLLER, "slurmctld",
        SlurmConfig.SLURMCTLD_PORT, true);
    service.getSpec().getPorts().add(new ServicePortBuilder().withName(QUEUE_READER).withPort(QUEUE_READER_PORT).build());
    return service;
  }

  /**
   * The queue reader (slurmctld-image/queue-reader): squeue polled next to slurmctld and served as
   * compact JSON, the operator's queue read (slurmrestd's listing costs seconds and gigabytes at
   * 10,000 jobs). Same image, so squeue always matches the cluster's Slurm; the slurm user, no
   * key, a small memory limit.
   */
  static Container queueReader(ClusterModel model, VolumeMount run) {
    var spec = model.spec();
    return new ContainerBuilder()
        .withName(QUEUE_READER)
        .withImage(spec.image)
        .withImagePullPolicy(spec.imagePullPolicy)
        .withArgs(QUEUE_READER)
        .addNewPort().withName(QUEUE_READER).withContainerPort(QUEUE_READER_PORT).endPort()
        // Restarted only when squeue has failed for minutes (its /healthz), not when slurmctld is slow.
        .withNewLivenessProbe()
          .withNewHttpGet().withPath("/healthz").withNewPort(QUEUE_READER_PORT).endHttpGet()
          .withInitialDelaySeconds(60)
          .withPeriodSeconds(30)
          .withTimeoutSeconds(5)
          .withFailureThreshold(6)
        .endLivenessProbe()
        .withNewResources()
          .addToRequests("cpu", new Quantity("20m"))
          .addToRequests("memory", new Quantity("128Mi"))
          .addToLimits("memory", new Quantity("256Mi"))
        .endResources()
        .withSecurityContext(new io.fabric8.kubernetes.api.model.SecurityContextBuilder(
            PodSecurity.container(PodSecurity.Daemon.QUEUE_READER)).withReadOnlyRootFilesystem(true).build())
        .withVolumeMounts(PodParts.configMount(), run)
        .build();
  }


  /**
   * slurmctld's memory limit grows with the jobs it may hold: about 35 KB a job was measured at
   * 10,000 (344 MB, docs/FACTS.md); 40 KiB a job on top of 512 MiB leaves room (4.4 GiB at the
   * default 100,000).
   */
  static long memoryLimitMiB(ClusterModel model) {
    return 512 + SlurmConfig.maxJobCount(model.spec()) / 25;
  }

  public static StatefulSet statefulSet(ClusterModel model) {
    var statefulSet = bareStatefulSet(model);
    // slurmctld resolves a job's uid and groups when it starts the job.
    var pod = statefulSet.getSpec().getTemplate().getSpec();
    UserDirectory.mount(model, pod, pod.getContainers().get(0));
    return statefulSet;
  }

  private static StatefulSet bareStatefulSet(ClusterModel model) {
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
    var run = new VolumeMountBuilder().withName(RUN_VOLUME).withMountPath(RUN_DIR).build();
    return new StatefulSetBuilder()
        .withMetadata(Owned.meta(model.cluster(), model.names().controller(), labels))
        .withNewSpec()
          .withReplicas(1)
          .withServiceName(model.names().controller())
          .withNewSelector().withMatchLabels(Labels.selector(model.name(), Component.CONTROLLER)).endSelector()
          .withNewTemplate()
            .withNewMetadata()
              .withLabels(labels)
              // kubectl exec/logs without -c mean slurmctld, not the queue reader.
              .withAnnotations(Map.of(ClusterModel.CONFIG_HASH, model.controllerConfigHash(),
                  "kubectl.kubernetes.io/default-container", "slurmctld"))
            .endMetadata()
            .withNewSpec()
              .withDnsConfig(PodParts.slurmDns(model))
              .withEnableServiceLinks(false)
              .withAutomountServiceAccountToken(false)
              .withSecurityContext(PodSecurity.pod())
              .addNewContainer()
                .withName("slurmctld")
                .withImage(spec.image)
                .withImagePullPolicy(spec.imagePullPolicy)
                .withArgs("slurmctld")
                .withEnv(PodParts.env("SLURMKUBE_KEY_SETTLE_SECONDS", String.valueOf(model.keySettleSeconds())))
                .addNewPort().withName("slurmctld").withContainerPort(SlurmConfig.SLURMCTLD_PORT).endPort()
                // Ready when slurmctld answers and has its placeholders; a bare TCP probe would be
                // logged by it as a failed message.
                .withNewReadinessProbe()
                  .withNewExec().withCommand("/bin/sh", "-c", "test -e " + PLACEHOLDERS_APPLIED + " && scontrol ping").endExec()
                  .withPeriodSeconds(3)
                  .withTimeoutSeconds(5)
                .endReadinessProbe()
                .withResources(PodParts.resources("100m", "256Mi", memoryLimitMiB(model) + "Mi"))
                .withSecurityContext(PodSecurity.container(PodSecurity.Daemon.SLURMCTLD))
                .withVolumeMounts(PodParts.configMount(), PodParts.secretsMount())
                .addNewVolumeMount().withName(STATE_VOLUME).withMountPath("/var/spool/slurmctld").endVolumeMount()
                .addToVolumeMounts(run)
              .endContainer()
              .addToContainers(queueReader(model, run))
              .withVolumes(PodParts.configVolume(model), PodParts.secretsVolume(model, true, false),
                  new VolumeBuilder().withName(RUN_VOLUME).withNewEmptyDir().withMedium("Memory").withSizeLimit(new Quantity("16Mi")).endEmptyDir().build())
            .endSpec()
          .endTemplate()
          .withVolumeClaimTemplates(claim)
        .endSpec()
        .build();
  }
}
