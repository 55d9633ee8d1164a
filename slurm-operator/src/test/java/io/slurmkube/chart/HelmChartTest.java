package io.slurmkube.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import io.slurmkube.testing.Helm;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a platform team auditing charts/slurmkube-operator checks, over what the pinned Helm renders:
 * lint passes, the schema refuses bad values, object names are release-scoped yet the default
 * release keeps the names the install script and the e2e tests use, every container has resources,
 * and the RBAC rules are exactly the listed ones, with no wildcard.
 */
class HelmChartTest {

  static final Path CHART = Helm.CHART;
  static final String GPU_ON = "gpuDra.enabled=true";

  /** Each test reports itself skipped, with the reason, where the tools are not built (test-all.sh builds them first). */
  @BeforeEach
  void needsHelm() throws IOException {
    assumeTrue(Helm.built(), "Helm " + Helm.version() + " is not built (no " + Helm.binary()
        + "): run e2e/substrate/build-tools.sh (e2e/test-all.sh does) to check the chart");
  }

  static Helm.Result helm(String... args) throws IOException, InterruptedException {
    return Helm.run(args);
  }

  static List<Map<String, Object>> render(String release, String namespace, String... sets) throws Exception {
    return Helm.render(release, namespace, sets);
  }

  @SuppressWarnings("unchecked")
  static <T> T at(Object node, String... path) {
    Object current = node;
    for (String key : path) {
      current = current == null ? null : ((Map<String, Object>) current).get(key);
    }
    return (T) current;
  }

  /** Kind, namespace (empty: cluster-scoped) and name: what two objects must not share. */
  static String key(Map<String, Object> object) {
    String namespace = at(object, "metadata", "namespace");
    return object.get("kind") + " " + (namespace == null ? "" : namespace) + "/" + at(object, "metadata", "name");
  }

  static Set<String> keys(List<Map<String, Object>> objects) {
    return objects.stream().map(HelmChartTest::key).collect(Collectors.toCollection(HashSet::new));
  }

  static List<Map<String, Object>> ofKind(List<Map<String, Object>> objects, String... kinds) {
    return objects.stream().filter(o -> List.of(kinds).contains(o.get("kind"))).toList();
  }

  @Test
  void lintPasses() throws Exception {
    for (String[] args : List.of(new String[] {"lint", CHART.toString()},
        new String[] {"lint", CHART.toString(), "--set", GPU_ON, "--set", "replicas=2"})) {
      Helm.Result result = helm(args);
      assertThat(result.exitCode()).as("helm %s:%n%s", String.join(" ", args), result.output()).isZero();
      assertThat(result.output()).contains("1 chart(s) linted, 0 chart(s) failed").doesNotContain("[ERROR]");
    }
  }

  @Test
  void theSchemaRefusesBadValuesWithTheirPath() throws Exception {
    Map<String, String> refusals = Map.of(
        "logLevel=loud", "at '/logLevel': value must be one of 'trace', 'debug', 'info', 'warn', 'error'",
        "image.pullPolicy=Sometimes", "at '/image/pullPolicy': value must be one of",
        "gpuDra.image.pullPolicy=always", "at '/gpuDra/image/pullPolicy': value must be one of",
        "metrics.port=70000", "at '/metrics/port'",
        "watchNamespaces={Team_A}", "at '/watchNamespaces/0'",
        "resources.requests.memory=lots", "at '/resources/requests/memory'",
        "gpuDra.kubeletDir=var/lib/kubelet", "at '/gpuDra/kubeletDir'",
        "replicas=2,leaderElection=false", "at '/leaderElection': value must be true",
        "fullnameOverride=Ops", "at '/fullnameOverride'",
        "logLevl=debug", "additional properties 'logLevl' not allowed");
    for (var refusal : refusals.entrySet()) {
      Helm.Result result = helm("template", "slurmkube", CHART.toString(), "--set", refusal.getKey());
      assertThat(result.exitCode()).as("--set %s was accepted", refusal.getKey()).isNotZero();
      assertThat(result.output()).as("--set %s", refusal.getKey())
          .contains("values don't meet the specifications of the schema").contains(refusal.getValue());
    }
    // ... while the values the e2e tests install with pass.
    assertThat(render("slurmkube", "slurmkube-system", "image.pullPolicy=Never", GPU_ON, "gpuDra.simulatedGpus=4",
        "gpuDra.kubeletDir=/var/lib/slurmkube-cluster/kubelet", "logLevel=debug", "watchNamespaces={team-a,team-b}"))
        .isNotEmpty();
  }

