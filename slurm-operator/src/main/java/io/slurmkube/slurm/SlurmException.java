package io.slurmkube.slurm;

/** Base of every error the Slurm client raises. */
public class SlurmException extends RuntimeException {
  public SlurmException(String message) { super(message); }

  public SlurmException(String message, Throwable cause) { super(message, cause); }
}
