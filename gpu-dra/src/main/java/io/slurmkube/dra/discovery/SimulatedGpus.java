package io.slurmkube.dra.discovery;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A configured stand-in for GPUs on machines without any: {@code count} identical devices. UUIDs
 * are derived from the node name and index, so they are stable across restarts and differ from
 * node to node, like real ones.
 */
public record SimulatedGpus(int count, String model, long memoryMiB) {

  public SimulatedGpus {
    if (count < 0 || count > 128) {
      throw new IllegalArgumentException("simulated GPU count must be between 0 and 128, got " + count);
    }
    if (memoryMiB <= 0) {
      throw new IllegalArgumentException("simulated GPU memory must be positive");
    }
  }

  public Inventory inventory(String nodeName) {
    List<Gpu> gpus = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      UUID uuid = UUID.nameUUIDFromBytes((nodeName + "/gpu/" + i).getBytes(StandardCharsets.UTF_8));
      gpus.add(Gpu.whole(i, "GPU-" + uuid, model, memoryMiB));
    }
    return new Inventory("simulated", gpus, List.of());
  }
}
