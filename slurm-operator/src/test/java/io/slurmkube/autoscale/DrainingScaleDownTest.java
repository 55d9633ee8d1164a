package io.slurmkube.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.slurmkube.api.NodeSet;
import io.slurmkube.model.NodePodBuilder;
import io.slurmkube.slurm.JobSubmission;
import io.slurmkube.slurm.Ping;
import io.slurmkube.slurm.SlurmClient;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DrainingScaleDownTest {

  /** Records drains; nothing else is called by the class under test. */
  static final class RecordingSlurm implements SlurmClient {
    final List<String> drained = new ArrayList<>();
    public String apiVersion() { return "test"; }
    public Ping ping() { throw new UnsupportedOperationException(); }
    public List<SlurmJob> jobs() { throw new UnsupportedOperationException(); }
    public List<SlurmNode> nodes() { throw new UnsupportedOperationException(); }
    public void drainNode(String name, String reason) {
      assertThat(reason).startsWith(DrainingScaleDown.REASON_PREFIX);
      drained.add(name);
    }
    public void resumeNode(String name, String reason) { throw new UnsupportedOperationException(); }
    public void deleteNode(String name) { throw new UnsupportedOperationException(); }
    public long submitJob(JobSubmission job) { throw new UnsupportedOperationException(); }
  }

  static Pod pod(int ordinal, String phase) {
    return new PodBuilder().withNewMetadata().withName("demo-cpu-" + ordinal)
        .withLabels(Map.of(NodePodBuilder.ORDINAL, Integer.toString(ordinal))).endMetadata()
        .withNewStatus().withPhase(phase).endStatus().build();
  }

  static SlurmNode node(int ordinal, String reason, String... states) {
    boolean busy = Set.of(states).contains("ALLOCATED");
    return new SlurmNode("demo-cpu-" + ordinal, Set.of(states), List.of("cpu"), "", 0, 0, 1, busy ? 1 : 0, 512, 0,
        reason, "slurm", "");
  }

  static NodeSet nodeSet() {
    var nodeSet = new NodeSet();
    nodeSet.setMetadata(new ObjectMetaBuilder().withName("demo-cpu").build());
    return nodeSet;
  }

  @Test
  void drainsIdleNodesFirstAndDeletesNothingYet() {
    var slurm = new RecordingSlurm();
    var pods = List.of(pod(0, "Running"), pod(1, "Running"), pod(2, "Running"));
    var nodes = List.of(node(0, "", "IDLE"), node(1, "", "ALLOCATED"), node(2, "", "ALLOCATED"));
    var decision = DrainingScaleDown.removeNodes(slurm, nodeSet(), pods, nodes, 2);
    assertThat(decision.podsToDelete()).isEmpty();
    assertThat(slurm.drained).containsExactly("demo-cpu-0", "demo-cpu-2");
  }

  @Test
  void deletesOnlyPodsWhoseNodesAreDrainedAndFree() {
    var slurm = new RecordingSlurm();
    var pods = List.of(pod(0, "Running"), pod(1, "Running"));
    var nodes = List.of(
        node(0, "slurmkube: scale-down of NodeSet demo-cpu", "IDLE", "DRAIN"),
        node(1, "slurmkube: scale-down of NodeSet demo-cpu", "ALLOCATED", "DRAIN"));
    var decision = DrainingScaleDown.removeNodes(slurm, nodeSet(), pods, nodes, 2);
    assertThat(decision.podsToDelete()).extracting(p -> p.getMetadata().getName()).containsExactly("demo-cpu-0");
    assertThat(decision.reason()).contains("waiting for jobs on demo-cpu-1");
    assertThat(slurm.drained).isEmpty();
  }

  @Test
  void onlyANodeWhosePodStaysIsResumed() {
    var ours = node(0, "slurmkube: scale-down of NodeSet demo-cpu", "IDLE", "DRAIN");
    assertThat(DrainingScaleDown.mayResume(ours, Set.of("demo-cpu-0"))).isTrue();
    assertThat(DrainingScaleDown.mayResume(ours, Set.of())).as("its pod is being deleted").isFalse();
    assertThat(DrainingScaleDown.mayResume(node(0, "bad DIMM", "IDLE", "DRAIN"), Set.of("demo-cpu-0"))).isFalse();
    assertThat(DrainingScaleDown.mayResume(node(0, "slurmkube: scale-down", "DOWN", "DRAIN"), Set.of("demo-cpu-0")))
        .isFalse();
    assertThat(DrainingScaleDown.mayResume(node(0, "", "IDLE"), Set.of("demo-cpu-0"))).isFalse();
  }

  @Test
  void leavesAnAdministratorsDrainAlone() {
    var slurm = new RecordingSlurm();
    var pods = List.of(pod(0, "Running"), pod(1, "Running"));
    var nodes = List.of(node(0, "bad DIMM, ticket 42", "IDLE", "DRAIN"), node(1, "", "IDLE"));
    var decision = DrainingScaleDown.removeNodes(slurm, nodeSet(), pods, nodes, 1);
    assertThat(decision.podsToDelete()).isEmpty();
    assertThat(slurm.drained).containsExactly("demo-cpu-1");
  }

  @Test
  void aPodThatNeverBecameANodeGoesUnlessItIsRunning() {
    var slurm = new RecordingSlurm();
    var pods = List.of(pod(0, "Pending"), pod(1, "Running"));
    var decision = DrainingScaleDown.removeNodes(slurm, nodeSet(), pods, List.of(), 2);
    assertThat(decision.podsToDelete()).extracting(p -> p.getMetadata().getName()).containsExactly("demo-cpu-0");
    assertThat(slurm.drained).isEmpty();
  }

  @Test
  void aRecordGoesWithItsPodUnlessBusyOrAnAdministratorsDrain() {
    assertThat(DrainingScaleDown.recordMayGo(node(0, "slurmkube: pod demo-cpu-0 is stopping", "DOWN", "DRAIN"))).isTrue();
    assertThat(DrainingScaleDown.recordMayGo(node(0, "Not responding", "DOWN"))).isTrue();
    assertThat(DrainingScaleDown.recordMayGo(node(0, "Not responding", "DOWN", "DRAIN"))).isTrue();
    assertThat(DrainingScaleDown.recordMayGo(node(0, "bad DIMM, ticket 42", "DOWN", "DRAIN"))).isFalse();
    assertThat(DrainingScaleDown.recordMayGo(node(0, "slurmkube: scale-down", "ALLOCATED", "DRAIN"))).isFalse();
    assertThat(DrainingScaleDown.recordMayGo(node(0, "", "IDLE"))).isFalse();
  }
  @Test
  void aPodIsMarkedEvictableOnlyWhileItsNodeIsDrainedAndIdle() {
    // No node record yet (Pending, or slurmd not registered): the label would outlive that moment.
    assertThat(DrainingScaleDown.mayBeEvicted(null)).isFalse();
    assertThat(DrainingScaleDown.mayBeEvicted(node(0, "", "IDLE"))).isFalse();
    assertThat(DrainingScaleDown.mayBeEvicted(node(0, "slurmkube: rolling update", "ALLOCATED", "DRAIN"))).isFalse();
    assertThat(DrainingScaleDown.mayBeEvicted(node(0, "slurmkube: rolling update", "IDLE", "DRAIN"))).isTrue();
    assertThat(DrainingScaleDown.mayBeEvicted(node(0, "bad DIMM", "IDLE", "DRAIN"))).isTrue();
  }

  @Test
  void theNodeOfAPodBeingDeletedOrGoneIsDrained() {
    Pod deleting = pod(1, "Running");
    deleting.getMetadata().setDeletionTimestamp("2026-11-30T03:00:16Z");
    var pods = List.of(pod(0, "Running"), deleting);
    var nodes = List.of(
        node(0, "", "IDLE"),
        node(1, "", "IDLE"),
        // The stop hook's DOWN, which a dying slurmd's last answer undoes (ReturnToService=2).
        node(2, "slurmkube: pod demo-cpu-2 is stopping", "DOWN"),
        node(3, "slurmkube: scale-down", "IDLE", "DRAIN"),
        node(4, "", "ALLOCATED"));
    assertThat(DrainingScaleDown.nodesOfLeavingPods(pods, nodes)).containsExactly("demo-cpu-1", "demo-cpu-2", "demo-cpu-4");
    assertThat(DrainingScaleDown.leavingReason("demo-cpu-1")).startsWith(DrainingScaleDown.REASON_PREFIX);
  }
  @Test
  void aPodWithoutANodeIsNotDeletedOnceItsSlurmdHasRegistered() {
    // demo-cpu-0 was drained and idle; demo-cpu-1 and -2 had no node and looked Pending in the cache.
    var delete = List.of(pod(0, "Running"), pod(1, "Pending"), pod(2, "Pending"));
    assertThat(DrainingScaleDown.anyWithoutNode(delete, Set.of("demo-cpu-0"))).isTrue();
    assertThat(DrainingScaleDown.anyWithoutNode(List.of(pod(0, "Running")), Set.of("demo-cpu-0"))).isFalse();
    // A fresh look finds demo-cpu-1 registered: it may already run a job.
    assertThat(DrainingScaleDown.stillSafeToDelete(delete, Set.of("demo-cpu-0"), Set.of("demo-cpu-0", "demo-cpu-1")))
        .extracting(p -> p.getMetadata().getName()).containsExactly("demo-cpu-0", "demo-cpu-2");
  }
}
