package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PrimitiveIterator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Makes a node set's missing pods in batches of 1, 2, 4, ... up to {@link #MAX_BATCH} creates at
 * once, as the ReplicaSet controller does: a pod the API server refuses costs one request, not one
 * per missing pod, while a scale-up to hundreds of pods is not one round trip after another (1,000
 * pods one by one took about three minutes on the local cluster).
 */
final class SlowStartCreates {
  /** Creates in flight at most, over all node sets (the pool is shared). */
  static final int MAX_BATCH = 32;

  /** The pods made, in order, and the API server's refusal (422/403) that stopped creation, if any. */
  record Outcome(List<Pod> created, Optional<Refusal> refusal) {}

  /** A pod the API server would not admit, and why. */
  record Refusal(Pod pod, KubernetesClientException cause) {}

  private static final ExecutorService POOL = Executors.newFixedThreadPool(MAX_BATCH, new java.util.concurrent.ThreadFactory() {
    private final AtomicInteger n = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      var t = new Thread(r, "pod-create-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  });

  private SlowStartCreates() {}

  /**
   * Creates {@code count} pods, built by {@code build} for ordinals taken from {@code freeOrdinals}.
   * An ordinal whose name exists (409: a pod still terminating, or one this cache does not show
   * yet) is passed over for the next. {@code made} hears of each pod as soon as its batch ends,
   * before any error is thrown, so that no created pod goes unrecorded. Other API errors are
   * thrown once the batch they happened in has ended.
   */
  static Outcome create(int count, PrimitiveIterator.OfInt freeOrdinals, IntFunction<Pod> build,
      UnaryOperator<Pod> create, Consumer<Pod> made) {
    List<Pod> created = new ArrayList<>();
    int batch = 1;
    while (created.size() < count) {
      int size = Math.min(batch, count - created.size());
      List<Pod> pods = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        pods.add(build.apply(freeOrdinals.nextInt()));
      }
      List<Result> results = size == 1 ? List.of(attempt(create, pods.get(0))) : inParallel(create, pods);
      Refusal refusal = null;
      RuntimeException failure = null;
      for (Result r : results) {
        if (r.pod() != null) {
          created.add(r.pod());
          made.accept(r.pod());
        } else if (r.error().getCode() == 422 || r.error().getCode() == 403) {
          refusal = refusal != null ? refusal : new Refusal(r.attempted(), r.error());
        } else if (r.error().getCode() != 409) {
          failure = failure != null ? failure : r.error();
        }
      }
      if (failure != null) {
        throw failure;
      }
      if (refusal != null) {
        return new Outcome(created, Optional.of(refusal));
      }
      batch = Math.min(batch * 2, MAX_BATCH);
    }
    return new Outcome(created, Optional.empty());
  }

  /** What one create came to: the pod made, or the API server's error. */
  private record Result(Pod attempted, Pod pod, KubernetesClientException error) {}

  private static Result attempt(UnaryOperator<Pod> create, Pod pod) {
    try {
      return new Result(pod, create.apply(pod), null);
    } catch (KubernetesClientException e) {
      return new Result(pod, null, e);
    }
  }

  private static List<Result> inParallel(UnaryOperator<Pod> create, List<Pod> pods) {
    List<Future<Result>> futures = pods.stream().map(p -> POOL.submit(() -> attempt(create, p))).toList();
    List<Result> results = new ArrayList<>(pods.size());
    RuntimeException unexpected = null;
    for (Future<Result> f : futures) {
      try {
        results.add(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        unexpected = new IllegalStateException("interrupted while creating pods", e);
      } catch (ExecutionException e) {
        unexpected = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
      }
    }
    if (unexpected != null) {
      // Report the pods that were made before giving up, so none is made twice.
      results.add(new Result(null, null, unexpected instanceof KubernetesClientException k ? k
          : new KubernetesClientException(unexpected.getMessage(), unexpected)));
    }
    return results;
  }
}
