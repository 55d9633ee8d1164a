package io.slurmkube.slurm;

/**
 * Limits on an association or a QOS; null = not set (unlimited). TRES in Slurm's text form, e.g.
 * {@code cpu=8,mem=16384,gres/gpu=2} (mem in MiB, counts integers).
 */
public record SlurmLimits(String grpTres, Integer grpJobs, Integer maxJobs, Integer maxSubmitJobs,
    String maxTresPerJob, String maxTresPerUser, Integer maxWallMinutes) {
  public static final SlurmLimits NONE = new SlurmLimits(null, null, null, null, null, null, null);
}