  /** e2e/install-slurmkube.sh installs release slurmkube into slurmkube-system; tests look these up by name. */
  @Test
  void theDefaultReleaseKeepsItsNames() throws Exception {
    var objects = render("slurmkube", "slurmkube-system", GPU_ON);
    assertThat(keys(objects)).containsExactlyInAnyOrder(
        "ServiceAccount slurmkube-system/slurmkube-operator",
        "ServiceAccount slurmkube-system/gpu-dra-plugin",
        "ClusterRole /slurmkube-operator",
        "ClusterRoleBinding /slurmkube-operator",
        "ClusterRole /slurmkube-operator-cluster",
        "ClusterRoleBinding /slurmkube-operator-cluster",
        "ClusterRole /slurmkube-gpu-dra-plugin",
        "ClusterRoleBinding /slurmkube-gpu-dra-plugin",
        "Role slurmkube-system/slurmkube-operator-leader-election",
        "RoleBinding slurmkube-system/slurmkube-operator-leader-election",
        "Service slurmkube-system/slurmkube-operator-metrics",
        "Deployment slurmkube-system/slurmkube-operator",
        "DaemonSet slurmkube-system/gpu-dra-plugin",
        "DeviceClass /gpu.slurmkube.io");
    var deployment = ofKind(objects, "Deployment").get(0);
    assertThat((Map<String, Object>) at(deployment, "spec", "template", "metadata", "labels"))
        .isEqualTo(Map.of("app.kubernetes.io/name", "slurmkube-operator", "app.kubernetes.io/instance", "slurmkube"));
    assertThat((String) at(deployment, "spec", "template", "spec", "serviceAccountName")).isEqualTo("slurmkube-operator");
    assertThat((String) at(ofKind(objects, "DaemonSet").get(0), "spec", "template", "spec", "serviceAccountName"))
        .isEqualTo("gpu-dra-plugin");
  }

  @Test
  void twoReleasesDoNotCollide() throws Exception {
    var first = render("slurmkube", "slurmkube-system");
    var elsewhere = render("team-b", "team-b-system");
    var sameNamespace = render("team-c", "slurmkube-system");
    assertThat(keys(elsewhere)).doesNotContainAnyElementsOf(keys(first));
    assertThat(keys(sameNamespace)).doesNotContainAnyElementsOf(keys(first));
    assertThat(keys(elsewhere)).contains("ClusterRole /team-b-operator", "ClusterRoleBinding /team-b-operator",
        "Deployment team-b-system/team-b-operator");
    // Each binding grants its own role to its own release's ServiceAccount.
    for (var binding : ofKind(elsewhere, "ClusterRoleBinding", "RoleBinding")) {
      assertThat((String) at(binding, "roleRef", "name")).isEqualTo(at(binding, "metadata", "name"));
      assertThat((List<Map<String, Object>>) at(binding, "subjects"))
          .containsExactly(Map.of("kind", "ServiceAccount", "name", "team-b-operator", "namespace", "team-b-system"));
    }
    // The Service selects this release's operator pods only.
    var service = ofKind(elsewhere, "Service").get(0);
    assertThat((Map<String, Object>) at(service, "spec", "selector")).containsEntry("app.kubernetes.io/instance", "team-b");

    // With the GPU plugin, the only shared object is the driver's DeviceClass: enable it in one release.
    var gpuFirst = render("slurmkube", "slurmkube-system", GPU_ON);
    var gpuElsewhere = render("team-b", "team-b-system", GPU_ON);
    Set<String> shared = keys(gpuElsewhere);
    shared.retainAll(keys(gpuFirst));
    assertThat(shared).containsExactly("DeviceClass /gpu.slurmkube.io");
    assertThat(keys(gpuElsewhere)).contains("ClusterRole /team-b-gpu-dra-plugin", "ClusterRoleBinding /team-b-gpu-dra-plugin");
  }

