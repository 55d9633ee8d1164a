package io.slurmkube.slurm;

/** slurmrestd did not answer within the request time-out. */
public class SlurmTimeoutException extends SlurmException {
  public SlurmTimeoutException(String message, Throwable cause) { super(message, cause); }
}
