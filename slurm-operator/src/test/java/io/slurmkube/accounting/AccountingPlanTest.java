package io.slurmkube.accounting;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.accounting.AccountingPlan.Created;
import io.slurmkube.accounting.AccountingPlan.Held;
import io.slurmkube.api.AccountSpec;
import io.slurmkube.api.LimitsSpec;
import io.slurmkube.api.QosSpec;
import io.slurmkube.api.SlurmClusterSpec;
import io.slurmkube.api.UserSpec;
import io.slurmkube.slurm.SlurmAccount;
import io.slurmkube.slurm.SlurmLimits;
import io.slurmkube.slurm.SlurmQos;
import io.slurmkube.slurm.SlurmUser;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the operator asks slurmdbd to do for a spec, given what slurmdbd holds. */
class AccountingPlanTest {
  private static final SlurmAccount ROOT = new SlurmAccount("root", "default root account", null, 1, List.of("normal"),
      null, SlurmLimits.NONE);
  private static final SlurmQos NORMAL = new SlurmQos("normal", "Normal QOS default", 0, List.of(), "cluster", SlurmLimits.NONE);
  private static final SlurmUser ROOT_USER = new SlurmUser("root", "root", List.of("root"));
  /** A fresh slurmdbd: only Slurm's own objects. */
  private static final Held FRESH = new Held(List.of(NORMAL), List.of(ROOT), List.of(ROOT_USER));

  static SlurmClusterSpec spec() {
    var spec = new SlurmClusterSpec();
    var high = new QosSpec();
    high.name = "high";
    high.priority = 100;
    high.preempt = List.of("low");
    var low = new QosSpec();
    low.name = "low";
    var physics = new AccountSpec();
    physics.name = "physics";
    physics.fairshare = 3;
    physics.qos = List.of("normal", "low", "high");
    physics.limits = new LimitsSpec();
    physics.limits.maxJobs = 1;
    physics.limits.grpTRES = "cpu=8,mem=2G";
    var theory = new AccountSpec();
    theory.name = "theory";
    theory.parent = "physics";
    var chemistry = new AccountSpec();
    chemistry.name = "chemistry";
    spec.accounting.qos = List.of(high, low);
    spec.accounting.accounts = List.of(physics, theory, chemistry);
    var alice = new UserSpec();
    alice.name = "alice";
    alice.uid = 2001L;
    alice.account = "physics";
    alice.accounts = List.of("chemistry");
    var bob = new UserSpec();
    bob.name = "bob";
    bob.uid = 2002L; // no account: a Unix user who runs no jobs
    spec.users = List.of(alice, bob);
    return spec;
  }

  static List<String> described(List<AccountingPlan.Change> changes) {
    return changes.stream().map(AccountingPlan.Change::describe).toList();
  }

  @Test
  void aFreshSlurmdbdGetsEverythingInDependencyOrder() {
    var changes = AccountingPlan.changes(spec(), FRESH, Created.NONE);
    assertThat(described(changes)).containsExactly(
        "create QOS high", // bare first: low, which it preempts, does not exist yet
        "update QOS high", "create QOS low",
        "create account physics", "create account theory", "create account chemistry",
        "create user alice in physics,chemistry");
    var physics = ((AccountingPlan.PutAccount) changes.get(3)).account();
    assertThat(physics.parent()).isEqualTo("root");
    assertThat(physics.fairshare()).isEqualTo(3);
    assertThat(physics.limits().maxJobs()).isEqualTo(1);
    assertThat(physics.limits().grpTres()).isEqualTo("cpu=8,mem=2048");
    assertThat(((AccountingPlan.PutAccount) changes.get(4)).account().parent()).isEqualTo("physics");
    assertThat(((AccountingPlan.PutUser) changes.get(6)).user().defaultAccount()).isEqualTo("physics");
  }

