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

/**
 * A Unix user of the cluster: the same uid and gid on login, slurmd and slurmctld pods, a home on
 * the shared /home, SSH keys for the login pods, and (with accounting) Slurm associations.
 */
public class UserSpec {
  /** Ids below are the image's own accounts; 64030/64031 are slurm's and slurmrestd's. */
  public static final String RESERVED_IDS_CEL = "[64030, 64031, 65534]";

  @Required
  @Size(min = 1, max = 32)
  @Pattern(Names.UNIX_NAME)
  @ValidationRule(value = "!(self in " + Names.RESERVED_UNIX_NAMES_CEL + ")",
      message = "spec.users[].name is an account the images already have (root, slurm, nobody, ...); choose another name")
  @JsonPropertyDescription("Login name: lower-case letters, digits, '_' and '-', starting with a letter or '_' (at most 32).")
  public String name;

  @Required
  @Min(1000)
  @Max(2147483647)
  @ValidationRule(value = "!(self in " + RESERVED_IDS_CEL + ")",
      message = "spec.users[].uid is the uid of slurm (64030), slurmrestd (64031) or nobody (65534); choose another uid")
  @JsonPropertyDescription("User id (1000 or more), the same on every pod and in every file on shared volumes.")
  public Long uid;

  @Min(1000)
  @Max(2147483647)
  @ValidationRule(value = "!(self in " + RESERVED_IDS_CEL + ")",
      message = "spec.users[].gid is the gid of slurm (64030), slurmrestd (64031) or nogroup (65534); choose another gid")
  @JsonPropertyDescription("Primary group id; a group of the user's name with this id unless spec.groups names one. Default: the uid.")
  public Long gid;

  @Size(max = 16)
  @JsonPropertyDescription("Names of further groups (from spec.groups) the user belongs to.")
  public List<@Size(max = 32) String> groups = new ArrayList<>();

  // A line break would add a key (or options) unseen. A pattern, not a CEL rule: it costs no CEL budget.
  @Size(max = 16)
  @JsonPropertyDescription("SSH public keys this user logs in to the login pods with, one authorized_keys line each (no line breaks).")
  public List<@Size(min = 1, max = 16384) @Pattern("^[^\\r\\n]+$") String> sshAuthorizedKeys = new ArrayList<>();

  @Default("/bin/bash")
  @Pattern("^/[^\\s:]*$")
  @JsonPropertyDescription("Login shell (default /bin/bash); it must exist in the login and slurmd images.")
  public String shell = "/bin/bash";

  @Size(max = 40)
  @JsonPropertyDescription("The user's default Slurm account (one of spec.accounting.accounts). Required for the user to run jobs when accounting is on.")
  public String account;

  @Size(max = 16)
  @JsonPropertyDescription("Further Slurm accounts the user may charge jobs to (sbatch -A).")
  public List<@Size(max = 40) String> accounts = new ArrayList<>();

  /** The primary group id. */
  public long primaryGid() {
    return gid != null ? gid : uid;
  }
}
