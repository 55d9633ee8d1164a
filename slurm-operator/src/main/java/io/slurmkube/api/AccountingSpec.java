package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** slurmdbd and its database. */
@ValidationRule(value = "self.mode != 'External' || has(self.external)",
    message = "spec.accounting.external is required when spec.accounting.mode is External: give the database host, user and password Secret",
    fieldPath = ".external")
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

  public boolean usesSlurmdbd() {
    return mode != Mode.None;
  }
}
