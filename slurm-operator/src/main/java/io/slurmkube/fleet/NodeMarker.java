package io.slurmkube.fleet;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.fleet.PoolPlan.Move;
import io.slurmkube.model.PoolMarks;
import io.slurmkube.model.PoolMarks.State;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the operator's marks (pool label, state label, owner annotation, pool taint) on nodes,
 * and remembers what it wrote until the informer has caught up.
 */
final class NodeMarker {
  private static final Logger LOG = LoggerFactory.getLogger(NodeMarker.class);

  enum Outcome { WRITTEN, UNCHANGED, OTHER_POOL, CONFLICT, GONE }

  private final KubernetesClient client;
  /**
   * Nodes as last written here, until the informer has caught up: a pass that starts right after a
   * write must not see the node as it was (and, say, reclaim a second node for the same waiting pod).
   */
  private final Map<String, Node> written = new ConcurrentHashMap<>();

  NodeMarker(KubernetesClient client) {
    this.client = client;
  }

  /** Forgets nodes that are gone. */
  void forgetGone(Predicate<String> exists) {
    written.keySet().removeIf(name -> !exists.test(name));
  }

  /** The informer's node, or the one written here if the informer has not seen it yet. */
  Node latest(Node cached) {
    String name = cached.getMetadata().getName();
    Node mine = written.get(name);
    if (mine == null) {
      return cached;
    }
    if (notOlder(cached, mine)) {
      written.remove(name, mine);
      return cached;
    }
    return mine;
  }

  /** resourceVersions are etcd revisions; when one is not a number, the informer is trusted. */
  static boolean notOlder(Node a, Node b) {
    try {
      return Long.parseLong(a.getMetadata().getResourceVersion()) >= Long.parseLong(b.getMetadata().getResourceVersion());
    } catch (NumberFormatException e) {
      return true;
    }
  }

  /**
   * Gives one node the marks of its new state (or none), read-modify-write with the node's
   * resourceVersion, so that a concurrent writer (the kubelet, another pool's controller) is never
   * overwritten: on a conflict the node is read again, and a node another pool took is left alone.
   */
  Outcome write(Move move, String poolId, String owner) {
    for (int attempt = 0; attempt < 3; attempt++) {
      Node node = client.nodes().withName(move.node()).get();
      if (node == null) {
        return Outcome.GONE;
      }
      Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
      String pool = labels.get(PoolMarks.POOL);
      if (pool != null && !pool.equals(poolId)) {
        return Outcome.OTHER_POOL;
      }
      Node desired = marked(node, poolId, owner, move.to());
      if (Objects.equals(desired.getMetadata().getLabels(), node.getMetadata().getLabels())
          && Objects.equals(desired.getMetadata().getAnnotations(), node.getMetadata().getAnnotations())
          && Objects.equals(desired.getSpec().getTaints(), node.getSpec().getTaints())) {
        return Outcome.UNCHANGED;
      }
      try {
        written.put(move.node(), client.nodes().resource(desired).update());
        return Outcome.WRITTEN;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        LOG.debug("node changed while marking it, reading it again node={}", move.node());
      }
    }
    return Outcome.CONFLICT;
  }

  /** The node with the operator's marks for {@code state}, or without any of them when state is null. */
  static Node marked(Node node, String poolId, String owner, State state) {
    Node copy = new NodeBuilder(node).build();
    Map<String, String> labels = new LinkedHashMap<>(node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels());
    Map<String, String> annotations = new LinkedHashMap<>(node.getMetadata().getAnnotations() == null ? Map.of() : node.getMetadata().getAnnotations());
    List<Taint> taints = new ArrayList<>(node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints());
    taints.removeIf(t -> PoolMarks.POOL.equals(t.getKey()));
    if (state == null) {
      labels.remove(PoolMarks.POOL);
      labels.remove(PoolMarks.STATE);
      annotations.remove(PoolMarks.OWNER);
    } else {
      labels.put(PoolMarks.POOL, poolId);
      labels.put(PoolMarks.STATE, state.label);
      annotations.put(PoolMarks.OWNER, owner);
      if (state.tainted()) {
        taints.add(PoolMarks.taint(poolId));
      }
    }
    copy.getMetadata().setLabels(labels);
    copy.getMetadata().setAnnotations(annotations);
    // Compare equal to an untouched node: a node without taints has none, not an empty list.
    copy.getSpec().setTaints(taints.isEmpty() && node.getSpec().getTaints() == null ? null : taints);
    return copy;
  }

  static String eventReason(Move move) {
    return switch (move.action()) {
      case JOIN -> "PoolNodeAdded";
      case LEAVE -> "PoolNodeReleased";
      case LEND -> "PoolNodeLent";
      case RECLAIM -> move.to() == State.SLURM ? "PoolNodeReclaimed" : "PoolNodeReclaiming";
      case RECLAIMED -> "PoolNodeReclaimed";
      case CALL_OFF -> "PoolReclaimCalledOff";
      case REPAIR -> "PoolNodeRepaired";
    };
  }
}
