package io.slurmkube.dra.slice;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.dra.discovery.DiscoveryException;
import io.slurmkube.dra.discovery.Inventory;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's ResourceSlice equal to the discovered inventory: creates it, updates it when
 * the GPUs change (with a higher pool generation), and puts it back when something deleted it —
 * the kubelet wipes a driver's slices when it starts and when the driver stays unregistered. Runs
 * at a fixed interval and on demand; failures are logged and retried, never fatal.
 */
public final class SlicePublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SlicePublisher.class);

  /** Where the inventory comes from; called on every round so that GPU changes are seen. */
  @FunctionalInterface
  public interface InventorySource {
    Inventory discover() throws DiscoveryException;
  }

  private final KubernetesClient client;
  private final String driverName;
  private final String nodeName;
  private final InventorySource source;
  private final AtomicReference<Inventory> lastInventory = new AtomicReference<>();
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "slice-publisher");
    t.setDaemon(true);
    return t;
  });

  public SlicePublisher(KubernetesClient client, String driverName, String nodeName, InventorySource source) {
    this.client = client;
    this.driverName = driverName;
    this.nodeName = nodeName;
    this.source = source;
  }

  /** Publishes now and then every {@code interval}. */
  public void start(Duration interval) {
    executor.scheduleWithFixedDelay(this::publishQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Asks for a round soon (e.g. once the kubelet accepted the registration). */
  public void publishSoon() {
    if (!executor.isShutdown()) {
      executor.execute(this::publishQuietly);
    }
  }

  /** The inventory of the last successful discovery, or null before the first one. */
  public Inventory lastInventory() {
    return lastInventory.get();
  }

  private void publishQuietly() {
    try {
      publish();
    } catch (DiscoveryException e) {
      LOG.error("GPU discovery failed, the ResourceSlice keeps its last devices: {}", e.getMessage());
    } catch (KubernetesClientException e) {
      LOG.warn("could not publish ResourceSlice {} (will retry): {}", ResourceSlices.name(nodeName, driverName), e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("unexpected failure while publishing the ResourceSlice (will retry)", e);
    }
  }

  /** One round: discover, compare with the API server, create or update. */
  public synchronized void publish() throws DiscoveryException {
    Inventory inventory = source.discover();
    Inventory previous = lastInventory.getAndSet(inventory);
    if (previous == null || !previous.equals(inventory)) {
      LOG.info("{} GPU inventory: {}", inventory.source(), inventory.gpus().stream()
          .map(g -> g.name() + "=" + g.uuid() + " (" + g.model() + ", " + g.memoryMiB() + " MiB)").toList());
      inventory.problems().forEach(p -> LOG.warn("GPU discovery: {}", p));
    }
    Node node = client.nodes().withName(nodeName).get();
    String nodeUid = node == null ? null : node.getMetadata().getUid();
    // (fabric8 7.5 spells the DSL method resourcesSlices(); the generic form reads better.)
    var slices = client.resources(ResourceSlice.class);
    String name = ResourceSlices.name(nodeName, driverName);
    ResourceSlice existing = slices.withName(name).get();
    if (existing == null) {
      slices.resource(ResourceSlices.build(driverName, nodeName, nodeUid, inventory.gpus(), 1)).create();
      LOG.info("created ResourceSlice {} with {} devices", name, inventory.gpus().size());
      return;
    }
    long generation = existing.getSpec().getPool().getGeneration();
    ResourceSlice desired = ResourceSlices.build(driverName, nodeName, nodeUid, inventory.gpus(), generation);
    if (!ResourceSlices.sameDevices(existing, desired)) {
      desired = ResourceSlices.build(driverName, nodeName, nodeUid, inventory.gpus(), generation + 1);
      desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
      slices.resource(desired).update();
      LOG.info("updated ResourceSlice {}: {} devices, pool generation {}", name, inventory.gpus().size(), generation + 1);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
