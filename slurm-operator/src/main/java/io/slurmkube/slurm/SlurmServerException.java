package io.slurmkube.slurm;

/** slurmrestd answered with a 5xx status (other than 511, which is an authentication failure). */
public class SlurmServerException extends SlurmException {
  private final int status;

  public SlurmServerException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() { return status; }
}
