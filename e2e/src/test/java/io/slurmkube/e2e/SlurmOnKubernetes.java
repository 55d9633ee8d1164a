package io.slurmkube.e2e;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A SlurmCluster installed through the chart on the local cluster, and what a user does with it. */
final class SlurmOnKubernetes {
  final KubernetesClient client;
  final String namespace;
  final String cluster;
  /** The node set whose pods, NodeSet and Slurm nodes the helpers look at. */
  final String nodeSetName;
  /** The Pod Security level the namespace enforces (README, "Pod security"). */
  private String podSecurity = BASELINE;

  /** Every pod of a cluster without GPU node sets meets baseline (slurmrestd's also restricted). */
  static final String BASELINE = "baseline";
  /** Pods of node sets of our GPU class mount the GPU DRA plugin's device files through a hostPath. */
  static final String PRIVILEGED = "privileged";

  SlurmOnKubernetes(KubernetesClient client, String namespace) {
    this(client, namespace, "demo", "cpu");
  }

  SlurmOnKubernetes(KubernetesClient client, String namespace, String cluster, String nodeSetName) {
    this.client = client;
    this.namespace = namespace;
    this.cluster = cluster;
    this.nodeSetName = nodeSetName;
  }

  /** For a cluster whose pods need another Pod Security level than baseline. */
  SlurmOnKubernetes withPodSecurity(String level) {
    this.podSecurity = level;
    return this;
  }

  /**
   * A namespace whose Pod Security admission enforces {@code level}: the API server refuses any
   * pod of the operator that does not meet it, so every test in it checks the level too.
   */
  static io.fabric8.kubernetes.api.model.Namespace namespace(String name, String level) {
    return new NamespaceBuilder().withNewMetadata().withName(name)
        .addToLabels("pod-security.kubernetes.io/enforce", level).endMetadata().build();
  }

  /** The operator's /metrics as Prometheus would scrape it, through the API server's service proxy. */
  String operatorMetrics() {
    return client.raw("/api/v1/namespaces/slurmkube-system/services/slurmkube-operator-metrics:http/proxy/metrics");
  }

  /** The value of one sample of the operator's metrics (name and labels as scraped), or null when absent. */
  Double operatorMetric(String name, java.util.Map<String, String> labels) {
    return Metrics.value(operatorMetrics(), name, labels);
  }

  /** Images, chart and operator, as the demo installs them; extra arguments go to `helm upgrade`. */
  static void installOperator(String... helmArgs) throws Exception {
    var command = new java.util.ArrayList<>(List.of(LocalCluster.projectRoot().resolve("e2e/install-slurmkube.sh").toString()));
    command.addAll(List.of(helmArgs));
    LocalCluster.run(command);
  }

  /** The example cluster, with a short scale-down delay so the tests see scale-downs quickly. */
  SlurmCluster applyExample(int scaleDownDelaySeconds) throws Exception {
    client.namespaces().resource(namespace(namespace, podSecurity))
        .serverSideApply();
    try (InputStream in = Files.newInputStream(LocalCluster.projectRoot().resolve("examples/slurmcluster.yaml"))) {
      SlurmCluster example = client.resources(SlurmCluster.class).load(in).item();
      example.getMetadata().setNamespace(namespace);
      example.getSpec().nodeSets.get(0).scaleDownDelaySeconds = scaleDownDelaySeconds;
      return client.resource(example).create();
    }
  }

  /** The namespace, new: one left by an interrupted run would still hold its old cluster and volumes. */
  void freshNamespace() {
    client.namespaces().withName(namespace).delete();
    org.awaitility.Awaitility.await("no namespace " + namespace + " left from an earlier run")
        .atMost(java.time.Duration.ofMinutes(3)).pollInterval(java.time.Duration.ofSeconds(2))
        .until(() -> client.namespaces().withName(namespace).get() == null);
    client.namespaces().resource(namespace(namespace, podSecurity))
        .serverSideApply();
  }

