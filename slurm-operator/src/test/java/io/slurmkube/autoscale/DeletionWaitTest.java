package io.slurmkube.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.autoscale.DeletionWait.SlurmAnswer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeletionWaitTest {
  static final Instant START = Instant.parse("2026-11-29T12:00:00Z");

  @Test
  void waitsForRunningJobsUntilTheDeadlineAndNamesThem() {
    var d = DeletionWait.decide(START, 3600, START.plusSeconds(10),
        SlurmAnswer.of(List.of(DeletionDrainTest.running(12, "demo-cpu-0"), DeletionDrainTest.running(13, "demo-cpu-1")), 2));
    assertThat(d.release()).isFalse();
    assertThat(d.reason()).isEqualTo("WaitingForJobs");
    assertThat(d.message()).contains("waiting for 2 running job(s) (12, 13)").contains("until 2026-11-29T13:00:00Z")
        .contains("spec.deletionGracePeriodSeconds 3600");
  }

  @Test
  void goesOnceNoJobRunsOrAtTheDeadline() {
    assertThat(DeletionWait.decide(START, 3600, START.plusSeconds(10), SlurmAnswer.of(List.of(), 0)).reason()).isEqualTo("NoJobs");
    assertThat(DeletionWait.decide(START, 3600, START.plusSeconds(10), SlurmAnswer.of(List.of(), 1)).release())
        .as("a node still completing a job holds the cluster").isFalse();
    var over = DeletionWait.decide(START, 60, START.plusSeconds(60),
        SlurmAnswer.of(List.of(DeletionDrainTest.running(12, "demo-cpu-0")), 1));
    assertThat(over.release()).isTrue();
    assertThat(over.reason()).isEqualTo("GracePeriodOver");
    assertThat(over.message()).contains("1 job(s) (12) still running are killed");
    assertThat(DeletionWait.decide(START, 0, START, SlurmAnswer.of(List.of(), 3)).reason()).isEqualTo("NoGracePeriod");
  }

  @Test
  void aSlurmThatCannotAnswerAgainReleasesAtOnceAnotherAfterALimit() {
    assertThat(DeletionWait.decide(START, 3600, START.plusSeconds(1),
        SlurmAnswer.unavailable("slurmrestd (Deployment demo-restapi) is gone", true)).reason()).isEqualTo("SlurmUnreachable");
    var waiting = DeletionWait.decide(START, 3600, START.plusSeconds(1), SlurmAnswer.unavailable("connection refused", false));
    assertThat(waiting.release()).isFalse();
    assertThat(waiting.reason()).isEqualTo("WaitingForSlurm");
    assertThat(DeletionWait.decide(START, 3600, START.plus(DeletionWait.UNREACHABLE_LIMIT),
        SlurmAnswer.unavailable("connection refused", false)).release()).isTrue();
  }
}
