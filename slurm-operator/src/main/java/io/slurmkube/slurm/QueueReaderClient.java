package io.slurmkube.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the queue from the cluster's queue reader (slurmctld-image/queue-reader: squeue polled in
 * the slurmctld pod and served as compact JSON on {@code /v1/jobs}), one GET per call and no retry:
 * a reader that does not answer within the timeout is a {@link SlurmUnavailableException}, and
 * so is a snapshot older than {@code maxAge} (its squeue keeps failing).
 */
public final class QueueReaderClient {
  /** The reader's port on the controller Service. */
  public static final int PORT = 6821;

  /** One snapshot: when its squeue started, how long it took, and its pending and running jobs. */
  public record Snapshot(Instant readAt, double readSeconds, List<SlurmJob> jobs) {}

  private final URI jobsUri;
  private final URI keySetUri;
  private final Duration timeout;
  private final Duration maxAge;
  private final Clock clock;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();

  public QueueReaderClient(URI baseUri, Duration timeout, Duration maxAge, Clock clock) {
    this.jobsUri = baseUri.resolve("/v1/jobs");
    this.keySetUri = baseUri.resolve("/v1/auth-key-set");
    this.timeout = timeout;
    this.maxAge = maxAge;
    this.clock = clock;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
  }

  public URI uri() { return jobsUri; }

  public Snapshot read() {
    return snapshot(get(jobsUri), clock.instant(), maxAge);
  }

  /** The SHA-256 of the key set slurmctld last took in, "" when none (see {@link SlurmClient#authKeySet}). */
  public String authKeySet() {
    JsonNode sha = get(keySetUri).path("sha256");
    return sha.isTextual() ? sha.asText() : "";
  }

  private JsonNode get(URI uri) {
    HttpResponse<byte[]> answer;
    try {
      answer = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      throw new SlurmUnavailableException("the queue reader at " + uri + " did not answer within "
          + timeout.toMillis() + " ms", e);
    } catch (IOException e) {
      throw new SlurmUnavailableException("cannot reach the queue reader at " + uri + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SlurmUnavailableException("interrupted while reading the queue reader", e);
    }
    if (answer.statusCode() != 200) {
      throw new SlurmUnavailableException("the queue reader at " + uri + " answered " + answer.statusCode()
          + ": " + new String(answer.body(), java.nio.charset.StandardCharsets.UTF_8), null);
    }
    try {
      return json.readTree(answer.body());
    } catch (IOException e) {
      throw new SlurmUnavailableException("the queue reader at " + uri + " sent unreadable JSON: " + e.getMessage(), e);
    }
  }

  /** The jobs of a {@code /v1/jobs} answer, one {@link SlurmJob} per id; stale or empty snapshots are refused. */
  static Snapshot snapshot(JsonNode body, Instant now, Duration maxAge) {
    JsonNode readAt = body.path("readAt");
    if (!readAt.isTextual()) {
      throw new SlurmUnavailableException("the queue reader has no good squeue yet: " + body.path("error").asText(""), null);
    }
    Instant read = Instant.parse(readAt.asText());
    if (Duration.between(read, now).compareTo(maxAge) > 0) {
      throw new SlurmUnavailableException("the queue reader's last good squeue is from " + read + " ("
          + Duration.between(read, now).toSeconds() + " s ago): " + body.path("error").asText("no error given"), null);
    }
    List<SlurmJob> jobs = new ArrayList<>();
    for (JsonNode group : body.path("jobs")) {
      SlurmJob job = job(group);
      for (JsonNode id : group.path("ids")) {
        jobs.add(new SlurmJob(id.asLong(), job.name(), job.user(), job.partition(), job.states(), job.reason(),
            job.submitTime(), job.nodes(), job.cpus(), job.gpus(), job.features(), job.nodeList(), job.pendingTasks(),
            job.start()));
      }
    }
    return new Snapshot(read, body.path("readSeconds").asDouble(), jobs);
  }

  /**
   * One group as a job (id 0), its fields derived as {@link SlurmRestApi#job} derives them from
   * slurmrestd's. The reader does not send the name or the submit time: nothing decides on them.
   */
  static SlurmJob job(JsonNode group) {
    int nodes = group.path("nodes").asInt();
    int tasks = group.path("tasks").asInt();
    int gpus = Gres.gpus(group.path("tresPerNode").asText("")) * Math.max(nodes, 1)
        + Gres.gpus(group.path("tresPerJob").asText(""))
        + Gres.gpus(group.path("tresPerTask").asText("")) * Math.max(tasks, 1);
    Set<String> states = new LinkedHashSet<>();
    group.path("states").forEach(s -> states.add(s.asText()));
    long eligible = group.path("eligibleTime").asLong(0);
    return new SlurmJob(0, "", group.path("user").asText(""), group.path("partition").asText(""), states,
        group.path("reason").asText("None"), null, nodes, group.path("cpus").asInt(), gpus,
        group.path("features").asText(""), group.path("nodeList").asText(""),
        SlurmJob.arrayTasks(group.path("arrayTasks").asText(""), 0),
        new SlurmJob.StartConditions(eligible > 0 ? Instant.ofEpochSecond(eligible) : null,
            group.path("dependency").asText(""), group.path("held").asBoolean(false)));
  }
}