  /**
   * Creates the SlurmCluster of a test resource (a YAML file on the test classpath) in a fresh
   * namespace, and waits until it is Ready.
   */
  void createReady(String resource) throws Exception {
    freshNamespace();
    try (InputStream in = SlurmOnKubernetes.class.getResourceAsStream(resource)) {
      SlurmCluster created = client.resources(SlurmCluster.class).load(in).item();
      created.getMetadata().setNamespace(namespace);
      client.resource(created).create();
    }
    org.awaitility.Awaitility.await("SlurmCluster " + cluster + " Ready").atMost(java.time.Duration.ofMinutes(4))
        .pollInterval(java.time.Duration.ofSeconds(2)).until(this::isReady);
  }

  SlurmCluster slurmCluster() {
    return client.resources(SlurmCluster.class).inNamespace(namespace).withName(cluster).get();
  }

  NodeSet nodeSet() {
    return client.resources(NodeSet.class).inNamespace(namespace).withName(cluster + "-" + nodeSetName).get();
  }

  boolean isReady() {
    SlurmCluster c = slurmCluster();
    return c != null && c.getStatus() != null && c.getStatus().conditions.stream()
        .anyMatch(x -> x.getType().equals("Ready") && x.getStatus().equals("True"));
  }

  List<Pod> nodePods() {
    return client.pods().inNamespace(namespace).withLabel("slurmkube.io/nodeset", nodeSetName).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
  }

  /** The name of a running login pod. */
  String loginPod() {
    return client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/component", "login").list().getItems()
        .stream().filter(p -> "Running".equals(p.getStatus().getPhase()) && p.getMetadata().getDeletionTimestamp() == null)
        .findFirst().orElseThrow(() -> new IllegalStateException("no running login pod")).getMetadata().getName();
  }

