package io.slurmkube.api;

/** Where the Slurm auth key's rotation stands (see {@link AuthKeyRotationSpec}). */
public class AuthKeyRotationStatus {
  /** Stable (no rotation running), AddingKey, SwitchingKey or DroppingOldKey. */
  public String phase;
  /** When the current phase began (RFC 3339). */
  public String since;
  /** What the rotation waits for, or why it cannot run. */
  public String message;
  /** The request (annotation value) of the rotation running or last completed. */
  public String request;
  /** When the last rotation completed (RFC 3339). */
  public String lastRotated;
}
