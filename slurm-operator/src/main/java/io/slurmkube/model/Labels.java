package io.slurmkube.model;

import java.util.LinkedHashMap;
import java.util.Map;

/** The labels every object of a SlurmCluster carries; selectors use a stable subset of them. */
public final class Labels {
  public static final String NAME = "app.kubernetes.io/name";
  public static final String INSTANCE = "app.kubernetes.io/instance";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String NODESET = "slurmkube.io/nodeset";
  /**
   * On slurmd pods: "true" only once their Slurm node is drained and holds no job, so Slurm will
   * start nothing there; the node set's PodDisruptionBudget protects every other pod.
   */
  public static final String EVICTABLE = "slurmkube.io/evictable";
  public static final String OPERATOR = "slurmkube-operator";

  private Labels() {}

  /** Labels that select the pods of one component of one cluster. */
  public static Map<String, String> selector(String cluster, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME, "slurm");
    labels.put(INSTANCE, cluster);
    labels.put(COMPONENT, component);
    return labels;
  }

  /** Selector labels plus the ones that are only informative. */
  public static Map<String, String> of(String cluster, String component) {
    Map<String, String> labels = selector(cluster, component);
    labels.put(MANAGED_BY, OPERATOR);
    return labels;
  }

  public static Map<String, String> nodeSetSelector(String cluster, String nodeSet) {
    Map<String, String> labels = selector(cluster, Component.NODE);
    labels.put(NODESET, nodeSet);
    return labels;
  }

  /** The components of a cluster, as they appear in labels and in status. */
  public static final class Component {
    public static final String CONTROLLER = "controller";
    public static final String ACCOUNTING = "accounting";
    public static final String DATABASE = "database";
    public static final String REST_API = "restapi";
    public static final String LOGIN = "login";
    public static final String NODE = "node";
    public static final String HOME = "home";

    private Component() {}
  }
}
