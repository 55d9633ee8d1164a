package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodDNSConfigBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.List;

/** Pieces shared by the pods of a cluster: mounted configuration and keys, DNS, resources. */
final class PodParts {
  static final String CONFIG_VOLUME = "slurm-config";
  static final String SECRETS_VOLUME = "slurm-secrets";

  private PodParts() {}

  static Volume configVolume(ClusterModel model) {
    return new VolumeBuilder().withName(CONFIG_VOLUME)
        .withNewConfigMap().withName(model.names().config()).endConfigMap()
        .build();
  }

  static VolumeMount configMount() {
    return new VolumeMountBuilder().withName(CONFIG_VOLUME).withMountPath(ClusterModel.CONFIG_MOUNT).withReadOnly(true).build();
  }

  /** One volume with the keys a daemon needs, each from the Secret that holds it. */
  static Volume secretsVolume(ClusterModel model, boolean jwtKey, boolean databasePassword) {
    var projected = new VolumeBuilder().withName(SECRETS_VOLUME).withNewProjected().withDefaultMode(0400);
    projected.addNewSource().withNewSecret().withName(model.authKeySecretName())
        .withItems(item(KeySecrets.AUTH_KEY)).endSecret().endSource();
    // The key set of a rotation (and after one); optional, so that a Secret without it mounts too
    // and a rotation changes no pod template (the kubelet refreshes the mounted files).
    projected.addNewSource().withNewSecret().withName(model.authKeySecretName())
        .withItems(item(AuthKeySet.FILE)).withOptional(true).endSecret().endSource();
    if (jwtKey) {
      projected.addNewSource().withNewSecret().withName(model.jwtKeySecretName())
          .withItems(item(KeySecrets.JWT_KEY)).endSecret().endSource();
    }
    if (databasePassword) {
      var external = model.spec().accounting.external;
      String secret = external != null ? external.passwordSecretRef.name : model.names().databaseSecret();
      String key = external != null ? external.passwordSecretRef.key : KeySecrets.DB_PASSWORD;
      projected.addNewSource().withNewSecret().withName(secret)
          .withItems(new KeyToPath(key, null, KeySecrets.DB_PASSWORD)).endSecret().endSource();
    }
    return projected.endProjected().build();
  }

  /**
   * Pod annotations of a daemon that reads the auth key set only at start (slurmdbd, sackd on
   * login pods): a new set changes them and so restarts the pods.
   */
  static java.util.Map<String, String> withAuthKeySet(ClusterModel model, java.util.Map<String, String> annotations) {
    var all = new java.util.LinkedHashMap<>(annotations);
    if (model.authKeySet() != null) {
      all.put(AuthKeyRotation.POD_ANNOTATION, model.authKeySet());
    }
    return all.isEmpty() ? null : all;
  }

  static VolumeMount secretsMount() {
    return new VolumeMountBuilder().withName(SECRETS_VOLUME).withMountPath(ClusterModel.SECRETS_MOUNT).withReadOnly(true).build();
  }

  private static KeyToPath item(String key) {
    return new KeyToPath(key, null, key);
  }

  /**
   * Slurm daemons call each other by short node names; this search domain makes a node pod's
   * name resolve through the headless Service of the cluster's nodes. A DNS answer lost on the
   * way (seen on the local cluster around pod starts: slurmd waited 5 s to reach slurmctld) is
   * asked again after 1 s instead of resolv.conf's default 5 s, and A and AAAA go on separate
   * sockets (the conntrack race that drops one of two parallel UDP queries).
   */
  static PodDNSConfig slurmDns(ClusterModel model) {
    return new PodDNSConfigBuilder()
        .withSearches(model.names().nodes() + "." + model.namespace() + ".svc.cluster.local")
        .addNewOption().withName("timeout").withValue("1").endOption()
        .addNewOption().withName("attempts").withValue("3").endOption()
        .addNewOption().withName("single-request-reopen").endOption()
        .build();
  }

  /** A Service in front of one component's pods. */
  static Service service(ClusterModel model, String name, String component, String portName, int port) {
    return serviceBuilder(model, name, component, portName, port).build();
  }

  /**
   * A headless Service: DNS names for the pods themselves. {@code evenUnready} publishes pods
   * before they are ready, for daemons that must find each other while they start.
   */
  static Service headlessService(ClusterModel model, String name, String component, String portName, int port,
      boolean evenUnready) {
    var builder = serviceBuilder(model, name, component, portName, port);
    builder.editSpec().withClusterIP("None").withPublishNotReadyAddresses(evenUnready ? true : null).endSpec();
    return builder.build();
  }

  private static ServiceBuilder serviceBuilder(ClusterModel model, String name, String component, String portName, int port) {
    return new ServiceBuilder()
        .withMetadata(Owned.meta(model.cluster(), name, Labels.of(model.name(), component)))
        .withNewSpec()
          .withSelector(Labels.selector(model.name(), component))
          .addNewPort().withName(portName).withPort(port).endPort()
        .endSpec();
  }

  /** Requests, and a memory limit: no daemon may take a node's memory from its neighbours. */
  static ResourceRequirements resources(String cpu, String memory, String memoryLimit) {
    return new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity(cpu))
        .addToRequests("memory", new Quantity(memory))
        .addToLimits("memory", new Quantity(memoryLimit))
        .build();
  }

  static List<EnvVar> env(String... namesAndValues) {
    List<EnvVar> env = new ArrayList<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      env.add(new EnvVarBuilder().withName(namesAndValues[i]).withValue(namesAndValues[i + 1]).build());
    }
    return env;
  }
}
