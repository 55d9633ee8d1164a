package io.slurmkube.dra.check;

import io.slurmkube.dra.discovery.GpuDiscovery;
import io.slurmkube.dra.discovery.NvidiaSmi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Keeps what nvidia-smi printed during a device check, in a directory that can be dropped into
 * the tests' resources as it is: one file per command's stdout (the names the test's fake
 * nvidia-smi replays) and {@code commands.txt} with each command line, exit code and stderr.
 * Each output is written as soon as it arrives, so a check that breaks later still leaves it.
 */
public final class Recording implements GpuDiscovery.RunListener {

  /** stdout of {@code nvidia-smi --query-gpu=... --format=csv,noheader,nounits}. */
  public static final String QUERY = "query.csv";
  /** stdout of {@code nvidia-smi -L}, only run when a GPU is in MIG mode. */
  public static final String LIST = "list.txt";
  /** stdout of {@code nvidia-smi -q -x}. */
  public static final String XML = "query.xml";
  public static final String COMMANDS = "commands.txt";
  /** A copy of the driver's per-GPU records ({@code /proc/driver/nvidia/gpus/<bus>/information}). */
  public static final String PROC_GPUS = "proc-driver-nvidia-gpus";

  private final Path dir;
  private int others;

  /** @param dir where to write; created if missing */
  public Recording(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  public Path dir() {
    return dir;
  }

  /** The file a command's stdout goes to, by its arguments. */
  static String fileFor(List<String> args) {
    if (!args.isEmpty() && args.get(0).startsWith("--query-gpu=")) {
      return QUERY;
    }
    if (args.equals(List.of("-L"))) {
      return LIST;
    }
    if (args.equals(List.of("-q", "-x"))) {
      return XML;
    }
    return null;
  }

  @Override
  public void ran(List<String> command, NvidiaSmi.Output output) {
    String file = fileFor(command.subList(1, command.size()));
    if (file == null) {
      file = "other-" + (++others) + ".txt";
    }
    StringBuilder log = new StringBuilder()
        .append("$ ").append(String.join(" ", command)).append('\n')
        .append("exit ").append(output.exitCode()).append(", stdout in ").append(file).append('\n');
    output.stderr().lines().forEach(l -> log.append("stderr: ").append(l).append('\n'));
    try {
      Files.writeString(dir.resolve(file), output.stdout(), StandardCharsets.UTF_8);
      Files.writeString(dir.resolve(COMMANDS), log.append('\n'), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record nvidia-smi's output in " + dir, e);
    }
  }

  /**
   * Copies the {@code information} file of each subdirectory of {@code from} (procfs files: read,
   * not copied by size) to {@code name/<subdirectory>/information}; nothing when it is missing.
   */
  public void copyTree(Path from, String name) throws IOException {
    if (!Files.isDirectory(from)) {
      return;
    }
    try (var entries = Files.list(from)) {
      for (Path bus : entries.toList()) {
        Path information = bus.resolve("information");
        if (Files.isReadable(information)) {
          Path target = Files.createDirectories(dir.resolve(name).resolve(bus.getFileName().toString()));
          Files.writeString(target.resolve("information"), Files.readString(information), StandardCharsets.UTF_8);
        }
      }
    }
  }

  /** Writes one more file of the check's own (the slice, the report). */
  public Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }
}
