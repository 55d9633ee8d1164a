package io.slurmkube;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.slurmkube.metrics.KubernetesRequests;
import io.slurmkube.metrics.SlurmMetrics;
import io.slurmkube.model.NetworkPolicies;
import io.slurmkube.reconcile.EventRecorder;
import io.slurmkube.reconcile.NodeSetReconciler;
import io.slurmkube.reconcile.PassRetry;
import io.slurmkube.reconcile.SlurmClusterReconciler;
import io.slurmkube.slurm.SlurmConnections;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator program. Settings come from the environment (the Helm chart sets them):
 * WATCH_NAMESPACES (comma-separated; empty watches all), LEADER_ELECTION (true/false),
 * POD_NAMESPACE (where the leader lease lives), LEADER_ELECTION_LEASE (its name, one per release),
 * FLEET_ENABLED (Slurm pools; the chart grants their rights over Nodes only then),
 * HTTP_PORT (health and metrics, default 8080), NETWORK_POLICIES (true: each SlurmCluster gets
 * NetworkPolicies; default false, as only the chart knows the operator's pods) and
 * OPERATOR_POD_LABELS ("key=value,...": the operator's pods in POD_NAMESPACE, which the policies
 * let reach slurmrestd and the queue reader).
 */
public final class SlurmkubeOperator {
  private static final Logger LOG = LoggerFactory.getLogger(SlurmkubeOperator.class);

  private final KubernetesClient client;
  private final Operator operator;
  private volatile boolean stopping;
  private final NodeSetReconciler nodeSets;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** What the chart decides: which namespaces, the leader lease, and whether Slurm pools are on. */
  public record Settings(Set<String> namespaces, boolean leaderElection, String leaseNamespace, String leaseName,
      boolean fleetEnabled) {
    public static Settings of(Set<String> namespaces, boolean leaderElection, String leaseNamespace) {
      return new Settings(namespaces, leaderElection, leaseNamespace, DEFAULT_LEASE, true);
    }
  }

  static final String DEFAULT_LEASE = "slurmkube-operator";

  public SlurmkubeOperator(KubernetesClient client, Set<String> namespaces, boolean leaderElection, String leaseNamespace) {
    this(client, Settings.of(namespaces, leaderElection, leaseNamespace), new SlurmConnections(client));
  }

  /** With the given way to reach Slurm: tests pass a stand-in for the clusters they drive. */
  public SlurmkubeOperator(KubernetesClient client, Set<String> namespaces, boolean leaderElection, String leaseNamespace,
      SlurmConnections slurm) {
    this(client, Settings.of(namespaces, leaderElection, leaseNamespace), slurm);
  }

  public SlurmkubeOperator(KubernetesClient client, Settings settings, SlurmConnections slurm) {
    this(client, settings, slurm, null);
  }

  /** @param networkPolicies the operator's own pods, let through each cluster's NetworkPolicies; null: none are made */
  public SlurmkubeOperator(KubernetesClient client, Settings settings, SlurmConnections slurm,
      NetworkPolicies.OperatorPods networkPolicies) {
    this.client = client;
    Set<String> namespaces = settings.namespaces();
    new JvmMemoryMetrics().bindTo(registry);
    this.operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withCloseClientOnStop(false)
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
      if (settings.leaderElection()) {
        // Losing the lease while running ends the process (a replica that is not the leader must
        // not reconcile); giving it up in stop() does not, so tests and shutdown hooks end cleanly.
        o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(settings.leaseName(), settings.leaseNamespace(),
            LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
            LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, null,
            new LeaderCallbacks(() -> { }, this::leaseLost, leader -> { }), false));
      }
    });
    var events = new EventRecorder(client);
    var slurmMetrics = new SlurmMetrics(registry);
    nodeSets = new NodeSetReconciler(client, events, slurm, java.time.Clock.systemUTC(), slurmMetrics);
    operator.register(new SlurmClusterReconciler(client, events, slurm, settings.fleetEnabled(), slurmMetrics,
        networkPolicies), c -> configure(c, namespaces));
    operator.register(nodeSets, c -> configure(c, namespaces));
    if (!settings.fleetEnabled()) {
      return; // no rights over Nodes or other namespaces' pods: a spec.fleet is reported as refused
    }
    // Slurm pools (spec.fleet): SlurmClusters of the watched namespaces, nodes and pods cluster-wide.
    operator.register(new io.slurmkube.fleet.FleetReconciler(client, events, java.time.Clock.systemUTC()),
        c -> configure(c, namespaces));
  }

  /** What every controller shares: the namespaces it watches, and retries without end (PassRetry). */
  private static void configure(ControllerConfigurationOverrider<?> controller, Set<String> namespaces) {
    controller.withRetry(PassRetry.forever());
    if (!namespaces.isEmpty()) {
      controller.settingNamespaces(namespaces);
    }
  }

  public void start() {
    operator.start();
  }

  public void stop() {
    stopping = true;
    nodeSets.stopping(); // before JOSDK stops the informers its passes read
    operator.stop();
  }

  private void leaseLost() {
    if (!stopping) {
      LOG.error("lost the leader lease; exiting so that this replica stops reconciling");
      System.exit(1);
    }
  }

  /**
   * Ready unless the controllers run with an informer that lost its watch. A replica standing by
   * for the leader lease has started no controller and is ready: a rolling update must be able to
   * replace the leader with it.
   */
  public boolean isReady() {
    var runtime = operator.getRuntimeInfo();
    return !runtime.isStarted() || runtime.allEventSourcesAreHealthy();
  }

  /** /healthz and /readyz for the kubelet's probes, /metrics for Prometheus. */
  public HttpServer serveHttp(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/healthz", ex -> respond(ex, 200, "ok\n"));
    server.createContext("/readyz", ex -> {
      boolean ready = isReady();
      respond(ex, ready ? 200 : 503, ready ? "ok\n" : "informers not healthy: "
          + operator.getRuntimeInfo().unhealthyEventSources() + "\n");
    });
    server.createContext("/metrics", ex -> respond(ex, 200, registry.scrape()));
    server.start();
    return server;
  }

  private static void respond(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  public static void main(String[] args) throws IOException {
    Set<String> namespaces = Arrays.stream(env("WATCH_NAMESPACES", "").split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    var settings = new Settings(namespaces, Boolean.parseBoolean(env("LEADER_ELECTION", "true")),
        env("POD_NAMESPACE", "default"), env("LEADER_ELECTION_LEASE", DEFAULT_LEASE),
        Boolean.parseBoolean(env("FLEET_ENABLED", "true")));
    int port = Integer.parseInt(env("HTTP_PORT", "8080"));
    NetworkPolicies.OperatorPods networkPolicies = Boolean.parseBoolean(env("NETWORK_POLICIES", "false"))
        ? NetworkPolicies.OperatorPods.parse(settings.leaseNamespace(), env("OPERATOR_POD_LABELS", ""))
        : null;
    // Counts every request from the first (slurmkube_kubernetes_requests_total).
    var requests = new KubernetesRequests();
    KubernetesClient client = new KubernetesClientBuilder()
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("request-count", requests)).build();
    var app = new SlurmkubeOperator(client, settings, new SlurmConnections(client), networkPolicies);
    requests.bindTo(app.registry);
    var http = app.serveHttp(port);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping operator");
      http.stop(0);
      app.stop();
      client.close();
    }));
    LOG.info("starting operator namespaces={} leaderElection={} lease={} fleet={} httpPort={} networkPolicies={}",
        namespaces.isEmpty() ? "all" : namespaces, settings.leaderElection(), settings.leaseName(),
        settings.fleetEnabled() ? "on" : "off", port,
        networkPolicies == null ? "off" : "on, operator pods " + networkPolicies.podLabels() + " in " + networkPolicies.namespace());
    app.start();
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
