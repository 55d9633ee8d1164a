package io.slurmkube.model;

/**
 * Names of the Kubernetes objects that make up one SlurmCluster, and the DNS names the Slurm
 * daemons use to find each other. One place, so that builders and slurm.conf agree.
 */
public record ClusterNames(String cluster, String namespace) {

  public String controller() { return cluster + "-controller"; }
  /** The controller runs as pod 0 of its StatefulSet behind a headless Service of the same name. */
  public String controllerPod() { return controller() + "-0"; }
  public String controllerHost() { return controllerPod() + "." + controller() + "." + namespace + ".svc.cluster.local"; }
  public String accounting() { return cluster + "-accounting"; }
  public String accountingHost() { return accounting() + "." + namespace + ".svc.cluster.local"; }
  public String database() { return cluster + "-db"; }
  public String databaseHost() { return database() + "-0." + database() + "." + namespace + ".svc.cluster.local"; }
  public String restApi() { return cluster + "-restapi"; }
  public String restApiUrl() { return "http://" + restApi() + "." + namespace + ".svc.cluster.local:6820"; }
  /** The queue reader, on the controller's headless Service (it runs in the slurmctld pod). */
  public String queueReaderUrl() { return "http://" + controller() + "." + namespace + ".svc.cluster.local:" + ControllerBuilder.QUEUE_READER_PORT; }
  public String login() { return cluster + "-login"; }
  /** The embedded shared /home claim. */
  public String home() { return cluster + "-home"; }
  public String config() { return cluster + "-config"; }
  /** The declared users' passwd, group, shadow and SSH keys (UserDirectory). */
  public String users() { return cluster + "-users"; }
  public String authKeySecret() { return cluster + "-auth-key"; }
  public String jwtKeySecret() { return cluster + "-jwt-key"; }
  public String databaseSecret() { return cluster + "-db-password"; }
  public String sshHostKeysSecret() { return cluster + "-ssh-host-keys"; }
  public String nodeSet(String nodeSetName) { return cluster + "-" + nodeSetName; }
  /** Headless Service that gives every slurmd pod a DNS name equal to its Slurm node name. */
  public String nodes() { return cluster + "-nodes"; }
  public String controllerAddress() { return controllerHost() + ":" + SlurmConfig.SLURMCTLD_PORT; }

  /** Where the daemons reach each other: Kubernetes DNS here, container names in the image tests. */
  public SlurmHosts slurmHosts() {
    return new SlurmHosts(controllerPod(), controllerHost(), accountingHost(), databaseHost());
  }
}