  /** Runs a command in the login pod, as a user at a terminal would; returns its standard output. */
  String login(String... command) throws Exception {
    Exec result = exec(loginPod(), command);
    if (result.code() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " exited " + result.code() + ": " + result.err());
    }
    return result.out();
  }

  record Exec(int code, String out, String err) {}

  /**
   * One batch job per user, submitted as that user from the login pod with {@code sbatchOptions}
   * and {@code script} (no single quotes in it), its output in /tmp of node pod {@code nodePod}.
   * Waits until every job COMPLETED; returns, by user, the KEY=VALUE lines each job printed (a
   * key printed twice has its values joined by a space).
   */
  java.util.Map<String, java.util.Map<String, String>> jobsOfUsers(List<String> users, String nodePod,
      String sbatchOptions, String script) throws Exception {
    var jobs = new java.util.LinkedHashMap<String, Long>();
    for (String user : users) {
      var submitted = exec(loginPod(), "su", user, "-c",
          "sbatch --parsable " + sbatchOptions + " -o /tmp/job-%j.out --wrap '" + script + "'");
      if (submitted.code() != 0) {
        throw new IllegalStateException("sbatch as " + user + ": " + submitted.err());
      }
      jobs.put(user, Long.parseLong(submitted.out().strip().split(";")[0]));
    }
    org.awaitility.Awaitility.await("the jobs of " + users + " COMPLETED").atMost(java.time.Duration.ofMinutes(2))
        .pollInterval(java.time.Duration.ofSeconds(2))
        .until(() -> jobs.values().stream().allMatch(job -> {
          try {
            return controllerJobState(job).equals("COMPLETED");
          } catch (Exception e) {
            return false;
          }
        }));
    var seen = new java.util.LinkedHashMap<String, java.util.Map<String, String>>();
    for (var job : jobs.entrySet()) {
      String out = exec(nodePod, "cat", "/tmp/job-" + job.getValue() + ".out").out();
      System.out.println("--- job " + job.getValue() + " of " + job.getKey() + " ---\n" + out);
      var values = new java.util.LinkedHashMap<String, String>();
      out.lines().filter(l -> l.contains("=")).forEach(l -> values.merge(l.substring(0, l.indexOf('=')),
          l.substring(l.indexOf('=') + 1), (a, b) -> a + " " + b));
      seen.put(job.getKey(), values);
    }
    return seen;
  }

  /** Runs a command in a pod of the cluster's namespace, whatever its exit code. */
  Exec exec(String pod, String... command) throws Exception {
    return exec(pod, java.time.Duration.ofSeconds(60), command);
  }

  /** Runs a command in a pod of the cluster's namespace that may take up to {@code timeout}. */
  Exec exec(String pod, java.time.Duration timeout, String... command) throws Exception {
    return exec(namespace, pod, null, timeout, command);
  }

  /** Runs a command in a container (null: the first) of a pod of any namespace. */
  Exec execIn(String podNamespace, String pod, String container, String... command) throws Exception {
    return exec(podNamespace, pod, container, java.time.Duration.ofSeconds(60), command);
  }

  private Exec exec(String podNamespace, String pod, String container, java.time.Duration timeout, String... command)
      throws Exception {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    var target = client.pods().inNamespace(podNamespace).withName(pod);
    var streams = container == null ? target.writingOutput(out).writingError(err)
        : target.inContainer(container).writingOutput(out).writingError(err);
    try (ExecWatch watch = streams.exec(command)) {
      int code = watch.exitCode().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new Exec(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  long sbatch(String... args) throws Exception {
    String[] command = new String[args.length + 2];
    command[0] = "sbatch";
    command[1] = "--parsable";
    System.arraycopy(args, 0, command, 2, args.length);
    return Long.parseLong(login(command).strip().split(";")[0]);
  }

  /** The job's state in accounting (sacct), e.g. COMPLETED, RUNNING, PENDING. */
  String jobState(long id) throws Exception {
    String out = login("sacct", "-X", "-n", "-P", "-o", "State", "-j", Long.toString(id)).strip();
    return out.isEmpty() ? "UNKNOWN" : out.lines().findFirst().orElse("").split(" ")[0];
  }

  /** The job's state as slurmctld holds it (for clusters without accounting), e.g. COMPLETED. */
  String controllerJobState(long id) throws Exception {
    String out = login("scontrol", "show", "job", "-o", Long.toString(id));
    var matcher = java.util.regex.Pattern.compile("JobState=(\\S+)").matcher(out);
    return matcher.find() ? matcher.group(1) : "UNKNOWN";
  }

  /** The state squeue shows (finished jobs included while slurmctld keeps them), or "" once it has dropped the job. */
  String queueState(long id) throws Exception {
    return login("squeue", "-h", "-t", "all", "-o", "%T", "-j", Long.toString(id)).strip();
  }

  /** Slurm node records of this cluster's node set, as "name state reason" (the state tells a failure why). */
  List<String> slurmNodes() throws Exception {
    String out = login("sinfo", "-N", "-h", "-o", "%N %T %E").strip();
    return out.lines().map(String::strip).filter(s -> s.startsWith(cluster + "-" + nodeSetName + "-")).distinct().toList();
  }

  /** Posts an Eviction as kubectl drain does; null when accepted, the refusal otherwise (no client retries). */
  KubernetesClientException evict(String pod) {
    var noRetry = client.newClient(new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
        .withRequestRetryBackoffLimit(0).build()).adapt(KubernetesClient.class);
    var body = new EvictionBuilder().withNewMetadata().withName(pod).withNamespace(namespace).endMetadata().build();
    try {
      noRetry.raw(client.getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/" + namespace
          + "/pods/" + pod + "/eviction", "POST", body);
      return null;
    } catch (KubernetesClientException e) {
      return e;
    }
  }

  String nodeState(String node) throws Exception {
    return login("sinfo", "-N", "-h", "-n", node, "-o", "%T %E").strip();
  }
}
