package io.slurmkube.testing;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.slurmkube.metrics.KubernetesRequests;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every request a Kubernetes client made, as the RBAC authorizer sees it ("verb group/resource[/sub]
 * in namespace"), and every one the API server refused with 403. Added to a client as an interceptor.
 */
public final class RequestLog implements Interceptor {
  private final Set<String> seen = Collections.synchronizedSet(new TreeSet<>());
  private final Set<String> forbidden = Collections.synchronizedSet(new LinkedHashSet<>());
  private final java.util.Map<String, java.util.concurrent.atomic.LongAdder> counts = new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
    record(request, response.code());
  }

  private void record(HttpRequest request, int code) {
    String access = KubernetesRequests.access(request.method(), request.uri()).toString();
    seen.add(access);
    counts.computeIfAbsent(access, k -> new java.util.concurrent.atomic.LongAdder()).increment();
    if (code == 403) {
      forbidden.add(access + " (" + request.method() + " " + request.uri().getPath() + ")");
    }
  }

  /** Requests so far by access (watch requests count once per watch opened, not per event). */
  public java.util.Map<String, Long> counts() {
    java.util.Map<String, Long> copy = new java.util.TreeMap<>();
    counts.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  public Set<String> seen() {
    synchronized (seen) {
      return new TreeSet<>(seen);
    }
  }

  public Set<String> forbidden() {
    synchronized (forbidden) {
      return new LinkedHashSet<>(forbidden);
    }
  }
}
