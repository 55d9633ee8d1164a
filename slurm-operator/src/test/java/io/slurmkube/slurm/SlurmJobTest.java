package io.slurmkube.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A pending job array is one record in Slurm; the autoscaler counts its tasks. */
class SlurmJobTest {
  @Test
  void countsTheTasksOfAnArrayExpression() {
    assertThat(SlurmJob.arrayTasks("0-7", 0)).isEqualTo(8);
    assertThat(SlurmJob.arrayTasks("1,3,5-9", 0)).isEqualTo(7);
    assertThat(SlurmJob.arrayTasks("1-15:2", 0)).isEqualTo(8);
    assertThat(SlurmJob.arrayTasks("[2-5]", 0)).isEqualTo(4);
    assertThat(SlurmJob.arrayTasks("42", 0)).isEqualTo(1);
  }

  @Test
  void aLimitOnTasksAtOnceCapsTheCount() {
    assertThat(SlurmJob.arrayTasks("0-99%4", 0)).isEqualTo(4);
    assertThat(SlurmJob.arrayTasks("0-99", 3)).isEqualTo(3);
  }

  @Test
  void anythingElseIsOneJob() {
    assertThat(SlurmJob.arrayTasks("", 0)).isEqualTo(1);
    assertThat(SlurmJob.arrayTasks(null, 0)).isEqualTo(1);
    assertThat(SlurmJob.arrayTasks("N/A", 0)).isEqualTo(1);
    assertThat(SlurmJob.arrayTasks("5-1", 0)).isEqualTo(1);
  }
}
