package io.slurmkube.testing;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.net.URI;
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

  @Override
  public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
    record(request, response.code());
  }

  @Override
  public java.util.concurrent.CompletableFuture<Boolean> afterFailure(
      io.fabric8.kubernetes.client.http.BasicBuilder builder, HttpResponse<?> response, RequestTags tags) {
    record(response.request(), response.code());
    return java.util.concurrent.CompletableFuture.completedFuture(false);
  }

  private void record(HttpRequest request, int code) {
    String access = access(request.method(), request.uri());
    seen.add(access);
    if (code == 403) {
      forbidden.add(access + " (" + request.method() + " " + request.uri().getPath() + ")");
    }
  }

  /** "verb group/resource[/subresource] ns=namespace" from a request, as RBAC names them ("" is the core group). */
  static String access(String method, URI uri) {
    String[] parts = uri.getPath().replaceFirst("^/", "").split("/");
    // /api/v1/... or /apis/<group>/<version>/...
    int start = parts[0].equals("api") ? 2 : 3;
    String group = parts[0].equals("api") ? "" : parts[1];
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
      default -> method.toLowerCase();
    };
    return verb + " " + group + "/" + resource + sub + (namespace.isEmpty() ? "" : " ns=" + namespace);
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
