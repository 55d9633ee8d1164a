package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pass that runs before the informer has caught up must count the controller's own writes. */
class PodExpectationsTest {
  static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

  static Pod pod(String name, String uid, String nodeSet) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace("hpc").withUid(uid)
        .addNewOwnerReference().withKind("NodeSet").withName(nodeSet).endOwnerReference().endMetadata().build();
  }

  static boolean ofCpu(Pod p) {
    return p.getMetadata().getOwnerReferences().get(0).getName().equals("demo-cpu");
  }

  @Test
  void aCreatedPodCountsUntilTheCacheShowsIt() {
    var expectations = new PodExpectations();
    Pod zero = pod("demo-cpu-0", "u0", "demo-cpu");
    Pod one = pod("demo-cpu-1", "u1", "demo-cpu");
    expectations.created(one, T0);
    // The cache still shows only pod 0: without the expectation the next pass would create a third pod.
    assertThat(expectations.adjust(List.of(zero), PodExpectationsTest::ofCpu, T0.plusSeconds(1)))
        .extracting(p -> p.getMetadata().getName()).containsExactlyInAnyOrder("demo-cpu-0", "demo-cpu-1");
    // Another node set's pass does not count it.
    assertThat(expectations.adjust(List.of(), p -> false, T0.plusSeconds(1))).isEmpty();
    // Once the cache has it, it is counted once, from the cache.
    assertThat(expectations.adjust(List.of(zero, one), PodExpectationsTest::ofCpu, T0.plusSeconds(2))).hasSize(2);
    assertThat(expectations.adjust(List.of(zero), PodExpectationsTest::ofCpu, T0.plusSeconds(3)))
        .as("a pod gone from the cache after the expectation was met is gone").hasSize(1);
  }

  @Test
  void aDeletedPodIsNotCountedWhileTheCacheStillShowsIt() {
    var expectations = new PodExpectations();
    Pod zero = pod("demo-cpu-0", "u0", "demo-cpu");
    Pod one = pod("demo-cpu-1", "u1", "demo-cpu");
    expectations.deleted(one, T0);
    assertThat(expectations.adjust(List.of(zero, one), PodExpectationsTest::ofCpu, T0.plusSeconds(1)))
        .extracting(p -> p.getMetadata().getName()).containsExactly("demo-cpu-0");
    // A new pod of the same name (another uid) is not mistaken for the deleted one.
    Pod again = pod("demo-cpu-1", "u1b", "demo-cpu");
    assertThat(expectations.adjust(List.of(zero, again), PodExpectationsTest::ofCpu, T0.plusSeconds(2))).hasSize(2);
  }

  @Test
  void anExpectationTheCacheNeverMeetsLapses() {
    var expectations = new PodExpectations();
    expectations.created(pod("demo-cpu-5", "u5", "demo-cpu"), T0);
    assertThat(expectations.adjust(List.of(), PodExpectationsTest::ofCpu, T0.plus(PodExpectations.PATIENCE).plusSeconds(1)))
        .isEmpty();
  }

  @Test
  void aNodeSetMadeAgainUnderTheSameNameDoesNotCountTheOldOnesPod() {
    var expectations = new PodExpectations();
    Pod old = new PodBuilder(pod("demo-cpu-0", "u0", "demo-cpu")).editMetadata().editOwnerReference(0)
        .withUid("old-nodeset").endOwnerReference().endMetadata().build();
    expectations.created(old, T0);
    expectations.forget("old-nodeset");
    // Without forgetting, the new NodeSet (same name) would wait 30 s before making its pod.
    assertThat(expectations.adjust(List.of(), PodExpectationsTest::ofCpu, T0.plusSeconds(1))).isEmpty();
  }
}