  /** The operator makes NetworkPolicies by default and lets its own release's pods through them. */
  @Test
  void networkPoliciesAreOnByDefaultAndNameTheOperatorsPods() throws Exception {
    for (String release : List.of("slurmkube", "team-b")) {
      var deployment = ofKind(render(release, release + "-system"), "Deployment").get(0);
      Map<String, String> env = env(deployment);
      assertThat(env).containsEntry("NETWORK_POLICIES", "true");
      Map<String, Object> podLabels = at(deployment, "spec", "template", "metadata", "labels");
      // Every label the policies require is one the operator's pods carry.
      assertThat(env.get("OPERATOR_POD_LABELS").split(",")).isNotEmpty().allSatisfy(pair -> {
        String[] kv = pair.split("=", 2);
        assertThat(podLabels).containsEntry(kv[0], kv[1]);
      });
      assertThat(env.get("OPERATOR_POD_LABELS")).contains("app.kubernetes.io/instance=" + release);
    }
    var off = ofKind(render("slurmkube", "slurmkube-system", "networkPolicies.enabled=false"), "Deployment").get(0);
    assertThat(env(off)).containsEntry("NETWORK_POLICIES", "false");
    Helm.Result bad = helm("template", "slurmkube", CHART.toString(), "--set", "networkPolicies.enabled=maybe");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.output()).contains("at '/networkPolicies/enabled'");
  }

  /** A lost DNS answer costs the operator 1 s, not resolv.conf's 5 s; a site may set its own or none. */
  @Test
  void theOperatorPodRetriesDnsAfterOneSecondUnlessTheSiteSaysOtherwise() throws Exception {
    var deployment = ofKind(render("slurmkube", "slurmkube-system"), "Deployment").get(0);
    List<Map<String, Object>> options = at(deployment, "spec", "template", "spec", "dnsConfig", "options");
    assertThat(options).contains(Map.of("name", "timeout", "value", "1"), Map.of("name", "attempts", "value", "3"),
        Map.of("name", "ndots", "value", "2"));
    var none = ofKind(render("slurmkube", "slurmkube-system", "dnsConfig=null"), "Deployment").get(0);
    assertThat((Map<String, Object>) at(none, "spec", "template", "spec")).doesNotContainKey("dnsConfig");
    Helm.Result bad = helm("template", "slurmkube", CHART.toString(), "--set", "dnsConfig.options[0].value=1");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.output()).contains("/dnsConfig/options/0").contains("name");
  }

  static Map<String, String> env(Map<String, Object> deployment) {
    List<Map<String, Object>> containers = at(deployment, "spec", "template", "spec", "containers");
    Map<String, String> env = new TreeMap<>();
    for (Map<String, Object> variable : (List<Map<String, Object>>) containers.get(0).get("env")) {
      if (variable.get("value") != null) {
        env.put((String) variable.get("name"), (String) variable.get("value"));
      }
    }
    return env;
  }

  @Test
  void everyContainerHasResources() throws Exception {
    var workloads = ofKind(render("slurmkube", "slurmkube-system", GPU_ON), "Deployment", "DaemonSet", "StatefulSet", "Job");
    assertThat(workloads).hasSize(2);
    for (var workload : workloads) {
      List<Map<String, Object>> containers = new ArrayList<>(at(workload, "spec", "template", "spec", "containers"));
      List<Map<String, Object>> init = at(workload, "spec", "template", "spec", "initContainers");
      if (init != null) {
        containers.addAll(init);
      }
      for (var container : containers) {
        String which = key(workload) + " container " + container.get("name");
        assertThat((Map<String, Object>) at(container, "resources", "requests")).as(which).containsKeys("cpu", "memory");
        assertThat((Map<String, Object>) at(container, "resources", "limits")).as(which).containsKey("memory");
      }
    }
  }

  /**
   * Every permission the chart grants, as "role: apiGroup/resource: verbs" ("" is the core group).
   * A change to the chart's RBAC changes this list, so a reviewer sees it here.
   */
  @Test
  void rbacIsExactlyTheListedRulesWithoutWildcards() throws Exception {
    var roles = ofKind(render("slurmkube", "slurmkube-system", GPU_ON), "ClusterRole", "Role");
    Map<String, String> granted = new TreeMap<>();
    for (var role : roles) {
      for (Map<String, Object> rule : (List<Map<String, Object>>) role.get("rules")) {
        List<String> groups = (List<String>) rule.get("apiGroups");
        List<String> resources = (List<String>) rule.get("resources");
        List<String> verbs = (List<String>) rule.get("verbs");
        assertThat(rule).as("%s rule %s", key(role), rule).doesNotContainKeys("nonResourceURLs", "resourceNames");
        for (List<String> list : List.of(groups, resources, verbs)) {
          assertThat(list).as("%s rule %s", key(role), rule).isNotEmpty().doesNotContain("*")
              .allSatisfy(s -> assertThat(s).doesNotContain("*"));
        }
        for (String group : groups) {
          for (String resource : resources) {
            String where = key(role) + ": " + group + "/" + resource;
            assertThat(granted).as("%s is granted twice", where).doesNotContainKey(where);
            granted.put(where, String.join(",", verbs));
          }
        }
      }
    }
    assertThat(granted).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
        Map.entry("ClusterRole /slurmkube-operator: slurmkube.io/slurmclusters", "get,list,watch,patch"),
        Map.entry("ClusterRole /slurmkube-operator: slurmkube.io/nodesets", "get,list,watch,create,patch,delete"),
        Map.entry("ClusterRole /slurmkube-operator: slurmkube.io/slurmclusters/status", "patch"),
        Map.entry("ClusterRole /slurmkube-operator: slurmkube.io/nodesets/status", "patch"),
        Map.entry("ClusterRole /slurmkube-operator: slurmkube.io/nodesets/scale", "get,update"),
        Map.entry("ClusterRole /slurmkube-operator: autoscaling/horizontalpodautoscalers", "get,list,watch"),
        Map.entry("ClusterRole /slurmkube-operator: /pods", "get,list,watch,create,delete,patch"),
        Map.entry("ClusterRole /slurmkube-operator: /services", "get,list,watch,create,patch,delete"),
        Map.entry("ClusterRole /slurmkube-operator: /configmaps", "get,list,watch,create,patch,delete"),
        Map.entry("ClusterRole /slurmkube-operator: /secrets", "get,list,watch,create,update"),
        Map.entry("ClusterRole /slurmkube-operator: /events", "create"),
        Map.entry("ClusterRole /slurmkube-operator: /persistentvolumeclaims", "get,create,update"),
        Map.entry("ClusterRole /slurmkube-operator: apps/statefulsets", "get,list,watch,create,patch,delete"),
        Map.entry("ClusterRole /slurmkube-operator: apps/deployments", "get,list,watch,create,patch,delete"),
        Map.entry("ClusterRole /slurmkube-operator: resource.k8s.io/resourceclaimtemplates", "get,create,patch,delete"),
        Map.entry("ClusterRole /slurmkube-operator: policy/poddisruptionbudgets", "get,create"),
        Map.entry("ClusterRole /slurmkube-operator: networking.k8s.io/networkpolicies", "get,list,watch,create,patch,delete"),
        Map.entry("ClusterRole /slurmkube-operator-cluster: storage.k8s.io/storageclasses", "get,list"),
        Map.entry("ClusterRole /slurmkube-operator-cluster: /nodes", "list,watch"),
        Map.entry("Role slurmkube-system/slurmkube-operator-leader-election: coordination.k8s.io/leases", "get,create,update,patch"),
        Map.entry("ClusterRole /slurmkube-gpu-dra-plugin: resource.k8s.io/resourceslices", "get,list,watch,create,update,patch,delete"),
        Map.entry("ClusterRole /slurmkube-gpu-dra-plugin: resource.k8s.io/resourceclaims", "get"),
        Map.entry("ClusterRole /slurmkube-gpu-dra-plugin: /nodes", "get")));
    // Slurm pools add the powers over Nodes and, cluster-wide, over the pods of lent nodes, and read
    // the administrators' SlurmNodePools; nothing else.
    assertThat(granted(render("slurmkube", "slurmkube-system", "fleet.enabled=true"), "ClusterRole /slurmkube-operator-cluster"))
        .containsExactlyInAnyOrderEntriesOf(Map.of(
            "storage.k8s.io/storageclasses", "get,list",
            "/nodes", "list,watch,get,update",
            "/pods", "list,watch",
            "/pods/eviction", "create",
            "policy/poddisruptionbudgets", "list,watch",
            "slurmkube.io/slurmnodepools", "list,watch"));
  }

  /**
   * With watchNamespaces, a Role in each of them and a ClusterRole with nothing namespaced: the
   * operator can read Secrets (and make pods) only where its SlurmClusters live.
   */
  @Test
  void watchNamespacesTurnsTheRulesIntoRolesInThoseNamespaces() throws Exception {
    var all = render("slurmkube", "slurmkube-system");
    var scoped = render("slurmkube", "slurmkube-system", "watchNamespaces={team-a,team-b}");
    assertThat(keys(scoped)).contains("Role team-a/slurmkube-operator", "RoleBinding team-a/slurmkube-operator",
        "Role team-b/slurmkube-operator", "RoleBinding team-b/slurmkube-operator",
        "ClusterRole /slurmkube-operator-cluster", "ClusterRoleBinding /slurmkube-operator-cluster")
        .doesNotContain("ClusterRole /slurmkube-operator", "ClusterRoleBinding /slurmkube-operator");
    // The same rules, only where they apply.
    assertThat(granted(scoped, "Role team-a/slurmkube-operator"))
        .isEqualTo(granted(all, "ClusterRole /slurmkube-operator"))
        .containsEntry("/secrets", "get,list,watch,create,update");
    assertThat(granted(scoped, "ClusterRole /slurmkube-operator-cluster")).containsOnlyKeys("storage.k8s.io/storageclasses", "/nodes");
    for (var binding : ofKind(scoped, "RoleBinding")) {
      assertThat((List<Map<String, Object>>) at(binding, "subjects"))
          .containsExactly(Map.of("kind", "ServiceAccount", "name", "slurmkube-operator", "namespace", "slurmkube-system"));
    }
  }

  /**
   * Monitoring is opt-in; turned on, the ServiceMonitor selects the metrics Service by its labels and
   * port, and every series the dashboard queries is one the operator really exports (scraped from a
   * registry fed by SlurmMetrics, so a renamed metric breaks this test, not a dashboard in production).
   */
  @Test
  void theServiceMonitorAndDashboardAreOptInAndQueryOnlyExportedMetrics() throws Exception {
    assertThat(keys(render("slurmkube", "slurmkube-system")))
        .doesNotContain("ServiceMonitor slurmkube-system/slurmkube-operator", "ConfigMap slurmkube-system/slurmkube-operator-dashboard");
    var objects = render("slurmkube", "slurmkube-system", "metrics.serviceMonitor.enabled=true", "metrics.dashboard.enabled=true");
    var monitor = ofKind(objects, "ServiceMonitor").get(0);
    var service = ofKind(objects, "Service").get(0);
    assertThat((Map<String, Object>) at(service, "metadata", "labels"))
        .containsAllEntriesOf(at(monitor, "spec", "selector", "matchLabels"));
    assertThat((List<Map<String, Object>>) at(monitor, "spec", "endpoints")).singleElement()
        .satisfies(e -> assertThat(e).containsEntry("port", "http").containsEntry("path", "/metrics"));
    var dashboard = ofKind(objects, "ConfigMap").get(0);
    assertThat((Map<String, Object>) at(dashboard, "metadata", "labels")).containsEntry("grafana_dashboard", "1");
    String json = (String) ((Map<String, Object>) dashboard.get("data")).get("slurmkube.json");
    Set<String> queried = new java.util.TreeSet<>();
    var matcher = java.util.regex.Pattern.compile("slurmkube_[a-z_]+").matcher(json);
    while (matcher.find()) {
      queried.add(matcher.group().replaceAll("_(bucket|count|sum)$", ""));
    }
    assertThat(queried).hasSizeGreaterThanOrEqualTo(8).isSubsetOf(exportedSeries());
    assertThat(new ObjectMapper().readTree(json).get("panels")).isNotEmpty();
  }

  /** The series names the operator's SlurmMetrics and KubernetesRequests export, as a Prometheus scrape shows them. */
  static Set<String> exportedSeries() {
    var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    var metrics = new io.slurmkube.metrics.SlurmMetrics(registry);
    var now = java.time.Instant.now();
    var job = new io.slurmkube.slurm.SlurmJob(1, "j", "u", "p", Set.of("PENDING"), "Resources", now, 1, 1, 0, "", "");
    metrics.queue("ns", "c", List.of(job), now);
    metrics.queue("ns", "c", List.of(new io.slurmkube.slurm.SlurmJob(1, "j", "u", "p", Set.of("RUNNING"), "None",
        now, 1, 1, 0, "", ""), new io.slurmkube.slurm.SlurmJob(2, "j", "u", "p", Set.of("PENDING"), "Resources",
        now, 1, 1, 0, "", "")), now);
    metrics.nodeSet("ns", "c", "cpu", List.of(), 1, 1);
    metrics.scaleDecision("ns", "c", "cpu", 0, 1, List.of(job), now);
    metrics.drained("ns", "c", "cpu", 1);
    metrics.removed("ns", "c", "cpu", 1);
    var requests = new io.slurmkube.metrics.KubernetesRequests();
    requests.bindTo(registry);
    requests.record("POST", java.net.URI.create("https://k/api/v1/namespaces/ns/pods"), 201);
    Set<String> names = new java.util.TreeSet<>();
    for (String line : registry.scrape().split("\n")) {
      if (line.startsWith("slurmkube_")) {
        names.add(line.replaceAll("[{ ].*", "").replaceAll("_(bucket|count|sum)$", ""));
      }
    }
    return names;
  }

  /** One role's rules as "apiGroup/resource" -> "verbs". */
  static Map<String, String> granted(List<Map<String, Object>> objects, String roleKey) {
    Map<String, String> granted = new TreeMap<>();
    var role = objects.stream().filter(o -> key(o).equals(roleKey)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + roleKey + " in " + keys(objects)));
    for (Map<String, Object> rule : (List<Map<String, Object>>) role.get("rules")) {
      for (String group : (List<String>) rule.get("apiGroups")) {
        for (String resource : (List<String>) rule.get("resources")) {
          granted.put(group + "/" + resource, String.join(",", (List<String>) rule.get("verbs")));
        }
      }
    }
    return granted;
  }
}
