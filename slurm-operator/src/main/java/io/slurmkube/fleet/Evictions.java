package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.fleet.PoolPlan.Eviction;
import io.slurmkube.reconcile.EventRecorder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Evicts the pods a reclaim needs gone, through the Eviction API so that PodDisruptionBudgets
 * decide, and remembers per pool what was evicted lately and which refusal was warned about.
 */
final class Evictions {
  private static final Duration EVICTED_MEMORY = Duration.ofSeconds(60);

  private final KubernetesClient client;
  /** The same client without retries: a refused eviction (HTTP 429) is an answer, not a reason to wait. */
  private final KubernetesClient noRetry;
  private final EventRecorder events;
  private final Clock clock;
  private final Map<String, Memory> memory = new ConcurrentHashMap<>();

  private static final class Memory {
    /** Last refusal warned about, per pod, so a blocked eviction is one Warning, not one per pass. */
    final Map<String, String> warned = new HashMap<>();
    /** Pods evicted lately: not evicted again while the informer has not seen them go. */
    final Map<String, Instant> evicted = new HashMap<>();
  }

  Evictions(KubernetesClient client, EventRecorder events, Clock clock) {
    this.client = client;
    this.noRetry = client.newClient(new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
        .withRequestRetryBackoffLimit(0).build()).adapt(KubernetesClient.class);
    this.events = events;
    this.clock = clock;
  }

  /** Evicts each pod not on a node in {@code skip}; returns the refusals per node. */
  Map<String, String> evict(SlurmCluster cluster, String poolId, List<Eviction> evictions, Set<String> skip) {
    Memory mem = memory.computeIfAbsent(poolId, k -> new Memory());
    Map<String, String> refusals = new HashMap<>();
    Instant now = clock.instant();
    mem.evicted.values().removeIf(at -> at.isBefore(now.minus(EVICTED_MEMORY)));
    for (Eviction e : evictions) {
      String ref = e.namespace() + "/" + e.pod();
      if (skip.contains(e.node()) || mem.evicted.containsKey(ref)) {
        continue;
      }
      var body = new EvictionBuilder().withNewMetadata().withName(e.pod()).withNamespace(e.namespace()).endMetadata().build();
      try {
        noRetry.raw(client.getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/" + e.namespace()
            + "/pods/" + e.pod() + "/eviction", "POST", body);
        mem.warned.remove(ref);
        mem.evicted.put(ref, now);
        events.normal(cluster, "PodEvicted", "Evicted pod " + ref + " from node " + e.node() + " to reclaim the node for Slurm");
      } catch (KubernetesClientException ex) {
        if (ex.getCode() == 404) {
          continue; // already gone
        }
        String reason = "pod " + ref + " may not be evicted: " + refusal(ex);
        refusals.merge(e.node(), reason, (a, b) -> a);
        if (!reason.equals(mem.warned.put(ref, reason))) {
          events.warning(cluster, "EvictionBlocked", "Node " + e.node() + " stays reclaiming: " + reason);
        }
      }
    }
    return refusals;
  }

  void forget(String poolId) {
    memory.remove(poolId);
  }

  /** The API server's words for a refused eviction, e.g. which disruption budget said no. */
  static String refusal(KubernetesClientException e) {
    var status = e.getStatus();
    if (status == null) {
      return e.getMessage();
    }
    String message = status.getMessage() == null ? "" : status.getMessage().strip();
    if (status.getDetails() != null && status.getDetails().getCauses() != null) {
      String causes = status.getDetails().getCauses().stream().map(StatusCause::getMessage)
          .filter(Objects::nonNull).collect(Collectors.joining("; "));
      if (!causes.isEmpty()) {
        message += " (" + causes + ")";
      }
    }
    return message + (e.getCode() == 429 ? " [HTTP 429: a PodDisruptionBudget allows no disruption now]" : "");
  }
}
