package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** How slurmctld orders and limits jobs: priority with fair share, enforcement of accounting, preemption. */
public class SchedulingSpec {
  /**
   * slurm.conf keys the operator writes (or that the API covers): extraConfig may not set them, as a
   * second value would contradict the first. Compared case-insensitively, as Slurm reads keys.
   */
  static final String OWNED_KEYS_CEL = "['clustername', 'slurmctldhost', 'controlmachine', 'slurmctldport', "
      + "'slurmdport', 'slurmuser', 'slurmduser', 'authtype', 'credtype', 'authalttypes', 'authaltparameters', "
      + "'slurmctldparameters', 'statesavelocation', 'slurmdspooldir', 'slurmctldpidfile', 'slurmdpidfile', 'proctracktype', "
      + "'taskplugin', 'jobacctgathertype', 'selecttype', 'selecttypeparameters', 'schedulertype', 'grestypes', "
      + "'maxnodecount', 'maxjobcount', 'treewidth', 'returntoservice', 'metricstype', 'accountingstoragetype', "
      + "'accountingstoragehost', 'accountingstorageport', 'accountingstoragetres', 'accountingstorageenforce', "
      + "'jobcomptype', 'prioritytype', 'priorityweightfairshare', 'priorityweightage', 'priorityweightqos', "
      + "'priorityweightjobsize', 'priorityweightpartition', 'prioritydecayhalflife', 'prioritycalcperiod', "
      + "'prioritymaxage', 'preempttype', 'preemptmode', 'nodename', 'nodeset', 'partitionname', 'include', "
      + "'schedulerparameters', 'mailprog', 'killwait', 'inactivelimit', 'slurmdtimeout', 'mpidefault']";
  /** The same keys as a list, derived from the CEL literal (annotations need the literal). */
  public static final List<String> OWNED_KEYS = List.of(OWNED_KEYS_CEL.replaceAll("[\\[\\]' ]", "").split(","));

  public enum Enforce { associations, limits, qos, safe, nojobs, nosteps, wckeys }

  @JsonPropertyDescription("Job priority: multifactor with fair share when accounting is on.")
  public PrioritySpec priority = new PrioritySpec();

  @JsonPropertyDescription("Preemption by QOS (spec.accounting.qos[].preempt).")
  public PreemptionSpec preemption = new PreemptionSpec();

  @Size(max = 7)
  @JsonPropertyDescription("AccountingStorageEnforce. Default with accounting: [associations, limits, qos] (only users with an association may run jobs; limits and QOS apply). [] turns it off.")
  public List<Enforce> enforce;

  @Size(max = 64)
  @ValidationRule(value = "self.all(l, !(l.split('=')[0].lowerAscii() in " + OWNED_KEYS_CEL + "))",
      message = "spec.scheduling.extraConfig sets a key the operator writes itself (e.g. ClusterName, PartitionName, PriorityType, AccountingStorageEnforce); use the SlurmCluster field for it, or remove the line")
  @JsonPropertyDescription("Further slurm.conf lines (Key=Value) for what the API does not cover, appended as given. Keys the operator writes are refused.")
  // One Key=Value line each: a line break would add keys unseen (a pattern: no CEL budget).
  public List<@Size(max = 1024) @Pattern("^[A-Za-z][A-Za-z0-9]*=[^\\r\\n]+$") String> extraConfig = new ArrayList<>();

  public static class PrioritySpec {
    @Default("true")
    @JsonPropertyDescription("PriorityType=priority/multifactor (fair share, age, QOS) when accounting is on; false keeps priority/basic (first come, first served).")
    public boolean multifactor = true;

    @Min(0) @Max(65533)
    @Default("10000")
    public Integer weightFairshare = 10000;
    @Min(0) @Max(65533)
    @Default("1000")
    public Integer weightAge = 1000;
    @Min(0) @Max(65533)
    @Default("10000")
    public Integer weightQOS = 10000;
    @Min(0) @Max(65533)
    @Default("0")
    public Integer weightJobSize = 0;
    @Min(0) @Max(65533)
    @Default("0")
    public Integer weightPartition = 0;

    @Default("7-0")
    @Pattern("^([0-9]+-)?[0-9]+(:[0-9]+){0,2}$")
    @JsonPropertyDescription("PriorityDecayHalfLife: how fast past usage is forgotten (days-hours, e.g. 7-0). 0 never decays.")
    public String decayHalfLife = "7-0";

    @Min(1) @Max(1440)
    @Default("5")
    @JsonPropertyDescription("PriorityCalcPeriod in minutes: how often usage and fair-share factors are recomputed (default 5; 1 for quick tests).")
    public Integer calcPeriodMinutes = 5;
  }

  public static class PreemptionSpec {
    public enum Mode { Off, Requeue, Cancel }

    @Default("Off")
    @JsonPropertyDescription("Off, Requeue (a preempted job goes back to the queue) or Cancel. Not Off: PreemptType=preempt/qos.")
    public Mode mode = Mode.Off;
  }
}
