package io.slurmkube.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP to slurmrestd: signs each request, turns statuses and Slurm's error lists into the typed
 * exceptions, and retries reads (GET) with backoff. Shared by every API-version adapter.
 */
final class RestTransport {
  /** Slurm's SLURM_PROTOCOL_AUTHENTICATION_ERROR and ESLURM_ACCESS_DENIED. */
  private static final int AUTHENTICATION_ERROR = 1007;
  private static final int ACCESS_DENIED = 2002;

  private final URI baseUri;
  private final JwtSigner signer;
  private final HttpClient http;
  private final Duration requestTimeout;
  private final RetryPolicy retry;
  private final ObjectMapper json = new ObjectMapper();

  RestTransport(URI baseUri, JwtSigner signer, HttpClient http, Duration requestTimeout, RetryPolicy retry) {
    this.baseUri = baseUri;
    this.signer = signer;
    this.http = http;
    this.requestTimeout = requestTimeout;
    this.retry = retry;
  }

  ObjectMapper json() { return json; }

  /** A read: retried on time-outs, unreachable servers and 5xx, never on refusals. */
  JsonNode get(String path) {
    SlurmException last = null;
    for (int attempt = 1; attempt <= retry.attempts(); attempt++) {
      if (attempt > 1) {
        sleep(retry.delayBefore(attempt));
      }
      try {
        return send("GET", path, null);
      } catch (SlurmTimeoutException | SlurmServerException | SlurmUnavailableException e) {
        last = e;
      }
    }
    throw last;
  }

  JsonNode post(String path, Object body) {
    return send("POST", path, body);
  }

  JsonNode delete(String path) {
    return send("DELETE", path, null);
  }

  /** An answer with its status, for callers that tell success apart by it. */
  record Reply(int status, JsonNode body) {}

  /**
   * A DELETE whose status the caller needs: slurmdbd answers 304 and no body when nothing matched,
   * which is no error here.
   */
  Reply deleteReply(String path) {
    return exchangeChecked("DELETE", path, null);
  }

  private JsonNode send(String method, String path, Object body) {
    return exchangeChecked(method, path, body).body();
  }

  private Reply exchangeChecked(String method, String path, Object body) {
    HttpResponse<String> response = exchange(method, path, body);
    JsonNode answer = parse(response.body());
    check(method, path, response.statusCode(), answer, response.body());
    return new Reply(response.statusCode(), answer);
  }

  private HttpResponse<String> exchange(String method, String path, Object body) {
    HttpRequest.BodyPublisher publisher;
    try {
      publisher = body == null ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot encode the request to " + path, e);
    }
    HttpRequest request = HttpRequest.newBuilder(baseUri.resolve(path))
        .timeout(requestTimeout)
        .header("X-SLURM-USER-NAME", signer.user())
        .header("X-SLURM-USER-TOKEN", signer.token())
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .method(method, publisher)
        .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new SlurmTimeoutException(method + " " + path + ": slurmrestd at " + baseUri + " did not answer within "
          + requestTimeout.toMillis() + " ms", e);
    } catch (IOException e) {
      throw new SlurmUnavailableException(method + " " + path + ": cannot reach slurmrestd at " + baseUri + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SlurmUnavailableException(method + " " + path + ": interrupted", e);
    }
  }

  private JsonNode parse(String body) {
    if (body == null || body.isBlank() || !body.stripLeading().startsWith("{")) {
      return MissingNode.getInstance();
    }
    try {
      return json.readTree(body);
    } catch (IOException e) {
      return MissingNode.getInstance();
    }
  }

  private void check(String method, String path, int status, JsonNode answer, String rawBody) {
    List<Integer> numbers = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (JsonNode error : answer.path("errors")) {
      numbers.add(error.path("error_number").asInt(0));
      String text = error.path("error").asText("");
      String description = error.path("description").asText("");
      errors.add(description.isEmpty() ? text : text.isEmpty() ? description : description + ": " + text);
    }
    String what = method + " " + path + " -> " + status;
    String detail = errors.isEmpty() ? abbreviate(rawBody) : String.join("; ", errors);
    if (status == 401 || status == 511 || numbers.contains(AUTHENTICATION_ERROR)) {
      throw new SlurmAuthException(status, what + ": the token was refused (is the JWT key the cluster's, and the user "
          + signer.user() + " known to Slurm?): " + detail);
    }
    if (status == 403 || numbers.contains(ACCESS_DENIED)) {
      throw new SlurmAuthException(status, what + ": user " + signer.user() + " may not do this: " + detail);
    }
    boolean slurmRefused = numbers.stream().anyMatch(n -> n >= 2000);
    if (status >= 500 && !slurmRefused) {
      throw new SlurmServerException(status, what + ": slurmrestd failed: " + detail);
    }
    if (status >= 400 || !errors.isEmpty()) {
      throw new SlurmRequestException(status, what + ": " + detail, errors);
    }
  }

  private static String abbreviate(String body) {
    if (body == null || body.isBlank()) {
      return "(no body)";
    }
    String flat = body.strip().replaceAll("\\s+", " ");
    return flat.length() > 300 ? flat.substring(0, 300) + "..." : flat;
  }

  private static void sleep(Duration delay) {
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SlurmUnavailableException("interrupted while waiting to retry", e);
    }
  }
}
