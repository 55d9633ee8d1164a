package io.slurmkube.slurm;

import java.util.List;

/** Slurm refused the request itself (a 4xx status or errors in the answer), e.g. an unknown node. */
public class SlurmRequestException extends SlurmException {
  private final int status;
  private final List<String> errors;

  public SlurmRequestException(int status, String message, List<String> errors) {
    super(message);
    this.status = status;
    this.errors = List.copyOf(errors);
  }

  public int status() { return status; }

  /** Slurm's own error messages, as slurmrestd returned them. */
  public List<String> errors() { return errors; }
}
