package io.slurmkube.slurm;

/**
 * slurmrestd or slurmctld refused the token (slurmrestd answers 401 without a usable token and 511
 * when slurmctld rejects it): the JWT key Secret does not match the cluster's, or the user is unknown.
 */
public class SlurmAuthException extends SlurmException {
  private final int status;

  public SlurmAuthException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() { return status; }
}
