package io.slurmkube.dra.grpc;

import io.grpc.stub.StreamObserver;
import io.slurmkube.dra.proto.registration.InfoRequest;
import io.slurmkube.dra.proto.registration.PluginInfo;
import io.slurmkube.dra.proto.registration.RegistrationGrpc;
import io.slurmkube.dra.proto.registration.RegistrationStatus;
import io.slurmkube.dra.proto.registration.RegistrationStatusResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's plugin-registration service: tells the kubelet that this is a DRA plugin for the
 * driver, where its DRA socket is and which DRA gRPC services it serves (most recent first; the
 * kubelet 1.34 picks the first one it knows), then hears whether the kubelet accepted it.
 */
public final class RegistrationService extends RegistrationGrpc.RegistrationImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(RegistrationService.class);

  /** The plugin type the kubelet routes to its DRA manager. */
  public static final String PLUGIN_TYPE = "DRAPlugin";

  private final String driverName;
  private final Path draSocket;
  private final Runnable onRegistered;
  private final AtomicReference<RegistrationStatus> lastStatus = new AtomicReference<>();

  public RegistrationService(String driverName, Path draSocket, Runnable onRegistered) {
    this.driverName = driverName;
    this.draSocket = draSocket;
    this.onRegistered = onRegistered;
  }

  @Override
  public void getInfo(InfoRequest request, StreamObserver<PluginInfo> response) {
    response.onNext(PluginInfo.newBuilder()
        .setType(PLUGIN_TYPE)
        .setName(driverName)
        .setEndpoint(draSocket.toString())
        .addAllSupportedVersions(DraService.SERVICE_NAMES)
        .build());
    response.onCompleted();
  }

  @Override
  public void notifyRegistrationStatus(RegistrationStatus status, StreamObserver<RegistrationStatusResponse> response) {
    lastStatus.set(status);
    if (status.getPluginRegistered()) {
      LOG.info("the kubelet registered DRA driver {} at {}", driverName, draSocket);
      onRegistered.run();
    } else {
      LOG.error("the kubelet rejected DRA driver {}: {}", driverName, status.getError());
    }
    response.onNext(RegistrationStatusResponse.getDefaultInstance());
    response.onCompleted();
  }

  /** What the kubelet said last, or null before it said anything. */
  public RegistrationStatus lastStatus() {
    return lastStatus.get();
  }
}
