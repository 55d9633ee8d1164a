package io.slurmkube.dra.discovery;

import java.util.List;
import java.util.Optional;

/**
 * The GPUs found on this node, and what discovery could not make sense of (shown in the log, so
 * that a GPU missing from the ResourceSlice has a reason next to it).
 */
public record Inventory(String source, List<Gpu> gpus, List<String> problems) {

  public Inventory {
    gpus = List.copyOf(gpus);
    problems = List.copyOf(problems);
  }

  public Optional<Gpu> byName(String deviceName) {
    return gpus.stream().filter(g -> g.name().equals(deviceName)).findFirst();
  }
}
