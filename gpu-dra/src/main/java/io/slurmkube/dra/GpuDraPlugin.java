package io.slurmkube.dra;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.slurmkube.dra.discovery.DiscoveryException;
import io.slurmkube.dra.discovery.GpuDiscovery;
import io.slurmkube.dra.discovery.Inventory;
import io.slurmkube.dra.grpc.DraService;
import io.slurmkube.dra.grpc.RegistrationService;
import io.slurmkube.dra.grpc.UnixSocketServer;
import io.slurmkube.dra.prepare.CdiSpecs;
import io.slurmkube.dra.prepare.ClaimPreparer;
import io.slurmkube.dra.prepare.ClaimStore;
import io.slurmkube.dra.prepare.DeviceInfoFiles;
import io.slurmkube.dra.prepare.DeviceNodes;
import io.slurmkube.dra.prepare.NvidiaDeviceNodes;
import io.slurmkube.dra.slice.SlicePublisher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU DRA kubelet plugin: discovers the node's GPUs, publishes them as a ResourceSlice,
 * serves the DRA service on {@code <kubelet dir>/plugins/<driver>/dra.sock} and registers with the
 * kubelet through {@code <kubelet dir>/plugins_registry/<driver>-reg.sock}.
 *
 * <p>Start order matters: the DRA socket serves before the registration socket appears, because
 * the kubelet may call the DRA service as soon as it has registered the plugin. Stop order is the
 * reverse, so the kubelet unregisters the plugin before its DRA socket goes away.
 */
public final class GpuDraPlugin implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GpuDraPlugin.class);

  private final EventLoopGroup group;
  private final SlicePublisher publisher;
  private final ClaimPreparer preparer;
  private final RegistrationService registration;
  private final UnixSocketServer draServer;
  private final UnixSocketServer registrationServer;

  private GpuDraPlugin(EventLoopGroup group, SlicePublisher publisher, ClaimPreparer preparer,
      RegistrationService registration, UnixSocketServer draServer, UnixSocketServer registrationServer) {
    this.group = group;
    this.publisher = publisher;
    this.preparer = preparer;
    this.registration = registration;
    this.draServer = draServer;
    this.registrationServer = registrationServer;
  }

  /** Starts the plugin; returns once both sockets serve and the first publishing round is queued. */
  public static GpuDraPlugin start(PluginConfig config, KubernetesClient client) throws IOException {
    if (!Epoll.isAvailable()) {
      throw new IOException("unix domain sockets need netty's epoll transport, which is unavailable here",
          Epoll.unavailabilityCause());
    }
    LOG.info("starting DRA driver {} on node {} (kubelet dir {}, CDI dir {}, state dir {}, device info dir {})",
        config.driverName(), config.nodeName(), config.kubeletDir(), config.cdiDir(), config.stateDir(),
        config.deviceInfoDir());
    var nvidiaSmi = GpuDiscovery.findExecutable(config.nvidiaSmi(), System.getenv("PATH"));
    GpuDiscovery discovery = new GpuDiscovery(nvidiaSmi, config.simulated(), config.nodeName());
    // Discovery takes nvidia-smi's GPUs when it is there, and the simulated ones otherwise.
    DeviceNodes nodes = nvidiaSmi.isPresent()
        ? new NvidiaDeviceNodes(NvidiaDeviceNodes.PROC_GPUS, Path.of("/dev")) : DeviceNodes.simulated();
    AtomicReference<Inventory> current = new AtomicReference<>();
    try {
      current.set(discovery.discover());
    } catch (DiscoveryException e) {
      LOG.error("GPU discovery failed; no GPUs are published until it works: {}", e.getMessage());
    }
    SlicePublisher publisher = new SlicePublisher(client, config.driverName(), config.nodeName(), () -> {
      Inventory inventory = discovery.discover();
      current.set(inventory);
      return inventory;
    });

    ClaimStore store = new ClaimStore(config.stateDir());
    ClaimPreparer preparer = new ClaimPreparer(config.driverName(), config.nodeName(), current::get,
        (namespace, name) -> client.dynamicResourceAllocation().v1().resourceClaims().inNamespace(namespace).withName(name).get(),
        store, new CdiSpecs(config.cdiDir(), config.driverName(), nodes), new DeviceInfoFiles(config.deviceInfoDir()));
    preparer.restore();

    EventLoopGroup group = new EpollEventLoopGroup(2);
    UnixSocketServer draServer = null;
    try {
      draServer = UnixSocketServer.start(config.draSocket(), group, new DraService(preparer).definitions());
      publisher.start(config.publishInterval());
      RegistrationService registration = new RegistrationService(config.driverName(), config.draSocket(), publisher::publishSoon);
      UnixSocketServer registrationServer = UnixSocketServer.start(config.registrationSocket(), group, List.of(registration));
      return new GpuDraPlugin(group, publisher, preparer, registration, draServer, registrationServer);
    } catch (IOException | RuntimeException e) {
      publisher.close();
      if (draServer != null) {
        draServer.close();
      }
      group.shutdownGracefully();
      throw e;
    }
  }

  public RegistrationService registration() {
    return registration;
  }

  public ClaimPreparer preparer() {
    return preparer;
  }

  public SlicePublisher publisher() {
    return publisher;
  }

  @Override
  public void close() {
    registrationServer.close();
    draServer.close();
    publisher.close();
    group.shutdownGracefully().syncUninterruptibly();
    LOG.info("stopped");
  }

  public static void main(String[] args) throws Exception {
    PluginConfig config;
    try {
      config = PluginConfig.from(System.getenv(), args);
    } catch (IllegalArgumentException e) {
      System.err.println("gpu-dra: " + e.getMessage());
      System.exit(2);
      return;
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    GpuDraPlugin plugin = start(config, client);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      plugin.close();
      client.close();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
  }
}
