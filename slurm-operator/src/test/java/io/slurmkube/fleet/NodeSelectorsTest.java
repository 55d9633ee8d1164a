package io.slurmkube.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.api.FleetSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeSelectorsTest {

  static FleetSpec.Requirement req(String key, String op, String... values) {
    var r = new FleetSpec.Requirement();
    r.key = key;
    r.operator = op;
    r.values = List.of(values);
    return r;
  }

  @Test
  void labelsAndEveryRequirementMustHold() {
    var s = new FleetSpec.NodeSelector();
    s.matchLabels.put("pool", "hpc");
    s.matchExpressions.add(req("zone", "In", "a", "b"));
    s.matchExpressions.add(req("gpu", "Exists"));
    s.matchExpressions.add(req("retired", "DoesNotExist"));
    s.matchExpressions.add(req("tier", "NotIn", "spot"));
    assertThat(NodeSelectors.matches(s, Map.of("pool", "hpc", "zone", "a", "gpu", ""))).isTrue();
    assertThat(NodeSelectors.matches(s, Map.of("pool", "hpc", "zone", "c", "gpu", ""))).isFalse();
    assertThat(NodeSelectors.matches(s, Map.of("pool", "hpc", "zone", "a"))).isFalse();
    assertThat(NodeSelectors.matches(s, Map.of("pool", "hpc", "zone", "a", "gpu", "", "retired", "yes"))).isFalse();
    assertThat(NodeSelectors.matches(s, Map.of("pool", "hpc", "zone", "a", "gpu", "", "tier", "spot"))).isFalse();
    assertThat(NodeSelectors.matches(s, Map.of("pool", "web", "zone", "a", "gpu", ""))).isFalse();
    assertThat(NodeSelectors.describe(s)).isEqualTo("pool=hpc,zone in (a,b),gpu,!retired,tier notin (spot)");
  }

  @Test
  void noSelectorMatchesEveryNode() {
    assertThat(NodeSelectors.matches(null, Map.of())).isTrue();
  }
}
