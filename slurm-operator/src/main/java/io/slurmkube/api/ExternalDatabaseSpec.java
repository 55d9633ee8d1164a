package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** A MySQL/MariaDB database that slurmdbd uses instead of the embedded one. */
public class ExternalDatabaseSpec {
  @Required
  public String host;

  @Default("3306")
  @Min(1)
  @Max(65535)
  public int port = 3306;

  @Default("slurm_acct_db")
  public String database = "slurm_acct_db";

  @Required
  public String user;

  @Required
  @JsonPropertyDescription("Secret key that holds the database password.")
  public SecretKeyRef passwordSecretRef;
}
