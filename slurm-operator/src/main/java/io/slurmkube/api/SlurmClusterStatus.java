package io.slurmkube.api;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

public class SlurmClusterStatus {
  public Long observedGeneration;
  /** Ready, Progressing and Degraded, with reasons a person can act on. */
  public List<Condition> conditions = new ArrayList<>();
  /** Readiness of each component: controller, accounting, database, restapi, login. */
  public List<ComponentStatus> components = new ArrayList<>();
  public List<NodeSetSummary> nodeSets = new ArrayList<>();
  public Integer readyNodes;
  public Integer desiredNodes;
  public Integer pendingJobs;
  @com.fasterxml.jackson.annotation.JsonPropertyDescription("The Slurm release slurmctld runs (from its image's tag, e.g. 26.05); absent when the tag names none.")
  public String slurmRelease;
  @com.fasterxml.jackson.annotation.JsonPropertyDescription("What a change of spec.image waits for (slurmdbd first, then slurmctld, then node sets), or why it is refused; absent when no upgrade is under way.")
  public String upgrade;
  /** The Slurm pool (spec.fleet), kept by its own controller; absent without a fleet policy. */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public FleetStatus fleet;
  /** Accounts, QOS and user associations in slurmdbd; absent when none are declared or created. */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public AccountingStatus accounting;
  /** The Slurm auth key's rotation; absent until the key Secret is read. */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public AuthKeyRotationStatus authKey;

  public static class ComponentStatus {
    public String name;
    public boolean ready;
    public String message;

    public ComponentStatus() {}

    public ComponentStatus(String name, boolean ready, String message) {
      this.name = name;
      this.ready = ready;
      this.message = message;
    }
  }

  public static class NodeSetSummary {
    public String name;
    public int desired;
    public int ready;
    public int idle;
    public int allocated;
    public int draining;
  }
}
