package io.slurmkube.slurm;

import java.util.List;

/** Slurm refused to delete a node because jobs still run on it. Drain it and wait. */
public class SlurmNodeBusyException extends SlurmRequestException {
  private final String node;

  public SlurmNodeBusyException(String node, int status, String message, List<String> errors) {
    super(status, message, errors);
    this.node = node;
  }

  public String node() { return node; }
}
