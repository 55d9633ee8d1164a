package io.slurmkube.dra.discovery;

/** Discovery could not tell which GPUs this node has (the message says why, for the log). */
public class DiscoveryException extends Exception {

  public DiscoveryException(String message) {
    super(message);
  }
}
