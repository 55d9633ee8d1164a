package io.slurmkube.metrics;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the operator costs the API server: every request its Kubernetes client makes, counted as
 * slurmkube_kubernetes_requests_total{verb,resource,code} ("verb" and "resource" as RBAC names them;
 * a watch counts once, when it is opened). Added to the client as an interceptor before the meter
 * registry exists, so requests are counted from the first one and served once bound.
 */
public final class KubernetesRequests implements Interceptor, MeterBinder {
  /** The verb and resource of a request as the RBAC authorizer sees it; namespace "" when cluster-wide. */
  public record Access(String verb, String resource, String namespace) {
    @Override
    public String toString() {
      return verb + " " + resource + (namespace.isEmpty() ? "" : " ns=" + namespace);
    }
  }

  private record Key(String verb, String resource, String code) {}

  private final Map<Key, LongAdder> counts = new ConcurrentHashMap<>();
  private volatile MeterRegistry registry;

  /** Called once for every response, refused ones included. */
  @Override
  public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
    record(request.method(), request.uri(), response.code());
  }

  /** Counts one request that was answered with {@code code}. */
  public void record(String method, URI uri, int code) {
    Access access = access(method, uri);
    var key = new Key(access.verb(), access.resource(), Integer.toString(code));
    counts.computeIfAbsent(key, k -> {
      var adder = new LongAdder();
      MeterRegistry bound = registry;
      if (bound != null) {
        register(bound, k, adder);
      }
      return adder;
    }).increment();
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    this.registry = registry;
    counts.forEach((key, adder) -> register(registry, key, adder));
  }

  private static void register(MeterRegistry registry, Key key, LongAdder adder) {
    FunctionCounter.builder("slurmkube.kubernetes.requests", adder, LongAdder::sum)
        .description("Requests the operator made to the Kubernetes API server (a watch counts when opened)")
        .tag("verb", key.verb()).tag("resource", key.resource()).tag("code", key.code())
        .register(registry);
  }

  /** "verb", "group/resource[/subresource]" ("" is the core group) and namespace of a request. */
  public static Access access(String method, URI uri) {
    String[] parts = uri.getPath().replaceFirst("^/", "").split("/");
    // /api/v1/... or /apis/<group>/<version>/...
    boolean core = parts[0].equals("api");
    int start = core ? 2 : 3;
    String group = core ? "" : parts.length > 1 ? parts[1] : "";
    String namespace = "";
    if (parts.length > start + 2 && parts[start].equals("namespaces")) {
      namespace = parts[start + 1];
      start += 2;
    }
    String resource = parts.length > start ? parts[start] : "";
    boolean named = parts.length > start + 1;
    String sub = parts.length > start + 2 ? "/" + parts[start + 2] : "";
    String query = uri.getQuery() == null ? "" : uri.getQuery();
    String verb = switch (method) {
      case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> method.toLowerCase(java.util.Locale.ROOT);
    };
    return new Access(verb, group + "/" + resource + sub, namespace);
  }
}
