package io.slurmkube.dra.prepare;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimConsumerReference;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.slurmkube.dra.discovery.Gpu;
import io.slurmkube.dra.discovery.Inventory;
import io.slurmkube.dra.prepare.PreparedClaim.PreparedDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What NodePrepareResources and NodeUnprepareResources do, without the gRPC: reads the allocated
 * ResourceClaim, writes its CDI spec and per-pod device files, and records it so that the answer
 * is the same on every call and after a restart. Failures are per claim, as messages for the
 * kubelet (which shows them in the pod's events and retries); nothing here throws at the caller.
 */
public final class ClaimPreparer {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimPreparer.class);
  private static final Pattern POD_UID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,127}");

  /** The kubelet's identification of a claim. */
  public record ClaimRef(String namespace, String name, String uid) {}

  /** The outcome for one claim: devices, or a non-empty error. */
  public record Result(List<PreparedDevice> devices, String error) {
    static Result failed(String error) {
      return new Result(List.of(), error);
    }

    public boolean ok() {
      return error.isEmpty();
    }
  }

  /** Reads a ResourceClaim from the API server; null when it does not exist. */
  @FunctionalInterface
  public interface ClaimLookup {
    ResourceClaim get(String namespace, String name);
  }

  private final String driverName;
  private final String nodeName;
  private final Supplier<Inventory> inventory;
  private final ClaimLookup lookup;
  private final ClaimStore store;
  private final CdiSpecs cdi;
  private final DeviceInfoFiles deviceInfo;

  public ClaimPreparer(String driverName, String nodeName, Supplier<Inventory> inventory, ClaimLookup lookup,
      ClaimStore store, CdiSpecs cdi, DeviceInfoFiles deviceInfo) {
    this.driverName = driverName;
    this.nodeName = nodeName;
    this.inventory = inventory;
    this.lookup = lookup;
    this.store = store;
    this.cdi = cdi;
    this.deviceInfo = deviceInfo;
  }

  /**
   * After a (re)start: puts the CDI spec and device files of every recorded claim back (they may
   * live on a tmpfs, or have been damaged), and removes this driver's CDI specs of claims that
   * are not recorded. Problems are logged; the plugin carries on.
   */
  public synchronized void restore() {
    for (PreparedClaim claim : store.all()) {
      try {
        materialize(claim);
      } catch (IOException e) {
        LOG.error("cannot restore the files of prepared claim {}/{}: {}", claim.namespace(), claim.name(), e.getMessage());
      }
    }
    try {
      for (String uid : cdi.claimsWithSpecs()) {
        if (store.get(uid).isEmpty()) {
          cdi.remove(uid);
          LOG.info("removed CDI spec of claim {}, which is not prepared", uid);
        }
      }
    } catch (IOException e) {
      LOG.error("cannot clean up the CDI directory: {}", e.getMessage());
    }
    LOG.info("{} prepared claims restored from disk", store.all().size());
  }

  public synchronized Map<String, Result> prepare(List<ClaimRef> claims) {
    Map<String, Result> results = new LinkedHashMap<>();
    for (ClaimRef ref : claims) {
      Result result = prepareOne(ref);
      if (result.ok()) {
        LOG.info("prepared claim {}/{} ({}): {}", ref.namespace(), ref.name(), ref.uid(),
            result.devices().stream().map(PreparedDevice::device).toList());
      } else {
        LOG.warn("cannot prepare claim {}/{} ({}): {}", ref.namespace(), ref.name(), ref.uid(), result.error());
      }
      results.put(ref.uid(), result);
    }
    return results;
  }

  /** Unprepares the claims; the map holds an error message per claim, empty when it worked. */
  public synchronized Map<String, String> unprepare(List<ClaimRef> claims) {
    Map<String, String> results = new LinkedHashMap<>();
    for (ClaimRef ref : claims) {
      String error = "";
      try {
        Optional<PreparedClaim> prepared = store.get(ref.uid());
        if (prepared.isPresent()) {
          deviceInfo.remove(prepared.get());
        }
        cdi.remove(ref.uid());
        store.remove(ref.uid());
        LOG.info("unprepared claim {}/{} ({}){}", ref.namespace(), ref.name(), ref.uid(),
            prepared.isPresent() ? "" : ", which was not prepared here");
      } catch (IOException | RuntimeException e) {
        error = "cannot unprepare ResourceClaim " + ref.namespace() + "/" + ref.name() + ": " + e.getMessage();
        LOG.warn(error);
      }
      results.put(ref.uid(), error);
    }
    return results;
  }

  private Result prepareOne(ClaimRef ref) {
    String what = "ResourceClaim " + ref.namespace() + "/" + ref.name();
    try {
      Optional<PreparedClaim> known = store.get(ref.uid());
      if (known.isPresent()) {
        materialize(known.get());
        return new Result(known.get().devices(), "");
      }
      ResourceClaim claim;
      try {
        claim = lookup.get(ref.namespace(), ref.name());
      } catch (KubernetesClientException e) {
        return Result.failed("cannot read " + what + " from the API server: " + e.getMessage());
      }
      if (claim == null) {
        return Result.failed(what + " does not exist");
      }
      if (!ref.uid().equals(claim.getMetadata().getUid())) {
        return Result.failed(what + " has UID " + claim.getMetadata().getUid() + ", not " + ref.uid()
            + " (it was deleted and created again)");
      }
      if (claim.getStatus() == null || claim.getStatus().getAllocation() == null
          || claim.getStatus().getAllocation().getDevices() == null) {
        return Result.failed(what + " is not allocated");
      }
      List<PreparedDevice> devices = new ArrayList<>();
      Inventory gpus = inventory.get();
      for (DeviceRequestAllocationResult r : claim.getStatus().getAllocation().getDevices().getResults()) {
        if (!driverName.equals(r.getDriver())) {
          continue; // another driver's device: that driver prepares it
        }
        if (!nodeName.equals(r.getPool())) {
          return Result.failed(what + " got device " + r.getDevice() + " from pool " + r.getPool()
              + ", but this is node " + nodeName);
        }
        Optional<Gpu> gpu = gpus == null ? Optional.empty() : gpus.byName(r.getDevice());
        if (gpu.isEmpty()) {
          return Result.failed(what + " got device " + r.getDevice() + ", which is not among the GPUs of node " + nodeName);
        }
        devices.add(new PreparedDevice(r.getRequest(), r.getPool(), r.getDevice(), gpu.get().uuid(), gpu.get().index(),
            gpu.get().model(), cdi.deviceId(ref.uid(), r.getDevice())));
      }
      List<String> pods = new ArrayList<>();
      List<ResourceClaimConsumerReference> reservedFor = claim.getStatus().getReservedFor();
      for (ResourceClaimConsumerReference consumer : reservedFor == null ? List.<ResourceClaimConsumerReference>of() : reservedFor) {
        boolean pod = "pods".equals(consumer.getResource())
            && (consumer.getApiGroup() == null || consumer.getApiGroup().isEmpty());
        if (pod && consumer.getUid() != null && POD_UID.matcher(consumer.getUid()).matches()) {
          pods.add(consumer.getUid());
        }
      }
      PreparedClaim prepared = new PreparedClaim(ref.uid(), ref.namespace(), ref.name(), devices, pods);
      materialize(prepared);
      store.put(prepared);
      return new Result(devices, "");
    } catch (IOException | RuntimeException e) {
      return Result.failed("cannot prepare " + what + ": " + e.getMessage());
    }
  }

  private void materialize(PreparedClaim claim) throws IOException {
    cdi.write(claim);
    deviceInfo.write(claim);
  }

  /** Claim UIDs that are prepared (for tests and the log). */
  public Set<String> preparedClaims() {
    return Set.copyOf(store.all().stream().map(PreparedClaim::uid).toList());
  }
}
