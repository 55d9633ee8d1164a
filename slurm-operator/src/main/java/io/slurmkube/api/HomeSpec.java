package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/**
 * The shared /home the operator creates when nothing else is mounted there: one
 * PersistentVolumeClaim mounted in every login and slurmd pod, where users' scripts, working
 * directories and job output live, so they outlive the node pods.
 */
public class HomeSpec {
  public enum RetainPolicy { Retain, Delete }

  @Default("true")
  @JsonPropertyDescription("Create and mount the shared /home. It is not created either when spec.sharedVolumes mounts something at /home.")
  public boolean enabled = true;

  @Default("10Gi")
  @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
  @JsonPropertyDescription("Requested size of the home volume, e.g. 100Gi.")
  public String size = "10Gi";

  @JsonPropertyDescription("StorageClass of the home volume; empty means the cluster default. For pods on more than one Kubernetes node it must offer ReadWriteMany (NFS, CephFS, a cloud file store).")
  public String storageClassName;

  @Pattern("^(ReadWriteMany|ReadWriteOnce)$")
  @JsonPropertyDescription("Access mode of the claim. When empty: ReadWriteMany if the StorageClass's provisioner is a known shared file system, ReadWriteOnce otherwise (all pods must then share one Kubernetes node).")
  public String accessMode;

  @Default("Retain")
  @JsonPropertyDescription("Retain (default): deleting the SlurmCluster keeps the home volume and its files; a cluster created again with the same name mounts them again. Delete: the volume is deleted with the cluster.")
  public RetainPolicy retainPolicy = RetainPolicy.Retain;
}
