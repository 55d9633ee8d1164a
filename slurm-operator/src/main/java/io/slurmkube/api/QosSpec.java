package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** A Slurm quality of service: a priority, which QOS it may preempt, and limits. */
@ValidationRule(value = "!has(self.preempt) || !(self.name in self.preempt)",
    message = "spec.accounting.qos[].preempt names the QOS itself; a QOS cannot preempt its own jobs, remove its name from preempt",
    fieldPath = ".preempt")
public class QosSpec {
  @Required
  @Size(min = 1, max = 64)
  @Pattern(Names.UNIX_NAME)
  @ValidationRule(value = "self != 'normal'", message = "spec.accounting.qos[].name: 'normal' is Slurm's own default QOS and is not managed here; choose another name")
  public String name;

  @Size(max = 256)
  @Pattern("^[^\\n\\r]*$")
  public String description;

  @Min(0)
  @Max(1000000)
  @JsonPropertyDescription("Priority: added to a job's priority through PriorityWeightQOS (normalized against the highest QOS priority).")
  public Integer priority;

  @Size(max = 32)
  @JsonPropertyDescription("QOS whose running jobs this QOS's pending jobs may preempt (with spec.scheduling.preemption.mode).")
  public List<@Size(max = 64) String> preempt = new ArrayList<>();

  public LimitsSpec limits;
}
