package io.slurmkube.dra.discovery;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what {@code nvidia-smi} prints into an {@link Inventory}. Pure: the commands are run
 * elsewhere ({@link GpuDiscovery}), so that recorded outputs can be tested.
 *
 * <p>Whole GPUs come from {@link #QUERY_ARGS}. A GPU whose current MIG mode is {@code Enabled}
 * cannot be handed out whole; its MIG instances, listed by {@link #LIST_ARGS} ({@code -L}), are
 * published instead.
 */
public final class NvidiaSmi {

  /** The query whose CSV {@link #inventory} parses; the column order is fixed here. */
  public static final List<String> QUERY_ARGS = List.of(
      "--query-gpu=index,uuid,name,memory.total,mig.mode.current", "--format=csv,noheader,nounits");
  /** Lists GPUs and their MIG instances; only asked for when some GPU is in MIG mode. */
  public static final List<String> LIST_ARGS = List.of("-L");

  /** nvidia-smi's exit code when the driver works but no GPU is present. */
  static final int EXIT_NO_DEVICES = 6;

  private static final Pattern GPU_LINE = Pattern.compile("^GPU (\\d+): (.+?) \\(UUID: (GPU-[^)\\s]+)\\)\\s*$");
  private static final Pattern MIG_LINE =
      Pattern.compile("^\\s+MIG (\\S+)\\s+Device\\s+(\\d+): \\(UUID: (MIG-[^)\\s]+)\\)\\s*$");
  private static final Pattern MIG_PROFILE_MEMORY = Pattern.compile("^\\d+g\\.(\\d+)gb");

  /** What one run of nvidia-smi returned. */
  public record Output(int exitCode, String stdout, String stderr) {}

  private record Row(int index, String uuid, String model, long memoryMiB, boolean migEnabled) {}

  private NvidiaSmi() {}

  /** True when the query found GPUs in MIG mode, so {@link #LIST_ARGS} must be run too. */
  public static boolean needsMigListing(Output query) throws DiscoveryException {
    List<String> problems = new ArrayList<>();
    return parseQuery(query, problems).stream().anyMatch(Row::migEnabled);
  }

  /**
   * The inventory from the query output and, when some GPU is in MIG mode, the {@code -L}
   * output (may be null otherwise).
   *
   * @throws DiscoveryException when nvidia-smi failed (no driver, GPU lost, ...)
   */
  public static Inventory inventory(Output query, Output list) throws DiscoveryException {
    List<String> problems = new ArrayList<>();
    List<Row> rows = parseQuery(query, problems);
    Map<Integer, List<Gpu>> migByParent = Map.of();
    if (rows.stream().anyMatch(Row::migEnabled)) {
      if (list == null) {
        throw new DiscoveryException("some GPUs are in MIG mode but nvidia-smi -L was not run");
      }
      migByParent = parseMigInstances(list, rows, problems);
    }
    List<Gpu> gpus = new ArrayList<>();
    for (Row row : rows) {
      if (!row.migEnabled()) {
        gpus.add(Gpu.whole(row.index(), row.uuid(), row.model(), row.memoryMiB()));
        continue;
      }
      List<Gpu> instances = migByParent.getOrDefault(row.index(), List.of());
      if (instances.isEmpty()) {
        problems.add("GPU " + row.index() + " (" + row.uuid() + ") is in MIG mode but has no MIG instances;"
            + " it is not published");
      }
      gpus.addAll(instances);
    }
    return new Inventory("nvidia-smi", gpus, problems);
  }

  private static List<Row> parseQuery(Output out, List<String> problems) throws DiscoveryException {
    if (out.exitCode() == EXIT_NO_DEVICES) {
      return List.of();
    }
    if (out.exitCode() != 0) {
      throw failure("nvidia-smi " + String.join(" ", QUERY_ARGS), out);
    }
    List<Row> rows = new ArrayList<>();
    for (String line : out.stdout().split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      if (line.strip().equals("No devices were found")) {
        return List.of();
      }
      String[] f = line.split(",", -1);
      if (f.length != 5) {
        problems.add("unexpected nvidia-smi line (want 5 columns): " + line.strip());
        continue;
      }
      String index = f[0].strip();
      String uuid = f[1].strip();
      String model = f[2].strip();
      String memory = f[3].strip().replaceFirst("(?i)\\s*MiB$", "");
      String mig = f[4].strip();
      if (!index.matches("\\d+") || !uuid.startsWith("GPU-")) {
        problems.add("GPU line without a usable index or UUID: " + line.strip());
        continue;
      }
      if (!memory.matches("\\d+")) {
        problems.add("GPU " + index + " (" + uuid + ") reports memory '" + f[3].strip() + "'; it is not published");
        continue;
      }
      rows.add(new Row(Integer.parseInt(index), uuid, model, Long.parseLong(memory), mig.equalsIgnoreCase("Enabled")));
    }
    return rows;
  }

  private static Map<Integer, List<Gpu>> parseMigInstances(Output out, List<Row> rows, List<String> problems)
      throws DiscoveryException {
    if (out.exitCode() != 0) {
      throw failure("nvidia-smi -L", out);
    }
    Map<Integer, List<Gpu>> byParent = new LinkedHashMap<>();
    Row parent = null;
    for (String line : out.stdout().split("\\R")) {
      Matcher gpu = GPU_LINE.matcher(line);
      if (gpu.matches()) {
        int index = Integer.parseInt(gpu.group(1));
        parent = rows.stream().filter(r -> r.index() == index).findFirst().orElse(null);
        continue;
      }
      Matcher mig = MIG_LINE.matcher(line);
      if (mig.matches() && parent != null && parent.migEnabled()) {
        String profile = mig.group(1);
        Matcher memory = MIG_PROFILE_MEMORY.matcher(profile);
        if (!memory.find()) {
          problems.add("MIG instance " + mig.group(3) + " has a profile without memory size: " + profile);
          continue;
        }
        String name = "gpu-" + parent.index() + "-mig-" + mig.group(2);
        byParent.computeIfAbsent(parent.index(), k -> new ArrayList<>()).add(new Gpu(
            name, parent.index(), mig.group(3), parent.model(), Long.parseLong(memory.group(1)) * 1024, profile,
            parent.uuid()));
      }
    }
    return byParent;
  }

  private static DiscoveryException failure(String command, Output out) {
    String message = (out.stdout() + "\n" + out.stderr()).lines()
        .map(String::strip)
        .filter(l -> !l.isEmpty())
        .findFirst()
        .orElse("no output");
    return new DiscoveryException(command + " failed (exit " + out.exitCode() + "): " + message);
  }
}
