package io.slurmkube.slurm;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.ClusterModel;
import io.slurmkube.model.KeySecrets;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Slurm client per SlurmCluster, talking to its slurmrestd as SlurmUser with tokens signed
 * from the cluster's JWT key Secret. A changed key (new Secret version) gets a new client.
 */
public class SlurmConnections {
  /** The Slurm user the operator acts as: SlurmUser may drain, resume and delete nodes. */
  static final String OPERATOR_USER = "slurm";
  /** Node sets reconcile twice a second each; within this age they share one queue and node listing. */
  public static final Duration SHARED_READ_AGE = Duration.ofMillis(250);
  /** The queue reader answers from memory: anything slower is a reader in trouble. */
  static final Duration READER_TIMEOUT = Duration.ofSeconds(2);
  /** A snapshot older than this means its squeue keeps failing: read slurmrestd instead. */
  static final Duration READER_MAX_AGE = Duration.ofSeconds(30);
  /** After the reader failed, the queue comes from slurmrestd for this long before the reader is asked again. */
  static final Duration READER_RETRY_AFTER = Duration.ofSeconds(30);

  private record Cached(String keyVersion, SlurmClient client, SlurmAccounting accounting) {}

  private final KubernetesClient kubernetes;
  private final Map<String, Cached> clients = new ConcurrentHashMap<>();
  /** One watch per key Secret: every node set asks for its client each second, and a GET each time adds up. */
  private final Map<String, SharedIndexInformer<Secret>> keyWatches = new ConcurrentHashMap<>();

  public SlurmConnections(KubernetesClient kubernetes) {
    this.kubernetes = kubernetes;
  }

  /**
   * The client for a cluster.
   *
   * @throws SlurmUnavailableException when the REST API is off, the key is missing or slurmrestd
   *     does not answer: callers must then change nothing that depends on Slurm
   */
  public SlurmClient forCluster(SlurmCluster cluster) {
    return connection(cluster).client();
  }

  /**
   * The accounting client for a cluster (its slurmdbd through slurmrestd, as SlurmUser, a slurmdbd
   * administrator), speaking the API version the cluster's client found.
   *
   * @throws SlurmUnavailableException as {@link #forCluster}
   */
  public SlurmAccounting accountingFor(SlurmCluster cluster) {
    return connection(cluster).accounting();
  }

  private Cached connection(SlurmCluster cluster) {
    var model = new ClusterModel(cluster);
    if (!model.runsRestApi()) {
      throw new SlurmUnavailableException("spec.restApi.enabled is false: the operator cannot ask Slurm", null);
    }
    Secret secret = jwtKeySecret(model.namespace(), model.jwtKeySecretName());
    if (secret == null || secret.getData() == null || !secret.getData().containsKey(KeySecrets.JWT_KEY)) {
      throw new SlurmUnavailableException("JWT key Secret " + model.jwtKeySecretName() + " is missing or has no "
          + KeySecrets.JWT_KEY, null);
    }
    String key = model.namespace() + "/" + model.name();
    String version = secret.getMetadata().getResourceVersion();
    Cached cached = clients.get(key);
    if (cached != null && cached.keyVersion().equals(version)) {
      return cached;
    }
    byte[] jwtKey = Base64.getDecoder().decode(secret.getData().get(KeySecrets.JWT_KEY));
    var signer = new JwtSigner(jwtKey, OPERATOR_USER);
    SlurmClient rest = SlurmClients.connect(URI.create(model.names().restApiUrl()), signer);
    // The queue comes from the queue reader in the slurmctld pod; slurmrestd serves the rest.
    var reader = new QueueReaderClient(URI.create(model.names().queueReaderUrl()), READER_TIMEOUT, READER_MAX_AGE,
        Clock.systemUTC());
    SlurmClient client = new SharedReadsClient(new ReaderFirstClient(rest, reader, READER_RETRY_AFTER, Clock.systemUTC()),
        SHARED_READ_AGE, Clock.systemUTC());
    SlurmAccounting accounting = SlurmClients.accounting(rest.apiVersion(), URI.create(model.names().restApiUrl()), signer,
        io.slurmkube.model.SlurmConfig.slurmClusterName(model.name()));
    Cached made = new Cached(version, client, accounting);
    clients.put(key, made);
    return made;
  }

  /** The Secret from its watch's cache (started on first use); null when it does not exist. */
  private Secret jwtKeySecret(String namespace, String name) {
    String id = namespace + "/" + name;
    try {
      return keyWatches.computeIfAbsent(id, k -> kubernetes.secrets().inNamespace(namespace).withName(name).inform())
          .getStore().getByKey(id);
    } catch (KubernetesClientException e) {
      throw new SlurmUnavailableException("cannot watch JWT key Secret " + id + ": " + e.getMessage(), e);
    }
  }

  /** Stops the key watch of a cluster that is gone. */
  public void forget(String namespace, String clusterName, String jwtKeySecretName) {
    clients.remove(namespace + "/" + clusterName);
    var watch = keyWatches.remove(namespace + "/" + jwtKeySecretName);
    if (watch != null) {
      watch.close();
    }
  }
}
