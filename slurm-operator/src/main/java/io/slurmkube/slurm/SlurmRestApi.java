package io.slurmkube.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The adapter for slurmrestd's {@code /slurm/v0.0.4x} APIs: v0.0.42 (the newest Slurm 24.11 serves),
 * v0.0.43 (25.05), v0.0.44 (25.11) and v0.0.45 (26.05, which serves v0.0.42 to v0.0.45). Every field
 * the operator reads and writes has the same name and shape in these four but the ping's role
 * (see {@link #ping}); SlurmClusterIT reads one real cluster through each version the server serves
 * and compares. So one class speaks them all; a version that changes a field gets its branch here.
 */
final class SlurmRestApi implements SlurmClient {
  /** The versions this adapter speaks, newest first. */
  static final List<String> VERSIONS = List.of("v0.0.45", "v0.0.44", "v0.0.43", "v0.0.42");
  /** The oldest: what Slurm 24.11 serves. */
  static final String VERSION = "v0.0.42";
  /** ESLURM_NODES_BUSY: what slurmctld answers when asked to delete a node that runs jobs. */
  private static final int NODES_BUSY = 2016;

  private final String version;
  private final String prefix;
  private final RestTransport rest;

  SlurmRestApi(String version, RestTransport rest) {
    if (!VERSIONS.contains(version)) {
      throw new IllegalArgumentException("slurmrestd API " + version + " is not one of " + VERSIONS);
    }
    this.version = version;
    this.prefix = "/slurm/" + version;
    this.rest = rest;
  }

  @Override
  public String apiVersion() { return version; }

  @Override
  public Ping ping() {
    JsonNode answer = rest.get(prefix + "/ping");
    JsonNode first = answer.path("pings").path(0);
    if (first.isMissingNode()) {
      throw new SlurmServerException(200, "slurmrestd answered the ping with no controller: " + answer);
    }
    // v0.0.42 names the controller's role ("mode": "primary"); later versions only say "primary": true.
    String mode = first.path("mode").asText("");
    if (mode.isEmpty() && first.path("primary").isBoolean()) {
      mode = first.path("primary").asBoolean() ? "primary" : "backup";
    }
    return new Ping(first.path("hostname").asText(), first.path("responding").asBoolean(false),
        mode, answer.path("meta").path("slurm").path("release").asText(""), first.path("latency").asLong(0));
  }

  @Override
  public List<SlurmJob> jobs() {
    JsonNode answer = rest.get(prefix + "/jobs");
    List<SlurmJob> jobs = new ArrayList<>();
    for (JsonNode job : answer.path("jobs")) {
      jobs.add(job(job));
    }
    return jobs;
  }

  static SlurmJob job(JsonNode job) {
    int nodes = (int) number(job.path("node_count"));
    int tasks = (int) number(job.path("tasks"));
    int gpus = Gres.gpus(job.path("tres_per_node").asText("")) * Math.max(nodes, 1)
        + Gres.gpus(job.path("tres_per_job").asText(""))
        + Gres.gpus(job.path("tres_per_task").asText("")) * Math.max(tasks, 1);
    long submitted = number(job.path("submit_time"));
    return new SlurmJob(job.path("job_id").asLong(), job.path("name").asText(""), job.path("user_name").asText(""),
        job.path("partition").asText(""), strings(job.path("job_state")), job.path("state_reason").asText("None"),
        Instant.ofEpochSecond(submitted), nodes, (int) number(job.path("cpus")), gpus,
        job.path("features").asText(""), job.path("nodes").asText(""),
        // A pending array's unstarted tasks share this record: "0-7" stands for eight jobs.
        SlurmJob.arrayTasks(job.path("array_task_string").asText(""), number(job.path("array_max_tasks"))),
        startConditions(job));
  }

  /**
   * v0.0.42 has no begin_time: --begin and a requeue's delay show as {@code eligible_time} (scontrol's
   * EligibleTime), 0 while unknown; a hold is {@code hold: true} with priority 0.
   */
  static SlurmJob.StartConditions startConditions(JsonNode job) {
    long eligible = number(job.path("eligible_time"));
    JsonNode priority = job.path("priority");
    boolean priorityZero = priority.isNumber() ? priority.asLong() == 0
        : priority.path("set").asBoolean(false) && !priority.path("infinite").asBoolean(false)
            && priority.path("number").asLong(-1) == 0;
    return new SlurmJob.StartConditions(eligible > 0 ? Instant.ofEpochSecond(eligible) : null,
        job.path("dependency").asText(""), job.path("hold").asBoolean(false) || priorityZero);
  }

  @Override
  public List<SlurmNode> nodes() {
    JsonNode answer = rest.get(prefix + "/nodes");
    List<SlurmNode> nodes = new ArrayList<>();
    for (JsonNode node : answer.path("nodes")) {
      Set<String> states = strings(node.path("state"));
      if (!states.contains("FUTURE")) {
        nodes.add(node(node, states));
      }
    }
    return nodes;
  }

  static SlurmNode node(JsonNode node, Set<String> states) {
    List<String> features = new ArrayList<>();
    node.path("features").forEach(f -> features.add(f.asText()));
    String gres = node.path("gres").asText("");
    return new SlurmNode(node.path("name").asText(), states, features, gres, Gres.gpus(gres),
        Gres.gpus(node.path("gres_used").asText("")), node.path("cpus").asInt(), node.path("alloc_cpus").asInt(),
        node.path("real_memory").asLong(), node.path("alloc_memory").asLong(), node.path("reason").asText(""),
        node.path("reason_set_by_user").asText(""), node.path("address").asText(""));
  }

  @Override
  public void drainNode(String name, String reason) {
    updateNode(name, "DRAIN", reason);
  }

  @Override
  public void resumeNode(String name, String reason) {
    updateNode(name, "RESUME", reason);
  }

  private void updateNode(String name, String state, String reason) {
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("a reason is required to change node " + name + " to " + state);
    }
    ObjectNode body = rest.json().createObjectNode();
    body.putArray("state").add(state);
    body.put("reason", reason);
    rest.post(prefix + "/node/" + encode(name), body);
  }

  @Override
  public void deleteNode(String name) {
    try {
      rest.delete(prefix + "/node/" + encode(name));
    } catch (SlurmRequestException e) {
      boolean busy = e.errors().stream().anyMatch(m -> m.toLowerCase(Locale.ROOT).contains("busy"))
          || e.getMessage().contains("error_number\":" + NODES_BUSY);
      if (busy) {
        throw new SlurmNodeBusyException(name, e.status(), "Slurm refuses to delete node " + name
            + " because it still runs jobs; drain it and wait until it is idle: " + e.getMessage(), e.errors());
      }
      throw e;
    }
  }

  @Override
  public long submitJob(JobSubmission submission) {
    ObjectNode job = rest.json().createObjectNode();
    job.put("name", submission.name());
    job.put("script", submission.script());
    if (submission.partition() != null) {
      job.put("partition", submission.partition());
    }
    job.put("minimum_nodes", submission.nodes());
    job.put("maximum_nodes", submission.nodes());
    job.put("tasks", submission.nodes());
    job.put("cpus_per_task", submission.cpusPerTask());
    if (submission.gpusPerNode() > 0) {
      job.put("tres_per_node", "gres/gpu:" + submission.gpusPerNode());
    }
    if (submission.constraint() != null) {
      job.put("constraints", submission.constraint());
    }
    job.put("current_working_directory", submission.workingDirectory());
    var environment = job.putArray("environment");
    submission.environment().forEach(environment::add);
    ObjectNode body = rest.json().createObjectNode();
    body.set("job", job);
    JsonNode answer = rest.post(prefix + "/job/submit", body);
    JsonNode id = answer.path("job_id");
    if (!id.canConvertToLong() || id.asLong() <= 0) {
      throw new SlurmServerException(200, "slurmrestd accepted job " + submission.name() + " but returned no job id: " + answer);
    }
    return id.asLong();
  }

  /** Slurm's {"set": true, "infinite": false, "number": N} numbers; 0 when unset. */
  static long number(JsonNode value) {
    if (value.isNumber()) {
      return value.asLong();
    }
    return value.path("set").asBoolean(false) && !value.path("infinite").asBoolean(false)
        ? value.path("number").asLong(0) : 0;
  }

  static Set<String> strings(JsonNode array) {
    Set<String> values = new LinkedHashSet<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }

  private static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8);
  }
}
