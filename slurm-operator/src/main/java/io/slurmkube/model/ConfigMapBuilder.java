package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.slurmkube.model.Labels.Component;

/** The ConfigMap with slurm.conf and its companions, as slurmctld and slurmdbd read them. */
public final class ConfigMapBuilder {
  private ConfigMapBuilder() {}

  public static ConfigMap build(ClusterModel model) {
    return new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withMetadata(Owned.meta(model.cluster(), model.names().config(), Labels.of(model.name(), Component.CONTROLLER)))
        .addToData(model.configFiles())
        .build();
  }
}
