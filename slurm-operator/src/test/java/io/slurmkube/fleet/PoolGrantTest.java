package io.slurmkube.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.slurmkube.api.SlurmNodePoolSpec;
import org.junit.jupiter.api.Test;

/** The intersection of what a cluster asks and what its SlurmNodePool grants. */
class PoolGrantTest {

  static Toleration toleration(String key, String operator, String value, String effect) {
    return new TolerationBuilder().withKey(key).withOperator(operator).withValue(value).withEffect(effect).build();
  }

  static SlurmNodePoolSpec.TolerableTaint taint(String key, String value, String effect) {
    var t = new SlurmNodePoolSpec.TolerableTaint();
    t.key = key;
    t.value = value;
    t.effect = effect;
    return t;
  }

  @Test
  void aGrantedToleration_mayBeNoWiderThanTheTaintTheAdministratorNamed() {
    var gpuNoSchedule = taint("nvidia.com/gpu", null, "NoSchedule");
    assertThat(PoolGrant.covers(gpuNoSchedule, toleration("nvidia.com/gpu", "Exists", null, "NoSchedule"))).isTrue();
    assertThat(PoolGrant.covers(gpuNoSchedule, toleration("nvidia.com/gpu", "Equal", "present", "NoSchedule"))).isTrue();
    // Every effect (NoExecute too) is wider than the grant.
    assertThat(PoolGrant.covers(gpuNoSchedule, toleration("nvidia.com/gpu", "Exists", null, null))).isFalse();
    assertThat(PoolGrant.covers(gpuNoSchedule, toleration("nvidia.com/gpu", "Exists", null, "NoExecute"))).isFalse();
    // A toleration of every key is never granted.
    assertThat(PoolGrant.covers(gpuNoSchedule, toleration(null, "Exists", null, null))).isFalse();
    var exactValue = taint("dedicated", "hpc", null);
    assertThat(PoolGrant.covers(exactValue, toleration("dedicated", "Equal", "hpc", "NoExecute"))).isTrue();
    assertThat(PoolGrant.covers(exactValue, toleration("dedicated", "Equal", "web", "NoExecute"))).isFalse();
    assertThat(PoolGrant.covers(exactValue, toleration("dedicated", "Exists", null, "NoExecute"))).isFalse();
  }

  @Test
  void onlyCoveredTolerationsAreGrantedAndTheRestIsRefusedByName() {
    var fleet = FleetFixtures.selecting("rack", "a", null);
    fleet.podTolerations.add(toleration("nvidia.com/gpu", "Exists", null, "NoSchedule"));
    fleet.podTolerations.add(toleration(null, "Exists", null, null));
    var pool = FleetFixtures.grant("rack", true, "hpc");
    pool.getSpec().tolerableTaints.add(taint("nvidia.com/gpu", null, null));
    var grant = PoolGrant.of("hpc", fleet, pool);
    assertThat(grant.usable()).isTrue();
    assertThat(grant.reason()).isEqualTo(PoolGrant.PARTLY_GRANTED);
    assertThat(grant.tolerations()).extracting(Toleration::getKey).containsExactly("nvidia.com/gpu");
    assertThat(grant.refused()).singleElement().asString()
        .contains("spec.fleet.podTolerations (every key):(every effect): not covered by SlurmNodePool hpc-nodes");
    assertThat(grant.asked().podTolerations).containsExactly("nvidia.com/gpu:NoSchedule", "(every key):(every effect)");
    assertThat(grant.granted().podTolerations).containsExactly("nvidia.com/gpu:NoSchedule");
  }

  @Test
  void allAskedAndGrantedIsGranted() {
    var grant = PoolGrant.of("hpc", FleetFixtures.selecting("rack", "a", 3), FleetFixtures.grant("rack", true, "hpc"));
    assertThat(grant.reason()).isEqualTo(PoolGrant.GRANTED);
    assertThat(grant.refused()).isEmpty();
    assertThat(grant.granted().nodeSelector).isEqualTo("rack and rack=a, no control-plane node");
  }
}
