package io.slurmkube.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.slurmkube.api.FleetSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorsTest {

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
    assertThat(LabelSelectors.matches(s, Map.of("pool", "hpc", "zone", "a", "gpu", ""))).isTrue();
    assertThat(LabelSelectors.matches(s, Map.of("pool", "hpc", "zone", "c", "gpu", ""))).isFalse();
    assertThat(LabelSelectors.matches(s, Map.of("pool", "hpc", "zone", "a"))).isFalse();
    assertThat(LabelSelectors.matches(s, Map.of("pool", "hpc", "zone", "a", "gpu", "", "retired", "yes"))).isFalse();
    assertThat(LabelSelectors.matches(s, Map.of("pool", "hpc", "zone", "a", "gpu", "", "tier", "spot"))).isFalse();
    assertThat(LabelSelectors.matches(s, Map.of("pool", "web", "zone", "a", "gpu", ""))).isFalse();
    assertThat(LabelSelectors.describe(s)).isEqualTo("pool=hpc,zone in (a,b),gpu,!retired,tier notin (spot)");
  }

  @Test
  void noSelectorMatchesEveryNode() {
    assertThat(LabelSelectors.matches((FleetSpec.NodeSelector) null, Map.of())).isTrue();
  }

  @Test
  void aDisruptionBudgetSelectsWithPolicyV1Meaning() {
    var web = Map.of("app", "web", "tier", "front");
    assertThat(LabelSelectors.matches((LabelSelector) null, web)).as("no selector: no pod").isFalse();
    assertThat(LabelSelectors.matches(new LabelSelector(), web)).as("empty selector: every pod").isTrue();
    assertThat(LabelSelectors.matches(new LabelSelectorBuilder().addToMatchLabels("app", "web")
        .addNewMatchExpression().withKey("tier").withOperator("In").withValues("front", "api").endMatchExpression()
        .build(), web)).isTrue();
    assertThat(LabelSelectors.matches(new LabelSelectorBuilder().addToMatchLabels("app", "db").build(), web)).isFalse();
    assertThat(LabelSelectors.matches(new LabelSelectorBuilder()
        .addNewMatchExpression().withKey("tier").withOperator("NotIn").withValues("front").endMatchExpression()
        .build(), web)).isFalse();
  }

  @Test
  void aPodIsGuardedWhileABudgetSelectingItAllowsNoDisruption() {
    var pod = new PodBuilder().withNewMetadata().withName("w1").withNamespace("web").addToLabels("app", "web")
        .endMetadata().build();
    assertThat(NodeViews.guarded(pod, List.of(budget("app", "web", 0)))).isTrue();
    assertThat(NodeViews.guarded(pod, List.of(budget("app", "web", 1)))).isFalse();
    assertThat(NodeViews.guarded(pod, List.of(budget("app", "db", 0)))).isFalse();
    var uncounted = budget("app", "web", 0);
    uncounted.setStatus(null);
    assertThat(NodeViews.guarded(pod, List.of(uncounted))).as("not counted yet: the API server refuses too").isTrue();
    assertThat(NodeViews.guarded(pod, List.of())).isFalse();
  }

  static PodDisruptionBudget budget(String key, String value, int disruptionsAllowed) {
    return new PodDisruptionBudgetBuilder().withNewMetadata().withName("b").withNamespace("web").endMetadata()
        .withNewSpec().withNewSelector().addToMatchLabels(key, value).endSelector().endSpec()
        .withNewStatus().withDisruptionsAllowed(disruptionsAllowed).endStatus().build();
  }
}
