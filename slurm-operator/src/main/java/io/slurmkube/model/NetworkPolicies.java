package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.slurmkube.model.Labels.Component;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ingress NetworkPolicies of one cluster: each Slurm pod accepts only the pods that must reach it.
 * Egress stays open (DNS, an external database, whatever jobs fetch). Policies only add up, so a
 * site that needs more (a portal calling slurmrestd) adds its own policy next to these.
 *
 * <pre>
 *   MariaDB    3306  <- slurmdbd
 *   slurmdbd   6819  <- slurmctld, login and slurmd (sacct, sacctmgr, also in job scripts), slurmrestd
 *   slurmctld  6817  <- slurmd, login, slurmrestd, slurmdbd
 *              6821  <- the operator (queue reader)
 *   slurmrestd 6820  <- the operator, login
 *   slurmd     6818  <- login (srun)
 *              any   <- slurmctld, slurmd (step traffic, MPI, srun inside jobs listens on any port)
 *   login        22  <- anyone (sshd)
 *              any   <- slurmctld, slurmd (srun and salloc listen on ephemeral ports for them)
 * </pre>
 *
 * Kubelet probes come from the node, which network plugins let through to the node's own pods.
 */
public final class NetworkPolicies {
  static final int SSH_PORT = 22;

  private NetworkPolicies() {}

  /**
   * The operator's own pods: their namespace and labels, which the chart passes by environment.
   *
   * @param namespace the operator's namespace
   * @param podLabels labels every operator pod carries (the chart's selector labels)
   */
  public record OperatorPods(String namespace, Map<String, String> podLabels) {
    public OperatorPods {
      if (namespace == null || namespace.isBlank()) {
        throw new IllegalArgumentException("the operator's namespace is needed to let it through the network policies");
      }
      if (podLabels == null || podLabels.isEmpty()) {
        throw new IllegalArgumentException("the operator's pod labels are needed to let it through the network policies");
      }
      podLabels = Map.copyOf(podLabels);
    }

    /** From "key=value,key=value" (OPERATOR_POD_LABELS, set by the chart). */
    public static OperatorPods parse(String namespace, String labels) {
      Map<String, String> parsed = new LinkedHashMap<>();
      for (String pair : labels == null ? new String[0] : labels.split(",")) {
        if (pair.isBlank()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("operator pod label '" + pair.trim() + "' is not key=value");
        }
        parsed.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
      return new OperatorPods(namespace, parsed);
    }
  }

  /** Names of the policies: one per component, named like the component's workload. */
  public static String name(ClusterModel model, String component) {
    var names = model.names();
    return switch (component) {
      case Component.CONTROLLER -> names.controller();
      case Component.ACCOUNTING -> names.accounting();
      case Component.DATABASE -> names.database();
      case Component.REST_API -> names.restApi();
      case Component.LOGIN -> names.login();
      case Component.NODE -> names.nodes();
      default -> throw new IllegalArgumentException("no network policy for component " + component);
    };
  }

  /** The policies of every component this cluster runs. */
  public static List<NetworkPolicy> build(ClusterModel model, OperatorPods operator) {
    List<NetworkPolicy> policies = new ArrayList<>();
    if (model.runsDatabase()) {
      policies.add(policy(model, Component.DATABASE,
          rule(DatabaseBuilder.PORT, pods(model, Component.ACCOUNTING))));
    }
    if (model.runsSlurmdbd()) {
      policies.add(policy(model, Component.ACCOUNTING,
          rule(SlurmConfig.SLURMDBD_PORT, pods(model, Component.CONTROLLER, Component.LOGIN, Component.NODE,
              Component.REST_API))));
    }
    policies.add(policy(model, Component.CONTROLLER,
        rule(SlurmConfig.SLURMCTLD_PORT,
            pods(model, Component.NODE, Component.LOGIN, Component.REST_API, Component.ACCOUNTING)),
        rule(ControllerBuilder.QUEUE_READER_PORT, List.of(operator(operator)))));
    if (model.runsRestApi()) {
      var from = new ArrayList<>(pods(model, Component.LOGIN));
      from.add(operator(operator));
      policies.add(policy(model, Component.REST_API, rule(RestApiBuilder.PORT, from)));
    }
    policies.add(policy(model, Component.NODE,
        rule(SlurmConfig.SLURMD_PORT, pods(model, Component.LOGIN)),
        anyPort(pods(model, Component.CONTROLLER, Component.NODE))));
    policies.add(policy(model, Component.LOGIN,
        new NetworkPolicyIngressRuleBuilder()
            .withPorts(new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(SSH_PORT)).build())
            .build(), // no "from": sshd is for everyone
        anyPort(pods(model, Component.CONTROLLER, Component.NODE))));
    return policies;
  }

  private static NetworkPolicy policy(ClusterModel model, String component, NetworkPolicyIngressRule... rules) {
    return new NetworkPolicyBuilder()
        .withMetadata(Owned.meta(model.cluster(), name(model, component), Labels.of(model.name(), component)))
        .withNewSpec()
          .withNewPodSelector().withMatchLabels(Labels.selector(model.name(), component)).endPodSelector()
          .withPolicyTypes("Ingress")
          .withIngress(rules)
        .endSpec()
        .build();
  }

  private static NetworkPolicyIngressRule rule(int port, List<NetworkPolicyPeer> from) {
    return new NetworkPolicyIngressRuleBuilder()
        .withFrom(peers(from))
        .withPorts(new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(port)).build())
        .build();
  }

  private static NetworkPolicyIngressRule anyPort(List<NetworkPolicyPeer> from) {
    return new NetworkPolicyIngressRuleBuilder().withFrom(peers(from)).build();
  }

  /** An empty "from" would let everyone in: never build one by accident. */
  private static List<NetworkPolicyPeer> peers(List<NetworkPolicyPeer> from) {
    if (from.isEmpty()) {
      throw new IllegalStateException("an ingress rule without peers would admit every source");
    }
    return from;
  }

  /** Pods of these components of this cluster, in its namespace. */
  private static List<NetworkPolicyPeer> pods(ClusterModel model, String... components) {
    List<NetworkPolicyPeer> peers = new ArrayList<>();
    for (String component : components) {
      if (runs(model, component)) {
        peers.add(new NetworkPolicyPeerBuilder()
            .withNewPodSelector().withMatchLabels(Labels.selector(model.name(), component)).endPodSelector()
            .build());
      }
    }
    return peers;
  }

  private static boolean runs(ClusterModel model, String component) {
    return switch (component) {
      case Component.DATABASE -> model.runsDatabase();
      case Component.ACCOUNTING -> model.runsSlurmdbd();
      case Component.REST_API -> model.runsRestApi();
      default -> true;
    };
  }

  /** The operator's pods, in its own namespace (kubernetes.io/metadata.name is set on every namespace). */
  private static NetworkPolicyPeer operator(OperatorPods operator) {
    return new NetworkPolicyPeerBuilder()
        .withNewNamespaceSelector().withMatchLabels(Map.of("kubernetes.io/metadata.name", operator.namespace())).endNamespaceSelector()
        .withNewPodSelector().withMatchLabels(operator.podLabels()).endPodSelector()
        .build();
  }
}
