package io.slurmkube.slurm;

/** slurmrestd cannot be reached at all (connection refused, reset, unknown host), or speaks no API this client knows. */
public class SlurmUnavailableException extends SlurmException {
  public SlurmUnavailableException(String message, Throwable cause) { super(message, cause); }
}
