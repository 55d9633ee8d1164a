package io.slurmkube.dra.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.slurmkube.dra.proto.registration.InfoRequest;
import io.slurmkube.dra.proto.registration.PluginInfo;
import io.slurmkube.dra.proto.registration.RegistrationGrpc;
import io.slurmkube.dra.proto.registration.RegistrationStatus;
import io.slurmkube.dra.proto.v1.Claim;
import io.slurmkube.dra.proto.v1.DRAPluginGrpc;
import io.slurmkube.dra.proto.v1.NodePrepareResourceResponse;
import io.slurmkube.dra.proto.v1.NodePrepareResourcesRequest;
import io.slurmkube.dra.proto.v1.NodeUnprepareResourcesRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's side of the plugin protocols, over unix sockets like the kubelet: GetInfo and
 * NotifyRegistrationStatus on the registration socket, then the DRA service on the endpoint the
 * plugin announced, through the v1 or the v1beta1 service.
 */
final class FakeKubelet implements AutoCloseable {

  private final EpollEventLoopGroup group = new EpollEventLoopGroup(1);
  private final List<ManagedChannel> channels = new ArrayList<>();

  ManagedChannel connect(Path socket) {
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(group)
        .usePlaintext()
        .build();
    channels.add(channel);
    return channel;
  }

  PluginInfo getInfo(Path registrationSocket) {
    return RegistrationGrpc.newBlockingStub(connect(registrationSocket)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getInfo(InfoRequest.getDefaultInstance());
  }

  void notifyRegistered(Path registrationSocket, boolean registered, String error) {
    RegistrationGrpc.newBlockingStub(connect(registrationSocket)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .notifyRegistrationStatus(RegistrationStatus.newBuilder().setPluginRegistered(registered).setError(error).build());
  }

  static Claim claim(String namespace, String name, String uid) {
    return Claim.newBuilder().setNamespace(namespace).setName(name).setUid(uid).build();
  }

  /** NodePrepareResources through the v1 service. */
  java.util.Map<String, NodePrepareResourceResponse> prepareV1(Path endpoint, Claim... claims) {
    return DRAPluginGrpc.newBlockingStub(connect(endpoint)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .nodePrepareResources(NodePrepareResourcesRequest.newBuilder().addAllClaims(List.of(claims)).build())
        .getClaimsMap();
  }

  /** NodeUnprepareResources through the v1 service: claim UID to error ("" when it worked). */
  java.util.Map<String, String> unprepareV1(Path endpoint, Claim... claims) {
    var response = DRAPluginGrpc.newBlockingStub(connect(endpoint)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .nodeUnprepareResources(NodeUnprepareResourcesRequest.newBuilder().addAllClaims(List.of(claims)).build());
    var out = new java.util.LinkedHashMap<String, String>();
    response.getClaimsMap().forEach((uid, r) -> out.put(uid, r.getError()));
    return out;
  }

  /** NodePrepareResources through the v1beta1 service, with the v1beta1 messages. */
  java.util.Map<String, io.slurmkube.dra.proto.v1beta1.NodePrepareResourceResponse> prepareV1beta1(
      Path endpoint, String namespace, String name, String uid) {
    var claim = io.slurmkube.dra.proto.v1beta1.Claim.newBuilder().setNamespace(namespace).setName(name).setUid(uid).build();
    return io.slurmkube.dra.proto.v1beta1.DRAPluginGrpc.newBlockingStub(connect(endpoint))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .nodePrepareResources(io.slurmkube.dra.proto.v1beta1.NodePrepareResourcesRequest.newBuilder().addClaims(claim).build())
        .getClaimsMap();
  }

  /** NodeUnprepareResources through the v1beta1 service. */
  String unprepareV1beta1(Path endpoint, String namespace, String name, String uid) {
    var claim = io.slurmkube.dra.proto.v1beta1.Claim.newBuilder().setNamespace(namespace).setName(name).setUid(uid).build();
    return io.slurmkube.dra.proto.v1beta1.DRAPluginGrpc.newBlockingStub(connect(endpoint))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .nodeUnprepareResources(io.slurmkube.dra.proto.v1beta1.NodeUnprepareResourcesRequest.newBuilder().addClaims(claim).build())
        .getClaimsMap().get(uid).getError();
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    group.shutdownGracefully().syncUninterruptibly();
  }
}
