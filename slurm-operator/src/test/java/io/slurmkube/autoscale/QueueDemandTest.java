package io.slurmkube.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmJob.StartConditions;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueueDemandTest {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final NodeSetView CPU = new NodeSetView("cpu", Set.of("batch"), Set.of("cpu"), 2, 0, 0, 4, 0, 0, List.of());

  static SlurmJob job(String reason, Set<String> states, StartConditions start) {
    return new SlurmJob(1, "job", "alice", "batch", states, reason, NOW, 1, 1, 0, "", "").withStart(start);
  }

  @Test
  void anOrdinaryPendingJobWaitsForNodes() {
    assertThat(QueueDemand.mayStartNow(job("None", Set.of("PENDING"), StartConditions.NONE), NOW)).isTrue();
    assertThat(QueueDemand.nodesWanted(CPU, List.of(job("None", Set.of("PENDING"), StartConditions.NONE)), NOW)).isEqualTo(1);
  }

  @Test
  void aFutureBeginTimeDependencyOrHoldIsSeenWhileTheReasonIsStillNone() {
    var later = job("None", Set.of("PENDING"), new StartConditions(NOW.plusSeconds(1), "", false));
    var dependent = job("None", Set.of("PENDING"), new StartConditions(null, "afterok:7(unfulfilled)", false));
    var held = job("None", Set.of("PENDING"), new StartConditions(null, "", true));
    var requeued = job("None", Set.of("PENDING", "COMPLETING"), StartConditions.NONE);
    assertThat(QueueDemand.eligible(CPU, List.of(later, dependent, held, requeued), NOW)).isEmpty();
    assertThat(QueueDemand.unclaimed(List.of(CPU), List.of(later, dependent, held, requeued), NOW))
        .as("jobs no earlier node set can run now stay for later ones to judge").hasSize(4);
  }

  @Test
  void dependenciesAreReadAsSlurmPrintsThem() {
    assertThat(QueueDemand.dependencyPending("")).isFalse();
    assertThat(QueueDemand.dependencyPending("(null)")).isFalse();
    assertThat(QueueDemand.dependencyPending("afterok:7(unfulfilled)")).isTrue();
    assertThat(QueueDemand.dependencyPending("afterok:7(failed)")).as("never satisfied: no node helps").isTrue();
    assertThat(QueueDemand.dependencyPending("afterok:7(fulfilled),afterany:8(unfulfilled)")).isTrue();
    assertThat(QueueDemand.dependencyPending("afterok:7(fulfilled),afterany:8(fulfilled)")).isFalse();
    assertThat(QueueDemand.dependencyPending("afterok:7(fulfilled)?afterany:8(unfulfilled)")).isFalse();
    assertThat(QueueDemand.dependencyPending("afterok:7(unfulfilled)?afterany:8(unfulfilled)")).isTrue();
  }

  @Test
  void aJobHeldByAnAccountOrQosLimitAddsNoNodeAndIsCountedAsWaitingForPolicy() {
    var pending = Set.of("PENDING");
    var limited = List.of(job("AssocMaxJobsLimit", pending, StartConditions.NONE),
        job("AssocGrpCpuLimit", pending, StartConditions.NONE),
        job("QOSMaxJobsPerUserLimit", pending, StartConditions.NONE),
        job("AccountNotAllowed", pending, StartConditions.NONE));
    var forNodes = job("Resources", pending, StartConditions.NONE);
    var all = new java.util.ArrayList<>(limited);
    all.add(forNodes);
    assertThat(QueueDemand.nodesWanted(CPU, all, NOW)).isEqualTo(1);
    assertThat(QueueDemand.waitingForPolicy(CPU, all, NOW)).isEqualTo(4);
    // Only jobs this node set could run count: another partition's limited job is not its business.
    var elsewhere = new SlurmJob(2, "job", "bob", "gpu", pending, "AssocMaxJobsLimit", NOW, 1, 1, 0, "", "");
    assertThat(QueueDemand.waitingForPolicy(CPU, List.of(elsewhere), NOW)).isZero();
  }
}
