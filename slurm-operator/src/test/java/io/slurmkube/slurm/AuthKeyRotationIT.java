package io.slurmkube.slurm;

import static io.slurmkube.slurm.SlurmTestCluster.CPU_NODE;
import static io.slurmkube.slurm.SlurmTestCluster.awaitTrue;
import static io.slurmkube.slurm.SlurmTestCluster.exec;
import static io.slurmkube.slurm.SlurmTestCluster.restart;
import static io.slurmkube.slurm.SlurmTestCluster.succeeds;
import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.model.AuthKeySet;
import io.slurmkube.model.AuthKeySet.Phase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/**
 * Rotates the Slurm auth key of real daemons in the three phases {@link AuthKeySet} writes while a
 * batch job runs: slurmctld and slurmd take each key set in without a restart (their entrypoints
 * watch the mounted Secret; slurmctld's reconfigure re-executes every slurmd), slurmdbd and the login pod are restarted per phase. The job must end
 * COMPLETED, and the old key must be refused at the end.
 */
class AuthKeyRotationIT {

  @Test
  void aRunningJobSurvivesAKeyRotationAndTheOldKeyIsRefusedAfterIt() throws Exception {
    try (var cluster = new SlurmTestCluster("")) {
      // A login pod that kept only the old key (clients inside the daemons' containers authenticate
      // through the daemon's socket, so they cannot show which key is accepted).
      Path oldSecrets = Files.createTempDirectory("slurmkube-old-key");
      Files.copy(cluster.secretsDir().resolve("slurm.key"), oldSecrets.resolve("slurm.key"));
      assertThat(oldKeyLoginWorks(cluster, oldSecrets)).as("a login pod with the old key works before the rotation").isTrue();

      String job = exec(cluster.controller, "sbatch", "--parsable", "-w", CPU_NODE, "-c1", "--mem=100",
          "--wrap", "sleep 150").strip();
      awaitTrue("job " + job + " runs", Duration.ofSeconds(60), () -> state(cluster, job).equals("RUNNING"));

      Path secrets = cluster.secretsDir();
      byte[] oldKey = Files.readAllBytes(secrets.resolve("slurm.key"));
      byte[] newKey = new byte[1024];
      new SecureRandom().nextBytes(newKey);
      int round = 0;
      for (Phase phase : List.of(Phase.ADD, Phase.SWITCH, Phase.DROP)) {
        round++;
        Path tmp = secrets.resolve(".slurm.jwks.tmp");
        Files.writeString(tmp, AuthKeySet.forPhase(phase, oldKey, newKey));
        Files.move(tmp, secrets.resolve(AuthKeySet.FILE), StandardCopyOption.ATOMIC_MOVE);
        restart(cluster.accounting);
        restart(cluster.login);
        int want = round;
        awaitTrue("slurmctld took in key set " + phase, Duration.ofSeconds(60),
            () -> count(cluster.controller, "the auth key set changed: slurmctld reconfigured") >= want);
        awaitTrue("slurmd pods installed key set " + phase, Duration.ofSeconds(60),
            () -> count(cluster.cpuNode, "the auth key set changed: installed") >= want
                && count(cluster.gpuNode, "the auth key set changed: installed") >= want);
        // slurmd re-executes for about 10 s; then both nodes must answer again (no '*').
        try {
          awaitTrue("both nodes respond under key set " + phase, Duration.ofSeconds(90), () -> {
            String nodes = exec(cluster.controller, "sinfo", "-N", "-h", "-o", "%N %t");
            return !nodes.contains("*") && nodes.lines().allMatch(l -> l.matches("\\S+ (idle|mix|alloc)"));
          });
        } catch (AssertionError e) {
          throw new AssertionError(e.getMessage() + "; sinfo: " + exec(cluster.controller, "sinfo", "-N", "-h")
              + "\ncpu node log:\n" + tail(cluster.cpuNode) + "\nslurmctld log:\n" + tail(cluster.controller), e);
        }
        awaitTrue("accounting answers under key set " + phase, Duration.ofSeconds(60),
            () -> succeeds(cluster.controller, "sacctmgr", "-n", "show", "cluster"));
        awaitTrue("the login pod's tools work under key set " + phase, Duration.ofSeconds(60),
            () -> succeeds(cluster.login, "sinfo"));
        assertThat(state(cluster, job)).as("job " + job + " after phase " + phase).isEqualTo("RUNNING");
      }

      awaitTrue("job " + job + " ends", Duration.ofSeconds(240),
          () -> !List.of("RUNNING", "PENDING", "COMPLETING").contains(state(cluster, job)));
      assertThat(state(cluster, job)).isEqualTo("COMPLETED");
      assertThat(exec(cluster.controller, "srun", "-w", CPU_NODE, "-t", "1", "hostname").strip()).isEqualTo(CPU_NODE);
      assertThat(oldKeyLoginWorks(cluster, oldSecrets)).as("a login pod with the old key is refused after the rotation").isFalse();
      Files.delete(oldSecrets.resolve("slurm.key"));
      Files.delete(oldSecrets);
    }
  }

  /** Whether sackd with only {@code secrets} fetches the configuration and `sinfo` works there. */
  private static boolean oldKeyLoginWorks(SlurmTestCluster cluster, Path secrets) {
    try (GenericContainer<?> login = cluster.loginWith(secrets)) {
      login.start();
      Instant deadline = Instant.now().plusSeconds(30);
      while (Instant.now().isBefore(deadline)) {
        if (succeeds(login, "sinfo", "-h")) {
          return true;
        }
        if (SlurmTestCluster.logs(login).contains("Protocol authentication error")) {
          return false;
        }
        Thread.sleep(1000);
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String tail(GenericContainer<?> container) {
    List<String> lines = SlurmTestCluster.logs(container).lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
  }

  private static String state(SlurmTestCluster cluster, String job) {
    return exec(cluster.controller, "sacct", "-n", "-X", "-P", "-j", job, "-o", "state").strip();
  }

  private static long count(GenericContainer<?> container, String line) {
    return SlurmTestCluster.logs(container).lines().filter(l -> l.contains(line)).count();
  }
}
