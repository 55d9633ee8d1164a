package io.slurmkube.dra.discovery;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Finds this node's GPUs: with nvidia-smi when it is installed, otherwise from the simulated
 * inventory of the configuration (none when that is not set).
 */
public final class GpuDiscovery {

  private static final long TIMEOUT_SECONDS = 30;

  /** Told about every nvidia-smi run; the device check keeps the outputs as test fixtures. */
  @FunctionalInterface
  public interface RunListener {
    void ran(List<String> command, NvidiaSmi.Output output);
  }

  private final Optional<Path> nvidiaSmi;
  private final SimulatedGpus simulated;
  private final String nodeName;
  private final RunListener listener;

  public GpuDiscovery(Optional<Path> nvidiaSmi, SimulatedGpus simulated, String nodeName) {
    this(nvidiaSmi, simulated, nodeName, (command, output) -> {});
  }

  public GpuDiscovery(Optional<Path> nvidiaSmi, SimulatedGpus simulated, String nodeName, RunListener listener) {
    this.nvidiaSmi = nvidiaSmi;
    this.simulated = simulated;
    this.nodeName = nodeName;
    this.listener = listener;
  }

  /** Looks {@code command} up like a shell would: a path as is, a bare name on {@code PATH}. */
  public static Optional<Path> findExecutable(String command, String pathVariable) {
    if (command.contains("/")) {
      Path p = Path.of(command);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    if (pathVariable == null) {
      return Optional.empty();
    }
    for (String dir : pathVariable.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path p = Path.of(dir, command);
        if (Files.isRegularFile(p) && Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  public Inventory discover() throws DiscoveryException {
    if (nvidiaSmi.isPresent()) {
      NvidiaSmi.Output query = run(NvidiaSmi.QUERY_ARGS);
      NvidiaSmi.Output list = NvidiaSmi.needsMigListing(query) ? run(NvidiaSmi.LIST_ARGS) : null;
      return NvidiaSmi.inventory(query, list);
    }
    if (simulated.count() > 0) {
      return simulated.inventory(nodeName);
    }
    return new Inventory("none", List.of(), List.of("no nvidia-smi found and no simulated GPUs configured"));
  }

  /**
   * Runs nvidia-smi with {@code args} (discovery's own commands, or others such as the device
   * check's {@code -q -x}) and tells the listener what it printed.
   *
   * @throws DiscoveryException when it cannot be started or does not finish in time
   */
  public NvidiaSmi.Output run(List<String> args) throws DiscoveryException {
    List<String> command = new ArrayList<>();
    command.add(nvidiaSmi.orElseThrow().toString());
    command.addAll(args);
    try {
      Process process = new ProcessBuilder(command).start();
      process.getOutputStream().close();
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
      String out = read(process.getInputStream());
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new DiscoveryException(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
      NvidiaSmi.Output output = new NvidiaSmi.Output(process.exitValue(), out, err.join());
      listener.ran(List.copyOf(command), output);
      return output;
    } catch (IOException e) {
      throw new DiscoveryException("cannot run " + String.join(" ", command) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DiscoveryException("interrupted while running nvidia-smi");
    }
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
