package io.slurmkube.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.slurmkube.model.NodePodBuilder;
import io.slurmkube.slurm.SlurmNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Replacing outdated pods and pods on cordoned Kubernetes nodes: drain first, never delete a node with a job. */
class PodReplacementTest {
  static final String UPDATE = PodReplacement.outdatedReason("demo-cpu");

  static Pod pod(int ordinal, String phase) {
    return new PodBuilder().withNewMetadata().withName("demo-cpu-" + ordinal)
        .addToLabels(NodePodBuilder.ORDINAL, Integer.toString(ordinal)).endMetadata()
        .withNewStatus().withPhase(phase).endStatus().build();
  }

  static SlurmNode node(int ordinal, String reason, String... states) {
    boolean busy = Set.of(states).contains("ALLOCATED");
    return new SlurmNode("demo-cpu-" + ordinal, Set.of(states), List.of("cpu"), "", 0, 0, 2, busy ? 2 : 0, 1024, 0,
        reason, "", "10.0.0.1");
  }

  static Map<String, SlurmNode> nodes(SlurmNode... nodes) {
    return Stream.of(nodes).collect(Collectors.toMap(SlurmNode::name, Function.identity()));
  }

  static PodReplacement.Retiring outdated(Pod pod) {
    return new PodReplacement.Retiring(pod, UPDATE, false);
  }

  @Test
  void drainsIdleOutdatedNodesFirstWithinMaxUnavailable() {
    var retiring = List.of(outdated(pod(0, "Running")), outdated(pod(1, "Running")), outdated(pod(2, "Running")));
    var plan = PodReplacement.plan(retiring,
        nodes(node(0, "", "ALLOCATED"), node(1, "", "IDLE"), node(2, "", "IDLE")), 0, 1);
    assertThat(plan.drain()).containsOnlyKeys("demo-cpu-2").containsEntry("demo-cpu-2", UPDATE);
    assertThat(plan.delete()).isEmpty();
  }

  @Test
  void deletesAPodOnlyOnceItsDrainedNodeHoldsNoJob() {
    var retiring = List.of(outdated(pod(0, "Running")), outdated(pod(1, "Running")));
    var plan = PodReplacement.plan(retiring,
        nodes(node(0, UPDATE, "ALLOCATED", "DRAIN"), node(1, UPDATE, "IDLE", "DRAIN")), 0, 2);
    assertThat(plan.delete()).extracting(p -> p.getMetadata().getName()).containsExactly("demo-cpu-1");
    assertThat(plan.waitingForJobs()).containsExactly("demo-cpu-0");
    assertThat(plan.drain()).isEmpty();
    assertThat(plan.summary()).contains("waiting for the jobs on demo-cpu-0").contains("replacing demo-cpu-1");
  }

  @Test
  void nodesAlreadyUnavailableUseUpTheBudget() {
    var plan = PodReplacement.plan(List.of(outdated(pod(0, "Running"))), nodes(node(0, "", "IDLE")), 1, 1);
    assertThat(plan.drain()).isEmpty();
  }

  @Test
  void aPodOnACordonedNodeIsDrainedAtOnceWhateverTheBudget() {
    var cordoned = new PodReplacement.Retiring(pod(0, "Running"), PodReplacement.cordonedReason("worker-1"), true);
    var plan = PodReplacement.plan(List.of(cordoned), nodes(node(0, "", "ALLOCATED")), 3, 1);
    assertThat(plan.drain()).containsEntry("demo-cpu-0", "slurmkube: Kubernetes node worker-1 is cordoned");
  }

  @Test
  void anAdministratorsDrainIsLeftAloneAndAnUnregisteredPendingPodGoesAtOnce() {
    var plan = PodReplacement.plan(List.of(outdated(pod(0, "Running")), outdated(pod(1, "Pending")), outdated(pod(2, "Running"))),
        nodes(node(0, "disk check", "IDLE", "DRAIN")), 0, 1);
    assertThat(plan.leftAlone()).containsExactly("demo-cpu-0");
    assertThat(plan.delete()).extracting(p -> p.getMetadata().getName()).containsExactly("demo-cpu-1");
    assertThat(plan.drain()).as("a running pod not yet registered may be about to; it is waited for").isEmpty();
  }
}
