package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.slurmkube.api.SlurmClusterSpec;
import org.junit.jupiter.api.Test;

/** The order in which a change of spec.image reaches slurmdbd, slurmctld and the node sets. */
class UpgradePlanTest {
  private static final String OLD = "slurmkube.local/slurmctld:26.05";
  private static final String NEW = "slurmkube.local/slurmctld:26.05-rebuilt";

  private static SlurmClusterSpec spec(String image) {
    var spec = new SlurmClusterSpec();
    spec.image = image;
    spec.nodeImage = "slurmkube.local/slurmd:26.05";
    return spec;
  }

  private static StatefulSet controller(String image, boolean settled) {
    return new StatefulSetBuilder().withNewMetadata().withName("c-controller").withGeneration(2L).endMetadata()
        .withNewSpec().withReplicas(1).withNewTemplate().withNewSpec()
        .addNewContainer().withName("slurmctld").withImage(image).endContainer()
        .addNewContainer().withName("queue-reader").withImage(image).endContainer()
        .endSpec().endTemplate().endSpec()
        .withNewStatus().withObservedGeneration(2L).withReplicas(1).withReadyReplicas(settled ? 1 : 0)
        .withCurrentRevision(settled ? "r2" : "r1").withUpdateRevision("r2").endStatus().build();
  }

  private static Deployment accounting(String image, boolean settled) {
    return new DeploymentBuilder().withNewMetadata().withName("c-accounting").withGeneration(3L).endMetadata()
        .withNewSpec().withReplicas(1).withNewTemplate().withNewSpec()
        .addNewContainer().withName("slurmdbd").withImage(image).endContainer()
        .endSpec().endTemplate().endSpec()
        .withNewStatus().withObservedGeneration(3L).withReplicas(settled ? 1 : 2).withUpdatedReplicas(1)
        .withAvailableReplicas(settled ? 1 : 0).endStatus().build();
  }

  @Test
  void aNewClusterStartsEverythingOnItsImages() {
    var plan = UpgradePlan.plan(spec(NEW), true, new UpgradePlan.Running(null, null));
    assertThat(plan.controllerImage()).isEqualTo(NEW);
    assertThat(plan.accountingImage()).isEqualTo(NEW);
    assertThat(plan.nodesFollow()).isTrue();
    assertThat(plan.phase()).isEmpty();
  }

  @Test
  void slurmdbdMovesFirstWhileSlurmctldAndNodesWait() {
    var plan = UpgradePlan.plan(spec(NEW), true, new UpgradePlan.Running(controller(OLD, true), accounting(OLD, true)));
    assertThat(plan.accountingImage()).isEqualTo(NEW);
    assertThat(plan.controllerImage()).isEqualTo(OLD);
    assertThat(plan.nodesFollow()).isFalse();
    assertThat(plan.phase()).hasValueSatisfying(p -> assertThat(p).startsWith("slurmdbd is moving to " + NEW));
    // Its new pod is not available yet: slurmctld still waits.
    plan = UpgradePlan.plan(spec(NEW), true, new UpgradePlan.Running(controller(OLD, true), accounting(NEW, false)));
    assertThat(plan.controllerImage()).isEqualTo(OLD);
  }

  @Test
  void slurmctldFollowsOnceSlurmdbdRunsTheNewImageAndNodesOnceSlurmctldDoes() {
    var plan = UpgradePlan.plan(spec(NEW), true, new UpgradePlan.Running(controller(OLD, true), accounting(NEW, true)));
    assertThat(plan.controllerImage()).isEqualTo(NEW);
    assertThat(plan.nodesFollow()).isFalse();
    assertThat(plan.phase()).hasValueSatisfying(p -> assertThat(p).startsWith("slurmctld is moving to " + NEW));
    plan = UpgradePlan.plan(spec(NEW), true, new UpgradePlan.Running(controller(NEW, false), accounting(NEW, true)));
    assertThat(plan.nodesFollow()).as("slurmctld's new pod is not ready yet").isFalse();
    plan = UpgradePlan.plan(spec(NEW), true, new UpgradePlan.Running(controller(NEW, true), accounting(NEW, true)));
    assertThat(plan.nodesFollow()).isTrue();
    assertThat(plan.phase()).isEmpty();
  }

  @Test
  void withoutSlurmdbdSlurmctldMovesAtOnce() {
    var plan = UpgradePlan.plan(spec(NEW), false, new UpgradePlan.Running(controller(OLD, true), null));
    assertThat(plan.controllerImage()).isEqualTo(NEW);
  }

  @Test
  void anUnsupportedJumpMovesNothingAndNamesTheReleaseToGoThrough() {
    String old = "slurmkube.local/slurmctld:24.11";
    var plan = UpgradePlan.plan(spec("slurmkube.local/slurmctld:26.05"), true,
        new UpgradePlan.Running(controller(old, true), accounting(old, true)));
    assertThat(plan.controllerImage()).isEqualTo(old);
    assertThat(plan.accountingImage()).isEqualTo(old);
    assertThat(plan.nodesFollow()).isFalse();
    assertThat(plan.refusal()).hasValueSatisfying(why -> assertThat(why)
        .contains("spec.image slurmkube.local/slurmctld:26.05")
        .contains("24.11 cannot be upgraded to 26.05 directly")
        .contains("upgrade to 25.11 first")
        .contains("keeps running " + old));
  }

  @Test
  void aDowngradeIsRefused() {
    var plan = UpgradePlan.plan(spec("slurmkube.local/slurmctld:24.11"), true,
        new UpgradePlan.Running(controller(OLD, true), accounting(OLD, true)));
    assertThat(plan.controllerImage()).isEqualTo(OLD);
    assertThat(plan.refusal()).hasValueSatisfying(why -> assertThat(why).contains("cannot be downgraded from 26.05 to 24.11"));
  }

  @Test
  void imagesWhoseTagsNameNoReleaseAreRolledInOrderUnchecked() {
    var plan = UpgradePlan.plan(spec("registry.example/slurmctld:latest"), true,
        new UpgradePlan.Running(controller(OLD, true), accounting(OLD, true)));
    assertThat(plan.refusal()).isEmpty();
    assertThat(plan.controllerImage()).isEqualTo(OLD);
    assertThat(plan.accountingImage()).isEqualTo("registry.example/slurmctld:latest");
  }
}
