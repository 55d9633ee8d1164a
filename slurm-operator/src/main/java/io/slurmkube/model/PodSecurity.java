package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The security settings of every pod the operator makes. Each pod gets the runtime's default
 * seccomp profile and no service account token (no Slurm daemon calls the Kubernetes API); each
 * container no privilege escalation (no daemon needs a setuid binary: those that change user
 * start as root and drop) and all capabilities dropped but the few its daemon needs, listed per
 * daemon with the reason (README, "Pod security"). Every capability added is in Pod Security's
 * baseline list; slurmrestd and the queue reader run as their own users with none at all.
 */
public final class PodSecurity {
  /** slurmrestd's user in the control-plane image (slurmctld-image/Dockerfile): neither root nor SlurmUser. */
  static final long SLURMRESTD_UID = 64031;

  /** What each container of the operator's pods runs, as which user, with which capabilities. */
  public enum Daemon {
    /**
     * The entrypoint starts as root to install the mounted configuration and keys with the owners
     * Slurm insists on (CHOWN, FOWNER), writes into the slurm-owned state and run directories
     * (DAC_OVERRIDE), drops to SlurmUser (SETUID, SETGID), and tini, as root, forwards SIGTERM to
     * slurmctld running as slurm, which saves its state on it (KILL).
     */
    SLURMCTLD(null, "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"),
    /** As slurmctld: installs slurmdbd.conf and the keys as slurm, drops to it, tini signals it. */
    SLURMDBD(null, "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"),
    /**
     * MariaDB: the entrypoint chowns the data directory to mysql (a fresh claim's is root's),
     * writes the init file into the mysql-owned run directory, drops to mysql; tini signals it.
     * (Without CHOWN or DAC_OVERRIDE it fails; without FOWNER it starts: FOWNER is not given.)
     */
    DATABASE(null, "CHOWN", "DAC_OVERRIDE", "KILL", "SETGID", "SETUID"),
    /** Its own user, no capability: it reads slurm.conf where mounted and needs no key. */
    SLURMRESTD(SLURMRESTD_UID),
    /** The slurm user, no capability, no key: it authenticates through slurmctld's socket. */
    QUEUE_READER(ControllerBuilder.SLURM_UID),
    /**
     * slurmd must be root: slurmstepd starts every job step as the job's user (SETUID, SETGID),
     * signals and kills the user's processes (KILL), reads the slurm-owned key and writes job
     * files (DAC_OVERRIDE, FOWNER, CHOWN); the entrypoint makes the stand-in device files of
     * simulated GPUs (MKNOD).
     */
    SLURMD(null, "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "MKNOD", "SETGID", "SETUID"),
    /**
     * sackd and sshd as root: sshd binds port 22 (NET_BIND_SERVICE), confines its pre-auth child
     * to /run/sshd (SYS_CHROOT), becomes the user who logs in (SETUID, SETGID), hands them a
     * terminal (CHOWN, FOWNER), writes the login's audit record (AUDIT_WRITE) and ends sessions
     * (KILL); sackd reads the slurm-owned key (DAC_OVERRIDE).
     */
    LOGIN(null, "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "NET_BIND_SERVICE", "SETGID", "SETUID",
        "SYS_CHROOT");

    /** The user the container runs as from its start, or null for root (which drops itself). */
    public final Long user;
    /** Capabilities added back after dropping ALL. */
    public final List<String> capabilities;

    Daemon(Long user, String... capabilities) {
      this.user = user;
      this.capabilities = List.of(capabilities);
    }
  }

  private PodSecurity() {}

  /** The securityContext of a container running {@code daemon}. */
  public static SecurityContext container(Daemon daemon) {
    var builder = new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false)
        .withCapabilities(new Capabilities(daemon.capabilities.isEmpty() ? null : daemon.capabilities, List.of("ALL")));
    if (daemon.user != null) {
      builder.withRunAsUser(daemon.user).withRunAsGroup(daemon.user).withRunAsNonRoot(true);
    }
    return builder.build();
  }

  /** The pod-level securityContext of every operator pod: the runtime's default seccomp profile. */
  public static PodSecurityContext pod() {
    return new PodSecurityContextBuilder().withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().build();
  }

  /**
   * A user's securityContext laid over the operator's: every field the user sets wins, whole
   * (capabilities given replace the operator's list: add what the daemon needs, see the README);
   * the fields the user leaves out keep the operator's value.
   */
  public static SecurityContext merge(SecurityContext operator, SecurityContext user) {
    return overlay(operator, user, SecurityContext.class);
  }

  /** As {@link #merge(SecurityContext, SecurityContext)}, for the pod's securityContext. */
  public static PodSecurityContext merge(PodSecurityContext operator, PodSecurityContext user) {
    return overlay(operator, user, PodSecurityContext.class);
  }

  @SuppressWarnings("unchecked")
  private static <T> T overlay(T operator, T user, Class<T> type) {
    if (user == null) {
      return operator;
    }
    if (operator == null) {
      return user;
    }
    var mapper = Serialization.jsonMapper();
    Map<String, Object> merged = new LinkedHashMap<>(mapper.convertValue(operator, Map.class));
    mapper.convertValue(user, Map.class).forEach((key, value) -> {
      if (value != null) {
        ((Map<String, Object>) merged).put((String) key, value);
      }
    });
    return mapper.convertValue(merged, type);
  }
}
