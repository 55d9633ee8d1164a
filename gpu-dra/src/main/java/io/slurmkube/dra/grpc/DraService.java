package io.slurmkube.dra.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import io.slurmkube.dra.prepare.ClaimPreparer;
import io.slurmkube.dra.prepare.ClaimPreparer.ClaimRef;
import io.slurmkube.dra.prepare.ClaimPreparer.Result;
import io.slurmkube.dra.proto.v1.Claim;
import io.slurmkube.dra.proto.v1.DRAPluginGrpc;
import io.slurmkube.dra.proto.v1.Device;
import io.slurmkube.dra.proto.v1.NodePrepareResourceResponse;
import io.slurmkube.dra.proto.v1.NodePrepareResourcesRequest;
import io.slurmkube.dra.proto.v1.NodePrepareResourcesResponse;
import io.slurmkube.dra.proto.v1.NodeUnprepareResourceResponse;
import io.slurmkube.dra.proto.v1.NodeUnprepareResourcesRequest;
import io.slurmkube.dra.proto.v1.NodeUnprepareResourcesResponse;
import java.util.List;
import java.util.Map;

/**
 * The DRA node service. The v1 and v1beta1 APIs of the kubelet have identical messages (same
 * names and field numbers), so one implementation, written against the v1 classes, is served under
 * both gRPC service names.
 */
public final class DraService extends DRAPluginGrpc.DRAPluginImplBase {

  /** The services as named in PluginInfo.supported_versions, most recent first. */
  public static final List<String> SERVICE_NAMES = List.of("v1.DRAPlugin", "v1beta1.DRAPlugin");

  private final ClaimPreparer preparer;

  public DraService(ClaimPreparer preparer) {
    this.preparer = preparer;
  }

  /** The service definitions to add to the server: v1 and v1beta1. */
  public List<ServerServiceDefinition> definitions() {
    ServerServiceDefinition v1 = bindService();
    return List.of(v1, renamed(v1, io.slurmkube.dra.proto.v1beta1.DRAPluginGrpc.SERVICE_NAME));
  }

  @Override
  public void nodePrepareResources(NodePrepareResourcesRequest request, StreamObserver<NodePrepareResourcesResponse> response) {
    Map<String, Result> results = preparer.prepare(refs(request.getClaimsList()));
    NodePrepareResourcesResponse.Builder out = NodePrepareResourcesResponse.newBuilder();
    results.forEach((uid, result) -> {
      NodePrepareResourceResponse.Builder claim = NodePrepareResourceResponse.newBuilder().setError(result.error());
      result.devices().forEach(d -> claim.addDevices(Device.newBuilder()
          .addRequestNames(d.request())
          .setPoolName(d.pool())
          .setDeviceName(d.device())
          .addCdiDeviceIds(d.cdiDeviceId())));
      out.putClaims(uid, claim.build());
    });
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void nodeUnprepareResources(NodeUnprepareResourcesRequest request,
      StreamObserver<NodeUnprepareResourcesResponse> response) {
    NodeUnprepareResourcesResponse.Builder out = NodeUnprepareResourcesResponse.newBuilder();
    preparer.unprepare(refs(request.getClaimsList()))
        .forEach((uid, error) -> out.putClaims(uid, NodeUnprepareResourceResponse.newBuilder().setError(error).build()));
    response.onNext(out.build());
    response.onCompleted();
  }

  private static List<ClaimRef> refs(List<Claim> claims) {
    return claims.stream().map(c -> new ClaimRef(c.getNamespace(), c.getName(), c.getUid())).toList();
  }

  private static ServerServiceDefinition renamed(ServerServiceDefinition service, String serviceName) {
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(serviceName);
    service.getMethods().forEach(method -> builder.addMethod(renamed(method, serviceName)));
    return builder.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> renamed(ServerMethodDefinition<Q, R> method, String serviceName) {
    MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor().toBuilder()
        .setFullMethodName(MethodDescriptor.generateFullMethodName(serviceName,
            method.getMethodDescriptor().getBareMethodName()))
        .setSchemaDescriptor(null)
        .build();
    return ServerMethodDefinition.create(descriptor, method.getServerCallHandler());
  }
}
