package io.slurmkube.dra.prepare;

import io.slurmkube.dra.prepare.PreparedClaim.PreparedDevice;
import java.util.List;

/** Prepared claims for the tests of this package. */
final class Claims {

  static final String UID = "0f6c0a2e-6f5b-4a59-9d2b-5d0f8e1f2a3b";
  static final String POD = "7d3e2c1b-0a9f-4e8d-b7c6-a5f4e3d2c1b0";

  private Claims() {}

  static PreparedClaim twoGpus(CdiSpecs cdi) {
    return new PreparedClaim(UID, "team-a", "train-gpus", List.of(
        new PreparedDevice("gpus", "node-a", "gpu-0", "GPU-aaaa", 0, "Simulated", cdi.deviceId(UID, "gpu-0")),
        new PreparedDevice("gpus", "node-a", "gpu-2", "GPU-cccc", 2, "Simulated", cdi.deviceId(UID, "gpu-2"))),
        List.of(POD));
  }
}
