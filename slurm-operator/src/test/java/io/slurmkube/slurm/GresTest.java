package io.slurmkube.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** GPU counts out of the GRES and TRES strings slurmrestd returns. */
class GresTest {
  @Test
  void readsNodeGres() {
    assertThat(Gres.gpus("gpu:2")).isEqualTo(2);
    assertThat(Gres.gpus("gpu:a100:4(S:0-1)")).isEqualTo(4);
    assertThat(Gres.gpus("gpu:1(IDX:0),gpu:a100:2(IDX:1-2,4)")).isEqualTo(3);
    assertThat(Gres.gpus("shard:8,gpu:2")).isEqualTo(2);
  }

  @Test
  void readsJobTres() {
    assertThat(Gres.gpus("gres/gpu:1")).isEqualTo(1);
    assertThat(Gres.gpus("gres/gpu:h100:8,gres/shard:2")).isEqualTo(8);
    assertThat(Gres.gpus("gres:gpu:3")).isEqualTo(3);
  }

  @Test
  void readsTheTresFormOfPerTaskRequests() {
    // squeue and slurmrestd 24.11 print --gpus-per-task=1 as tres_per_task "gres/gpu=1".
    assertThat(Gres.gpus("gres/gpu=1")).isEqualTo(1);
    assertThat(Gres.gpus("cpu=2,gres/gpu:a100=2")).isEqualTo(2);
    assertThat(Gres.gpus("gres/shard=2")).isZero();
  }

  @Test
  void noGpusIsZero() {
    assertThat(Gres.gpus("")).isZero();
    assertThat(Gres.gpus(null)).isZero();
    assertThat(Gres.gpus("(null)")).isZero();
    assertThat(Gres.gpus("gpu:a100")).isZero();
    assertThat(Gres.gpus("cpu=2,mem=1G")).isZero();
  }
}
