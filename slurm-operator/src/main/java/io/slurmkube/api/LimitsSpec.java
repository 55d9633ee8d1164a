package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/** Slurm limits of an account (its association) or a QOS, named as sacctmgr names them. Unset = unlimited. */
public class LimitsSpec {
  /** TRES as Slurm writes them: type[/name]=count, comma-separated; memory in MiB or with M/G/T. */
  static final String TRES = "^[a-z]+(/[a-z0-9_.:-]+)?=[0-9]+[MGT]?(,[a-z]+(/[a-z0-9_.:-]+)?=[0-9]+[MGT]?)*$";

  @Size(max = 256)
  @Pattern(TRES)
  @JsonPropertyDescription("GrpTRES: resources all running jobs of the account (or QOS) may hold together, e.g. cpu=16,gres/gpu=4.")
  public String grpTRES;

  @Min(0)
  @Max(1000000)
  @JsonPropertyDescription("GrpJobs: running jobs of the account (or QOS) together.")
  public Integer grpJobs;

  @Min(0)
  @Max(1000000)
  @JsonPropertyDescription("MaxJobs: running jobs per user in the account (for a QOS: MaxJobsPerUser). Further jobs wait with reason AssocMaxJobsLimit (QOSMaxJobsPerUserLimit).")
  public Integer maxJobs;

  @Min(0)
  @Max(1000000)
  @JsonPropertyDescription("MaxSubmitJobs: pending plus running jobs per user (for a QOS: MaxSubmitJobsPerUser); sbatch is refused beyond it.")
  public Integer maxSubmitJobs;

  @Size(max = 256)
  @Pattern(TRES)
  @JsonPropertyDescription("MaxTRESPerJob (MaxTRES): resources one job may hold, e.g. cpu=8.")
  public String maxTRESPerJob;

  @Size(max = 256)
  @Pattern(TRES)
  @JsonPropertyDescription("MaxTRESPerUser: resources one user's running jobs may hold together. QOS only (Slurm has no such association limit).")
  public String maxTRESPerUser;

  @Min(1)
  @Max(52560000)
  @JsonPropertyDescription("MaxWall: the longest time limit a job may have, in minutes.")
  public Integer maxWallMinutes;
}
