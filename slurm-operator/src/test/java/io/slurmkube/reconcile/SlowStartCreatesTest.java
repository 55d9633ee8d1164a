package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SlowStartCreatesTest {
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private final List<String> made = new CopyOnWriteArrayList<>();

  private static Pod pod(int ordinal) {
    return new PodBuilder().withNewMetadata().withName("c-cpu-" + ordinal).endMetadata().build();
  }

  private static KubernetesClientException error(int code) {
    return new KubernetesClientException(new StatusBuilder().withCode(code).withMessage("refused " + code).build());
  }

  private SlowStartCreates.Outcome create(int count, UnaryOperator<Pod> server) {
    return SlowStartCreates.create(count, IntStream.iterate(0, i -> i + 1).iterator(), SlowStartCreatesTest::pod,
        p -> {
          asked.add(p.getMetadata().getName());
          return server.apply(p);
        }, p -> made.add(p.getMetadata().getName()));
  }

  @Test
  void aLargeScaleUpRunsCreatesSideBySideAndMakesEachPodOnce() {
    var inFlight = new AtomicInteger();
    Set<Integer> concurrency = ConcurrentHashMap.newKeySet();
    var outcome = create(200, p -> {
      concurrency.add(inFlight.incrementAndGet());
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      inFlight.decrementAndGet();
      return p;
    });
    assertThat(outcome.refusal()).isEmpty();
    assertThat(outcome.created()).hasSize(200);
    assertThat(made).hasSize(200).doesNotHaveDuplicates();
    assertThat(asked).hasSize(200);
    assertThat(concurrency.stream().mapToInt(i -> i).max().orElse(0)).isGreaterThan(1).isLessThanOrEqualTo(SlowStartCreates.MAX_BATCH);
  }

  @Test
  void aPodTheApiServerRefusesCostsOneRequestNotOnePerMissingPod() {
    var outcome = create(500, p -> {
      throw error(422);
    });
    assertThat(asked).containsExactly("c-cpu-0");
    assertThat(outcome.created()).isEmpty();
    assertThat(outcome.refusal()).hasValueSatisfying(r -> {
      assertThat(r.pod().getMetadata().getName()).isEqualTo("c-cpu-0");
      assertThat(r.cause().getCode()).isEqualTo(422);
    });
  }

  @Test
  void aNameStillTakenIsPassedOverForTheNextOrdinal() {
    Set<String> terminating = Set.of("c-cpu-1", "c-cpu-2");
    var outcome = create(3, p -> {
      if (terminating.contains(p.getMetadata().getName())) {
        throw error(409);
      }
      return p;
    });
    assertThat(outcome.created()).extracting(p -> p.getMetadata().getName()).containsExactly("c-cpu-0", "c-cpu-3", "c-cpu-4");
  }

  @Test
  void podsMadeBeforeAnErrorAreReportedBeforeItIsThrown() {
    // Batches: [0], [1, 2], [3..6]: pod 5 meets a server error, the rest of its batch is made.
    assertThatThrownBy(() -> create(20, p -> {
      if (p.getMetadata().getName().equals("c-cpu-5")) {
        throw error(500);
      }
      return p;
    })).isInstanceOf(KubernetesClientException.class);
    assertThat(made).containsExactlyInAnyOrder("c-cpu-0", "c-cpu-1", "c-cpu-2", "c-cpu-3", "c-cpu-4", "c-cpu-6");
  }

  @Test
  void oneEventNamesABatch() {
    assertThat(NodeSetReconciler.createdMessage(List.of("a-0"))).isEqualTo("Created pod a-0");
    assertThat(NodeSetReconciler.createdMessage(IntStream.range(0, 7).mapToObj(i -> "a-" + i).toList()))
        .isEqualTo("Created 7 pods: a-0, a-1, a-2, a-3, a-4 and 2 more");
  }

  @Test
  void aCreateInANamespaceBeingDeletedIsToldApartFromARefusedTemplate() {
    // As kube-apiserver's NamespaceLifecycle admission answers (seen on the local cluster).
    var terminating = new KubernetesClientException(new StatusBuilder().withCode(403).withReason("Forbidden")
        .withMessage("pods \"c-cpu-0\" is forbidden: unable to create new content in namespace ns because it is being terminated")
        .withNewDetails().addNewCause().withReason("NamespaceTerminating").withField("metadata.namespace")
        .withMessage("namespace ns is being terminated").endCause().endDetails().build());
    assertThat(NodeSetReconciler.namespaceTerminating(terminating)).isTrue();
    assertThat(NodeSetReconciler.namespaceTerminating(error(403))).isFalse();
    assertThat(NodeSetReconciler.namespaceTerminating(error(422))).isFalse();
  }
}
