package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A MySQL/MariaDB database that slurmdbd uses instead of the embedded one. Host, user and database
 * are written into slurmdbd.conf as they are: only characters that cannot end or extend a line
 * there are accepted.
 */
public class ExternalDatabaseSpec {
  @Required
  @Size(min = 1, max = 253)
  @ValidationRule(value = "self.matches('^[A-Za-z0-9.:-]+$')",
      message = "must be a host name or IP address (letters, digits, '.', '-', ':'): no spaces, line breaks or '#', since it is written into slurmdbd.conf; give the database server's address")
  @JsonPropertyDescription("Host name or IP address of the database server.")
  public String host;

  @Default("3306")
  @Min(1)
  @Max(65535)
  public int port = 3306;

  @Default("slurm_acct_db")
  @Size(min = 1, max = 64)
  @ValidationRule(value = "self.matches('^[A-Za-z0-9_$]+$')",
      message = "must be a MySQL database name of letters, digits, '_' and '$': no spaces, line breaks or '#', since it is written into slurmdbd.conf; give the database's name (for example slurm_acct_db)")
  public String database = "slurm_acct_db";

  @Required
  @Size(min = 1, max = 80)
  @ValidationRule(value = "self.matches('^[A-Za-z0-9_.-]+$')",
      message = "must be a database user name of letters, digits, '_', '.' and '-': no spaces, line breaks or '#', since it is written into slurmdbd.conf; give the user slurmdbd logs in as")
  public String user;

  @Required
  @JsonPropertyDescription("Secret key that holds the database password.")
  public SecretKeyRef passwordSecretRef;
}
