package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** A Slurm account: a node of the fair-share tree, with limits and the QOS its jobs may use. */
@ValidationRule(value = "!has(self.defaultQos) || !has(self.qos) || size(self.qos) == 0 || self.defaultQos in self.qos",
    message = "spec.accounting.accounts[].defaultQos is not in the account's qos list; add it to qos or choose one of them",
    fieldPath = ".defaultQos")
public class AccountSpec {
  @Required
  @Size(min = 1, max = 40)
  @Pattern(Names.UNIX_NAME)
  @ValidationRule(value = "self != 'root'", message = "spec.accounting.accounts[].name: 'root' is Slurm's own top account; every declared account sits below it")
  @JsonPropertyDescription("Account name (lower-case letters, digits, '_' and '-'; at most 40).")
  public String name;

  @Size(max = 40)
  @JsonPropertyDescription("The parent account: 'root' (default) or a declared account; accounts nest at most three levels below root.")
  public String parent;

  @Size(max = 256)
  @Pattern("^[^\\n\\r]*$")
  public String description;

  @Default("1")
  @Min(0)
  @Max(1000000)
  @JsonPropertyDescription("Fairshare: this account's shares among its siblings (default 1). Accounts of 3 and 1 get 75% and 25% of their parent's share.")
  public Integer fairshare = 1;

  @Size(max = 32)
  @JsonPropertyDescription("The QOS the account's jobs may use (from spec.accounting.qos, or 'normal'); empty: Slurm's default (normal).")
  public List<@Size(max = 64) String> qos = new ArrayList<>();

  @Size(max = 64)
  @JsonPropertyDescription("The QOS a job gets when it names none.")
  public String defaultQos;

  public LimitsSpec limits;

  public String parentOrRoot() {
    return parent == null || parent.isBlank() ? "root" : parent;
  }
}