  /** slurmdbd's answer as the client reads it back after the plan above. */
  static Held applied() {
    var limits = new SlurmLimits("mem=2048,cpu=8", null, 1, null, null, null, null);
    return new Held(
        List.of(NORMAL, new SlurmQos("high", "", 100, List.of("low"), "cluster", SlurmLimits.NONE),
            new SlurmQos("low", "", 0, List.of(), "cluster", SlurmLimits.NONE)),
        List.of(ROOT, new SlurmAccount("physics", "physics", "root", 3, List.of("high", "low", "normal"), null, limits),
            new SlurmAccount("theory", "theory", "physics", 1, List.of("high", "low", "normal"), null, limits),
            new SlurmAccount("chemistry", "chemistry", "root", 1, List.of("normal"), null, SlurmLimits.NONE)),
        List.of(ROOT_USER, new SlurmUser("alice", "physics", List.of("chemistry", "physics"))));
  }

  @Test
  void whatSlurmdbdHoldsAsDeclaredNeedsNothing() {
    assertThat(AccountingPlan.changes(spec(), applied(), Created.NONE)).isEmpty();
    for (var object : AccountingPlan.declared(spec())) {
      assertThat(AccountingPlan.holds(spec(), applied(), object.getKey(), object.getValue())).as(object.toString()).isTrue();
    }
  }

  @Test
  void aChangedFairShareOrLimitIsAnUpdate() {
    var spec = spec();
    spec.accounting.accounts.get(2).fairshare = 5;
    spec.accounting.accounts.get(0).limits.maxJobs = 2;
    var changes = AccountingPlan.changes(spec, applied(), Created.NONE);
    assertThat(described(changes)).containsExactly("update account physics", "update account chemistry");
    // chemistry declares no qos: the update keeps what slurmdbd has rather than asking to empty it.
    assertThat(((AccountingPlan.PutAccount) changes.get(1)).account().qos()).containsExactly("normal");
    assertThat(AccountingPlan.holds(spec, applied(), AccountingPlan.ACCOUNT, "chemistry")).isFalse();
  }

  @Test
  void onlyWhatTheOperatorCreatedIsDeleted() {
    var spec = spec();
    spec.users = List.of();
    spec.accounting.accounts = List.of(spec.accounting.accounts.get(2)); // physics and theory gone
    spec.accounting.qos = List.of();
    // Nothing created by the operator: an administrator's objects stay.
    assertThat(AccountingPlan.changes(spec, applied(), Created.NONE)).isEmpty();

    var created = new Created(Set.of("high", "low"), Set.of("physics", "theory", "chemistry"), Set.of("alice"));
    assertThat(described(AccountingPlan.changes(spec, applied(), created))).containsExactly(
        "delete user alice", "delete account theory", "delete account physics", "delete qos high", "delete qos low");
  }

  @Test
  void aManagedUserLosesAnAccountNoLongerListedButAnAdministratorsUserKeepsIt() {
    var spec = spec();
    spec.users.get(0).accounts = List.of();
    var created = new Created(Set.of(), Set.of(), Set.of("alice"));
    assertThat(described(AccountingPlan.changes(spec, applied(), created)))
        .containsExactly("remove user alice from account chemistry");
    assertThat(AccountingPlan.changes(spec, applied(), Created.NONE)).isEmpty();
  }

  @Test
  void anAdministratorsChangeToADeclaredObjectIsUndone() {
    var held = applied();
    var drifted = new Held(held.qos(), held.accounts().stream()
        .map(a -> a.name().equals("physics") ? new SlurmAccount("physics", "physics", "root", 1, a.qos(), null, a.limits()) : a)
        .toList(), held.users());
    assertThat(described(AccountingPlan.changes(spec(), drifted, Created.NONE))).containsExactly("update account physics");
  }

  @Test
  void tresCompareWhateverTheirOrderAndUnit() {
    assertThat(TresText.same("cpu=8,mem=2G", "mem=2048,cpu=8")).isTrue();
    assertThat(TresText.same("cpu=8", "cpu=8,gres/gpu=1")).isFalse();
    assertThat(TresText.same(null, "")).isTrue();
    assertThat(TresText.normalize("gres/gpu=2,cpu=4,mem=1T")).isEqualTo("cpu=4,gres/gpu=2,mem=1048576");
  }
}
