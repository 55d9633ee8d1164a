package io.slurmkube.api;

/** The name rules shared by node sets and partitions: valid as Slurm names and inside Kubernetes names. */
public final class Names {
  /** Lower-case letters, digits and '-', starting with a letter: Slurm and DNS-1123 accept it. */
  public static final String SLURM_NAME = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
  public static final int MAX_LENGTH = 40;

  private Names() {}
}
