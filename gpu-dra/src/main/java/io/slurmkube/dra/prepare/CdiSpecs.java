package io.slurmkube.dra.prepare;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CDI (Container Device Interface) spec files, one per prepared claim, in the CDI directory that
 * the container runtime reads. Kind {@code <driver>/gpu}; one CDI device per allocated GPU, named
 * {@code <claim uid>-<device>}, with its device nodes ({@link DeviceNodes}); the claim's
 * environment ({@link PreparedClaim#environment()}) is in the spec-wide container edits, so any
 * container given one of its devices sees all of it.
 *
 * <p>Only files named {@code <driver>-claim_<uid>.json} are this plugin's; nothing else in the
 * directory is read or touched, so other drivers' specs, or garbage, cannot disturb it.
 */
public final class CdiSpecs {

  public static final String CDI_VERSION = "0.6.0";
  static final String CLASS = "gpu";

  private final Path dir;
  private final String driverName;
  private final DeviceNodes nodes;

  /** Specs that set only the environment (the device check, tests). */
  public CdiSpecs(Path dir, String driverName) {
    this(dir, driverName, DeviceNodes.NONE);
  }

  public CdiSpecs(Path dir, String driverName, DeviceNodes nodes) {
    this.dir = dir;
    this.driverName = driverName;
    this.nodes = nodes;
  }

  public String kind() {
    return driverName + "/" + CLASS;
  }

  /** The fully qualified CDI device name of one device of a claim. */
  public String deviceId(String claimUid, String deviceName) {
    return kind() + "=" + cdiDeviceName(claimUid, deviceName);
  }

  static String cdiDeviceName(String claimUid, String deviceName) {
    return claimUid + "-" + deviceName;
  }

  public Path file(String claimUid) {
    return dir.resolve(prefix() + claimUid + ".json");
  }

  private String prefix() {
    return driverName + "-claim_";
  }

  /** The spec for a claim, as written to disk. */
  public String render(PreparedClaim claim) throws JsonProcessingException {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("cdiVersion", CDI_VERSION);
    spec.put("kind", kind());
    spec.put("devices", claim.devices().stream().map(d -> {
      Map<String, Object> device = new LinkedHashMap<>();
      device.put("name", cdiDeviceName(claim.uid(), d.device()));
      // CDI wants every device to edit something; each one names its own UUID.
      Map<String, Object> edits = new LinkedHashMap<>();
      edits.put("env", List.of(
          "SLURMKUBE_DEVICE_" + d.device().toUpperCase(Locale.ROOT).replace('-', '_') + "=" + d.uuid()));
      var deviceNodes = nodes.of(d);
      if (!deviceNodes.isEmpty()) {
        edits.put("deviceNodes", deviceNodes);
      }
      device.put("containerEdits", edits);
      return device;
    }).toList());
    Map<String, Object> shared = new LinkedHashMap<>();
    shared.put("env", claim.environment());
    var sharedNodes = nodes.shared();
    if (!sharedNodes.isEmpty()) {
      shared.put("deviceNodes", sharedNodes);
    }
    spec.put("containerEdits", shared);
    return ClaimStore.JSON.writeValueAsString(spec);
  }

  public void write(PreparedClaim claim) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IOException("the CDI directory " + dir + " is not a directory");
    }
    AtomicFiles.write(file(claim.uid()), render(claim));
  }

  public void remove(String claimUid) throws IOException {
    AtomicFiles.deleteTree(file(claimUid));
  }

  /** Claim UIDs that have a spec file of this driver in the directory. */
  public Set<String> claimsWithSpecs() throws IOException {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith(prefix()) && n.endsWith(".json"))
          .map(n -> n.substring(prefix().length(), n.length() - ".json".length()))
          .collect(Collectors.toSet());
    }
  }
}
