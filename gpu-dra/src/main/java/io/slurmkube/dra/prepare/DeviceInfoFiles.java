package io.slurmkube.dra.prepare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files that tell a pod which devices it got, for container runtimes that ignore CDI (containerd
 * before 1.7 drops the kubelet's CDI device list). One directory per pod UID, one
 * {@code <claim name>.env} file per claim in it, with the lines of
 * {@link PreparedClaim#environment()}. A pod sees only its own directory by mounting the host
 * directory with {@code subPathExpr: $(POD_UID)}.
 */
public final class DeviceInfoFiles {

  private final Path dir;

  public DeviceInfoFiles(Path dir) {
    this.dir = dir;
  }

  public Path file(String podUid, String claimName) {
    return dir.resolve(podUid).resolve(claimName + ".env");
  }

  public static String render(PreparedClaim claim) {
    StringBuilder text = new StringBuilder()
        .append("# Devices of ResourceClaim ").append(claim.namespace()).append('/').append(claim.name())
        .append(" (uid ").append(claim.uid()).append("), prepared by the GPU DRA plugin\n");
    claim.environment().forEach(line -> text.append(line).append('\n'));
    return text.toString();
  }

  public void write(PreparedClaim claim) throws IOException {
    for (String pod : claim.podUids()) {
      AtomicFiles.write(file(pod, claim.name()), render(claim));
    }
  }

  /** Removes the claim's files, and each pod directory that is left empty. */
  public void remove(PreparedClaim claim) throws IOException {
    for (String pod : claim.podUids()) {
      Path file = file(pod, claim.name());
      AtomicFiles.deleteTree(file);
      Path podDir = file.getParent();
      if (Files.isDirectory(podDir)) {
        try (var rest = Files.list(podDir)) {
          if (rest.findAny().isEmpty()) {
            Files.deleteIfExists(podDir);
          }
        }
      }
    }
  }
}
