package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** slurmdbd and its database. */
@ValidationRule(value = "self.mode != 'External' || has(self.external)",
    message = "spec.accounting.external is required when spec.accounting.mode is External: give the database host, user and password Secret",
    fieldPath = ".external")
@ValidationRule(value = "!has(self.accounts) || self.accounts.all(a, self.accounts.exists_one(b, b.name == a.name))",
    message = "spec.accounting.accounts: two accounts have the same name; give each account a unique name",
    fieldPath = ".accounts")
// Parents must lead to root within three steps: that refuses unknown parents and every cycle
// (a cycle never reaches root) at a CEL cost the API server accepts, which a general walk is not.
@ValidationRule(value = "!has(self.accounts) || self.accounts.all(a, !has(a.parent) || a.parent == 'root' || "
    + "self.accounts.exists(p, p.name == a.parent && (!has(p.parent) || p.parent == 'root' || "
    + "self.accounts.exists(q, q.name == p.parent && (!has(q.parent) || q.parent == 'root')))))",
    message = "spec.accounting.accounts[].parent must be 'root' or a declared account at most two levels below root "
        + "(accounts nest at most three deep); this also refuses unknown parents and cycles such as a -> b -> a",
    fieldPath = ".accounts")
@ValidationRule(value = "!has(self.qos) || self.qos.all(q, self.qos.exists_one(r, r.name == q.name))",
    message = "spec.accounting.qos: two QOS have the same name; give each QOS a unique name",
    fieldPath = ".qos")
@ValidationRule(value = "!has(self.qos) || self.qos.all(q, !has(q.preempt) || q.preempt.all(p, p == 'normal' || self.qos.exists(r, r.name == p)))",
    message = "spec.accounting.qos[].preempt names a QOS that is not in spec.accounting.qos (nor 'normal'); declare it or correct the name",
    fieldPath = ".qos")
@ValidationRule(value = "!has(self.accounts) || self.accounts.all(a, (!has(a.qos) || a.qos.all(q, q == 'normal' || (has(self.qos) && self.qos.exists(r, r.name == q)))) "
    + "&& (!has(a.defaultQos) || a.defaultQos == 'normal' || (has(self.qos) && self.qos.exists(r, r.name == a.defaultQos))))",
    message = "spec.accounting.accounts[].qos or defaultQos names a QOS that is not in spec.accounting.qos (nor 'normal'); declare it or correct the name",
    fieldPath = ".accounts")
@ValidationRule(value = "self.mode != 'None' || ((!has(self.accounts) || size(self.accounts) == 0) && (!has(self.qos) || size(self.qos) == 0))",
    message = "spec.accounting.accounts and qos need slurmdbd: set spec.accounting.mode to Embedded or External, or remove them",
    fieldPath = ".mode")
public class AccountingSpec {
  public enum Mode { Embedded, External, None }

  @Default("Embedded")
  @JsonPropertyDescription("Embedded runs MariaDB as a StatefulSet; External uses spec.accounting.external; None runs no slurmdbd.")
  public Mode mode = Mode.Embedded;

  @Default("1Gi")
  @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")
  @JsonPropertyDescription("Size of the embedded database's volume.")
  public String storageSize = "1Gi";

  @JsonPropertyDescription("MariaDB image for embedded accounting; defaults to the control-plane image, which ships MariaDB.")
  public String databaseImage;

  public ExternalDatabaseSpec external;

  @Size(max = 64)
  @JsonPropertyDescription("Slurm accounts (the fair-share tree below root) the operator keeps in slurmdbd. Users join them with spec.users[].account/accounts. See the README on what removing one does.")
  public List<AccountSpec> accounts = new ArrayList<>();

  @Size(max = 32)
  @JsonPropertyDescription("Slurm QOS the operator keeps in slurmdbd (Slurm's own 'normal' stays as it is).")
  public List<QosSpec> qos = new ArrayList<>();

  public boolean usesSlurmdbd() {
    return mode != Mode.None;
  }
}
