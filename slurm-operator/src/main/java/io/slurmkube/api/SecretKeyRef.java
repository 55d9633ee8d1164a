package io.slurmkube.api;

import io.fabric8.generator.annotation.Required;

/** One key of a Secret in the SlurmCluster's namespace. */
public class SecretKeyRef {
  @Required
  public String name;

  @Required
  public String key;
}
