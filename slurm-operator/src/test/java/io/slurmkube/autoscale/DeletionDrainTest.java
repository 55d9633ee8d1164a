package io.slurmkube.autoscale;

import static io.slurmkube.autoscale.DrainingScaleDownTest.node;
import static io.slurmkube.autoscale.DrainingScaleDownTest.nodeSet;
import static io.slurmkube.autoscale.DrainingScaleDownTest.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.slurm.SlurmJob;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeletionDrainTest {
  static final String WHY = "slurmkube: NodeSet demo-cpu is being deleted";

  static SlurmJob running(long id, String nodeList) {
    return new SlurmJob(id, "j", "alice", "batch", Set.of("RUNNING"), "None", Instant.EPOCH, 1, 1, 0, "", nodeList);
  }

  @Test
  void drainsEveryNodeWithItsReasonAndDeletesOnlyIdleOnes() {
    var slurm = new DrainingScaleDownTest.RecordingSlurm();
    var step = DeletionDrain.plan(slurm, nodeSet(), List.of(pod(0, "Running"), pod(1, "Running")),
        List.of(node(0, "", "ALLOCATED"), node(1, "", "IDLE")), List.of(running(7, "demo-cpu-0")), WHY);
    assertThat(slurm.drained).containsExactlyInAnyOrder("demo-cpu-0", "demo-cpu-1");
    assertThat(step.podsToDelete()).as("nothing is deleted before Slurm has drained it").isEmpty();
    assertThat(step.waitingForJobs()).isTrue();
    assertThat(step.message()).isEqualTo("waiting for 1 job(s) (7) on demo-cpu-0; every node is drained, no new job starts");
  }

  @Test
  void deletesDrainedIdleNodesIncludingAnAdministratorsButNotABusyOne() {
    var slurm = new DrainingScaleDownTest.RecordingSlurm();
    var step = DeletionDrain.plan(slurm, nodeSet(), List.of(pod(0, "Running"), pod(1, "Running"), pod(2, "Running")),
        List.of(node(0, WHY, "IDLE", "DRAIN"), node(1, "disk check", "IDLE", "DRAIN"), node(2, WHY, "ALLOCATED", "DRAIN")),
        List.of(running(9, "demo-cpu-[2]")), WHY);
    assertThat(step.podsToDelete()).extracting(p -> p.getMetadata().getName()).containsExactlyInAnyOrder("demo-cpu-0", "demo-cpu-1");
    assertThat(step.busyNodes()).containsExactly("demo-cpu-2");
    assertThat(step.jobs()).extracting(SlurmJob::id).containsExactly(9L);
    assertThat(slurm.drained).isEmpty();
  }

  @Test
  void nothingLeftIsSaidSo() {
    var step = DeletionDrain.plan(new DrainingScaleDownTest.RecordingSlurm(), nodeSet(), List.of(), List.of(), List.of(), WHY);
    assertThat(step.waitingForJobs()).isFalse();
    assertThat(step.message()).isEqualTo("no pod left");
  }

  @Test
  void aHostListNamesTheNodeSetOnlyForItsOwnNodes() {
    assertThat(DeletionDrain.runsOn("demo-cpu-[0-2,5]", "demo-cpu-")).isTrue();
    assertThat(DeletionDrain.runsOn("demo-gpu-1,demo-cpu-3", "demo-cpu-")).isTrue();
    assertThat(DeletionDrain.runsOn("demo-cpu-big-[0-1]", "demo-cpu-")).isFalse();
    assertThat(DeletionDrain.runsOn("demo-cpu-big-0,demo-gpu-[1,3]", "demo-cpu-")).isFalse();
    assertThat(DeletionDrain.runsOn("", "demo-cpu-")).isFalse();
  }
}
