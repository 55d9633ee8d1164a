package io.slurmkube.dra.discovery;

import java.util.Objects;

/**
 * One allocatable GPU of this node: a whole GPU, or one MIG instance of a GPU in MIG mode.
 *
 * @param name the device name in the ResourceSlice (a DNS label such as {@code gpu-0} or
 *     {@code gpu-0-mig-1}); unique on the node
 * @param index the nvidia-smi index of the (parent) GPU
 * @param uuid {@code GPU-...} for a whole GPU, {@code MIG-...} for a MIG instance
 * @param model the product name, e.g. {@code NVIDIA A100-SXM4-40GB}
 * @param memoryMiB the memory of the device in MiB
 * @param migProfile the MIG profile (e.g. {@code 1g.5gb}) or null for a whole GPU
 * @param parentUuid the UUID of the GPU a MIG instance belongs to, or null for a whole GPU
 */
public record Gpu(String name, int index, String uuid, String model, long memoryMiB, String migProfile, String parentUuid) {

  public Gpu {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(model, "model");
    if (memoryMiB < 0) {
      throw new IllegalArgumentException("negative memory for " + name);
    }
  }

  /** A whole GPU. */
  public static Gpu whole(int index, String uuid, String model, long memoryMiB) {
    return new Gpu("gpu-" + index, index, uuid, model, memoryMiB, null, null);
  }

  public boolean isMig() {
    return migProfile != null;
  }
}
