package io.slurmkube.api;

import java.util.List;

/**
 * Directories the Slurm pods depend on: the Slurm configuration and key, the operator's mounted
 * configuration and secrets, slurmd's runtime and spool directories. A user volume mounted on one
 * of them, inside one or above one hides what Slurm needs, so admission refuses it.
 */
public final class ReservedPaths {
  public static final List<String> DIRECTORIES = List.of("/etc/slurm", "/etc/slurmkube", "/run/slurm", "/var/spool/slurmd");

  /** self.mountPath as a directory: with exactly one trailing '/'. */
  private static final String DIR = "(self.mountPath.endsWith('/') ? self.mountPath : self.mountPath + '/')";

  /** CEL over an object with a mountPath: true when the path is none of the above, in or above one. */
  static final String CEL_ALLOWED_MOUNT =
      "!(" + DIR + ".startsWith('/etc/slurm/') || '/etc/slurm/'.startsWith(" + DIR + "))"
      + " && !(" + DIR + ".startsWith('/etc/slurmkube/') || '/etc/slurmkube/'.startsWith(" + DIR + "))"
      + " && !(" + DIR + ".startsWith('/run/slurm/') || '/run/slurm/'.startsWith(" + DIR + "))"
      + " && !(" + DIR + ".startsWith('/var/spool/slurmd/') || '/var/spool/slurmd/'.startsWith(" + DIR + "))";

  static final String MESSAGE = "is in, or above, a directory Slurm needs (/etc/slurm, /etc/slurmkube, /run/slurm, "
      + "/var/spool/slurmd): mount the volume somewhere else, e.g. /data";

  private ReservedPaths() {}

  /** The admission rule in Java, for NodeSets written by hand and for the builders' own checks. */
  public static boolean allows(String path) {
    String dir = path.endsWith("/") ? path : path + "/";
    return DIRECTORIES.stream().noneMatch(r -> dir.startsWith(r + "/") || (r + "/").startsWith(dir));
  }
}
