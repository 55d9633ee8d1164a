package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.slurmkube.api.HomeSpec;
import io.slurmkube.api.SharedVolume;
import io.slurmkube.model.Labels.Component;
import java.util.List;
import java.util.Locale;

/**
 * The file systems every login and slurmd pod mounts at the same path: the embedded /home claim
 * and the user's spec.sharedVolumes. A job's working directory, script and output live there, so
 * they are where the user submitted from and outlive the node pod that ran the job.
 */
public final class SharedStorage {
  public static final String HOME_PATH = "/home";
  public static final String HOME_VOLUME = "slurmkube-home";
  public static final String READ_WRITE_MANY = "ReadWriteMany";
  public static final String READ_WRITE_ONCE = "ReadWriteOnce";

  /**
   * Provisioners (by a part of their name) of file systems that many Kubernetes nodes can mount at
   * once. Block and node-local provisioners (host-path, local-path, EBS, PD, ...) cannot.
   */
  private static final List<String> SHARED_FILE_SYSTEMS = List.of(
      "nfs", "cephfs", "efs.csi", "filestore", "file.csi.azure", "azurefile", "lustre", "gluster", "juicefs",
      "weka", "beegfs", "gpfs", "spectrumscale", "smb.csi", "vast", "dell.isilon");

  private SharedStorage() {}

  /** True when the operator creates the home claim: enabled and nothing else mounted at /home. */
  public static boolean embeddedHome(ClusterModel model) {
    HomeSpec home = model.spec().home;
    boolean enabled = home == null || home.enabled;
    return enabled && model.spec().sharedVolumes.stream().noneMatch(v -> isHome(v.mountPath));
  }

  private static boolean isHome(String path) {
    return HOME_PATH.equals(path) || (HOME_PATH + "/").equals(path);
  }

  /** The access mode to ask for: the user's, or ReadWriteMany for a known shared file system. */
  public static String accessMode(HomeSpec home, String provisioner) {
    if (home != null && home.accessMode != null) {
      return home.accessMode;
    }
    String p = provisioner == null ? "" : provisioner.toLowerCase(Locale.ROOT);
    return SHARED_FILE_SYSTEMS.stream().anyMatch(p::contains) ? READ_WRITE_MANY : READ_WRITE_ONCE;
  }

  /**
   * The home claim. With retainPolicy Retain it has no owner, so deleting the SlurmCluster leaves
   * it (and the users' files) in place, and a cluster of the same name mounts it again.
   */
  public static PersistentVolumeClaim homeClaim(ClusterModel model, String accessMode) {
    HomeSpec home = model.spec().home == null ? new HomeSpec() : model.spec().home;
    ObjectMeta meta = home.retainPolicy == HomeSpec.RetainPolicy.Delete
        ? Owned.meta(model.cluster(), model.names().home(), Labels.of(model.name(), Component.HOME))
        : new ObjectMetaBuilder().withName(model.names().home()).withNamespace(model.namespace())
            .withLabels(Labels.of(model.name(), Component.HOME)).build();
    return new PersistentVolumeClaimBuilder()
        .withMetadata(meta)
        .withNewSpec()
          .withAccessModes(accessMode)
          .withStorageClassName(blank(home.storageClassName) ? null : home.storageClassName)
          .withNewResources().addToRequests("storage", new Quantity(home.size)).endResources()
        .endSpec()
        .build();
  }

  /** Adds the shared volumes to a pod and mounts them in its Slurm container. */
  static void mount(ClusterModel model, PodSpec pod, Container container) {
    if (embeddedHome(model)) {
      pod.getVolumes().add(new VolumeBuilder().withName(HOME_VOLUME)
          .withNewPersistentVolumeClaim().withClaimName(model.names().home()).endPersistentVolumeClaim().build());
      container.getVolumeMounts().add(new VolumeMountBuilder().withName(HOME_VOLUME).withMountPath(HOME_PATH).build());
    }
    for (SharedVolume shared : model.spec().sharedVolumes) {
      pod.getVolumes().add(asVolume(shared));
      container.getVolumeMounts().add(new VolumeMountBuilder().withName(shared.getName()).withMountPath(shared.mountPath)
          .withReadOnly(shared.readOnly).withSubPath(shared.subPath).build());
    }
  }

  /** The plain Kubernetes volume of a shared volume entry (without its mount fields). */
  static Volume asVolume(SharedVolume shared) {
    Volume copy = Serialization.unmarshal(Serialization.asJson(shared), Volume.class);
    copy.getAdditionalProperties().remove("mountPath");
    copy.getAdditionalProperties().remove("readOnly");
    copy.getAdditionalProperties().remove("subPath");
    return copy;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
