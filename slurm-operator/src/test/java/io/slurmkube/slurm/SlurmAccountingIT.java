package io.slurmkube.slurm;

import static io.slurmkube.slurm.SlurmTestCluster.awaitTrue;
import static io.slurmkube.slurm.SlurmTestCluster.exec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The accounting client against real slurmdbd, through every /slurmdb/ API version the server
 * serves (distinct names per version): what it writes is read back through the client and checked
 * with sacctmgr, as a person would.
 */
class SlurmAccountingIT {
  private static SlurmTestCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = new SlurmTestCluster("");
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> qosAccountsAndUsersThroughEveryServedVersion() {
    List<SlurmAccounting> clients = cluster.servedAccounting();
    String newest = SlurmTestCluster.RELEASE.equals("24.11") ? "v0.0.42" : "v0.0.45";
    assertThat(clients).extracting(SlurmAccounting::apiVersion).first().isEqualTo(newest);
    return clients.stream().map(client -> DynamicTest.dynamicTest(client.apiVersion(), () -> scenario(client)));
  }

  private void scenario(SlurmAccounting slurm) {
    String p = slurm.apiVersion().replace("v0.0.", "v");
    String low = p + "-low", high = p + "-high", a = p + "-a", b = p + "-b", sub = p + "-sub", alice = p + "-alice";

    // The defaults are there.
    assertThat(slurm.qos()).extracting(SlurmQos::name).contains("normal");
    assertThat(slurm.accounts()).extracting(SlurmAccount::name).contains("root");
    assertThat(slurm.users()).extracting(SlurmUser::name).contains("root");

    // QOS: high preempts low.
    slurm.putQos(new SlurmQos(low, "low priority", 10, List.of(), null, SlurmLimits.NONE));
    var highLimits = new SlurmLimits("cpu=8,mem=2048", 4, 2, 3, "cpu=2", "cpu=4,gres/gpu=1", 60);
    slurm.putQos(new SlurmQos(high, "high priority", 100, List.of(low), "requeue", highLimits));
    SlurmQos readHigh = qos(slurm, high);
    assertThat(readHigh).isEqualTo(new SlurmQos(high, "high priority", 100, List.of(low), "requeue", highLimits));
    assertThat(qos(slurm, low)).isEqualTo(new SlurmQos(low, "low priority", 10, List.of(), null, SlurmLimits.NONE));
    assertThat(sacctmgr("show", "qos", high, "format=Name,Priority,Preempt,PreemptMode,GrpTRES,GrpJobs,MaxJobsPU,MaxSubmitPU,MaxTRES,MaxTRESPU,MaxWall"))
        .isEqualTo(high + "|100|" + low + "|requeue|cpu=8,mem=2G|4|2|3|cpu=2|cpu=4,gres/gpu=1|01:00:00");

    // Accounts: a under root, sub under a, b under root.
    var aLimits = new SlurmLimits("cpu=4", null, 1, null, null, null, null);
    slurm.putAccount(new SlurmAccount(a, "team a", "root", 3, List.of("normal", low, high), low, aLimits));
    slurm.putAccount(new SlurmAccount(b, null, "root", 1, List.of(), null, SlurmLimits.NONE));
    slurm.putAccount(new SlurmAccount(sub, "a's students", a, 2, List.of(), null,
        new SlurmLimits(null, 3, null, 5, "cpu=1", null, 30)));
    SlurmAccount readA = account(slurm, a);
    assertThat(readA.description()).isEqualTo("team a");
    assertThat(readA.parent()).isEqualTo("root");
    assertThat(readA.fairshare()).isEqualTo(3);
    assertThat(readA.qos()).containsExactlyInAnyOrder("normal", low, high);
    assertThat(readA.defaultQos()).isEqualTo(low);
    assertThat(readA.limits()).isEqualTo(aLimits);
    assertThat(account(slurm, b)).isEqualTo(new SlurmAccount(b, b, "root", 1, List.of(), null, SlurmLimits.NONE));
    assertThat(account(slurm, sub)).isEqualTo(new SlurmAccount(sub, "a's students", a, 2, List.of(), null,
        new SlurmLimits(null, 3, null, 5, "cpu=1", null, 30)));
    assertThat(accountAssoc(a, "ParentName,Share,GrpTRES,MaxJobs,QOS,DefaultQOS"))
        .isEqualTo("root|3|cpu=4|1|" + String.join(",", List.of(high, low, "normal").stream().sorted().toList()) + "|" + low);
    assertThat(accountAssoc(sub, "ParentName,Share,GrpJobs,MaxSubmit,MaxTRES,MaxWall")).isEqualTo(a + "|2|3|5|cpu=1|00:30:00");

    // A user in a (default) and b.
    slurm.putUser(new SlurmUser(alice, a, List.of(a, b)));
    assertThat(user(slurm, alice).defaultAccount()).isEqualTo(a);
    assertThat(user(slurm, alice).accounts()).containsExactlyInAnyOrder(a, b);
    assertThat(sacctmgr("show", "user", alice, "withassoc", "format=User,DefaultAccount,Account").lines().sorted().toList())
        .containsExactly(alice + "|" + a + "|" + a, alice + "|" + a + "|" + b);
    // Again, another default: nothing is added, the default moves.
    slurm.putUser(new SlurmUser(alice, b, List.of(b)));
    assertThat(user(slurm, alice)).isEqualTo(new SlurmUser(alice, b, user(slurm, alice).accounts()));
    assertThat(user(slurm, alice).accounts()).containsExactlyInAnyOrder(a, b);
    slurm.putUser(new SlurmUser(alice, a, List.of(a, b)));
    assertThat(user(slurm, alice).defaultAccount()).isEqualTo(a);

    // Changes: fair share, a limit changed, one cleared, a QOS dropped; a QOS's TRES limit cleared.
    var aChanged = new SlurmLimits("cpu=6,mem=1024", 2, null, null, null, null, null);
    slurm.putAccount(new SlurmAccount(a, "team a", "root", 5, List.of("normal", high), null, aChanged));
    readA = account(slurm, a);
    assertThat(readA.fairshare()).isEqualTo(5);
    assertThat(readA.limits()).isEqualTo(aChanged);
    assertThat(readA.qos()).containsExactlyInAnyOrder("normal", high);
    assertThat(readA.defaultQos()).isNull();
    assertThat(accountAssoc(a, "ParentName,Share,GrpTRES,GrpJobs,MaxJobs,QOS,DefaultQOS"))
        .isEqualTo("root|5|cpu=6,mem=1G|2||" + String.join(",", List.of(high, "normal").stream().sorted().toList()) + "|");
    // sub moves under b.
    slurm.putAccount(new SlurmAccount(sub, "a's students", b, 2, List.of(), null, SlurmLimits.NONE));
    assertThat(account(slurm, sub).parent()).isEqualTo(b);
    assertThat(account(slurm, sub).limits()).isEqualTo(SlurmLimits.NONE);
    assertThat(accountAssoc(sub, "ParentName,Share,GrpJobs,MaxSubmit,MaxTRES,MaxWall")).isEqualTo(b + "|2||||");
    var highChanged = new SlurmLimits(null, null, 2, null, "cpu=2", null, null);
    slurm.putQos(new SlurmQos(high, "high priority", 50, List.of(low), "cancel", highChanged));
    assertThat(qos(slurm, high)).isEqualTo(new SlurmQos(high, "high priority", 50, List.of(low), "cancel", highChanged));
    assertThat(sacctmgr("show", "qos", high, "format=Name,Priority,Preempt,PreemptMode,GrpTRES,GrpJobs,MaxJobsPU,MaxTRES,MaxTRESPU,MaxWall"))
        .isEqualTo(high + "|50|" + low + "|cancel|||2|cpu=2||");

    // Emptying a list: slurmdbd takes an empty list as "no change", so the client says it could not.
    var cannotEmpty = new SlurmQos(high, "high priority", 50, List.of(), "cancel", highChanged);
    assertThatThrownBy(() -> slurm.putQos(cannotEmpty)).isInstanceOf(SlurmRequestException.class)
        .hasMessageContaining("cannot empty");
    assertThat(qos(slurm, high)).isEqualTo(new SlurmQos(high, "high priority", 50, List.of(low), "cancel", highChanged));
    assertThatThrownBy(() -> slurm.putAccount(new SlurmAccount(a, "team a", "root", 5, List.of(), null, aChanged)))
        .isInstanceOf(SlurmRequestException.class).hasMessageContaining("cannot empty");
    assertThat(account(slurm, a).qos()).containsExactlyInAnyOrder("normal", high);

    // Refusals carry Slurm's own words.
    assertThatThrownBy(() -> slurm.putAccount(new SlurmAccount(p + "-orphan", null, p + "-nosuch", 1, List.of(), null, null)))
        .isInstanceOf(SlurmRequestException.class).hasMessageContaining("parent")
        .satisfies(e -> assertThat(((SlurmRequestException) e).errors()).isNotEmpty());
    assertThat(slurm.accounts()).extracting(SlurmAccount::name).doesNotContain(p + "-orphan");
    assertThatThrownBy(() -> slurm.putAccount(new SlurmAccount(b, null, p + "-nosuch", 1, List.of(), null, null)))
        .isInstanceOf(SlurmRequestException.class).hasMessageContaining(p + "-nosuch");
    assertThat(account(slurm, b).parent()).isEqualTo("root");
    assertThatThrownBy(() -> slurm.putQos(new SlurmQos(p + "-bad", null, null, List.of(p + "-nosuchqos"), null, null)))
        .isInstanceOf(SlurmRequestException.class).hasMessageContaining(p + "-nosuchqos")
        .satisfies(e -> assertThat(((SlurmRequestException) e).errors()).isNotEmpty());
    assertThatThrownBy(() -> slurm.deleteUser(p + "-nobody"))
        .isInstanceOf(SlurmRequestException.class).hasMessageContaining(p + "-nobody");
    assertThatThrownBy(() -> slurm.putUser(new SlurmUser(p + "-bob", p + "-nosuch", List.of(p + "-nosuch"))))
        .isInstanceOf(SlurmRequestException.class);

    // Deletes, each gone afterwards.
    slurm.deleteUserAssociation(alice, b);
    assertThat(user(slurm, alice).accounts()).containsExactly(a);
    assertThat(sacctmgr("show", "user", alice, "withassoc", "format=User,Account")).isEqualTo(alice + "|" + a);
    assertThatThrownBy(() -> slurm.deleteUserAssociation(alice, b)).isInstanceOf(SlurmRequestException.class);
    slurm.deleteUser(alice);
    assertThat(slurm.users()).extracting(SlurmUser::name).doesNotContain(alice);
    assertThat(sacctmgr("show", "user", alice)).isEmpty();
    slurm.deleteAccount(sub);
    assertThat(slurm.accounts()).extracting(SlurmAccount::name).doesNotContain(sub);
    assertThat(sacctmgr("show", "account", sub)).isEmpty();

    // An account with a user's association and a finished job: what does Slurm do?
    // (docker exec runs as root in the slurmctld container.)
    String submitter = exec(cluster.controller, "id", "-un").strip();
    SlurmUser before = slurm.users().stream().filter(u -> u.name().equals(submitter)).findFirst().orElse(null);
    slurm.putUser(new SlurmUser(submitter, b, List.of(b)));
    awaitTrue("slurmctld knows " + submitter + "'s association with " + b, Duration.ofSeconds(30), () ->
        exec(cluster.controller, "scontrol", "show", "assoc_mgr", "flags=assoc", "users=" + submitter, "accounts=" + b)
            .contains("Account=" + b + " "));
    String job = exec(cluster.controller, "sbatch", "--parsable", "-A", b, "--wrap", "true").strip();
    awaitTrue("job " + job + " is COMPLETED", Duration.ofSeconds(90), () ->
        exec(cluster.controller, "sacct", "-n", "-X", "-P", "-j", job, "-o", "State").strip().equals("COMPLETED"));
    // Slurm refuses to remove a user's default account, not an account users are in.
    assertThatThrownBy(() -> slurm.deleteAccount(b)).isInstanceOf(SlurmRequestException.class)
        .hasMessageContaining("default account");
    if (before != null) {
      slurm.putUser(before);
      assertThat(user(slurm, submitter).defaultAccount()).isEqualTo(before.defaultAccount());
    } else {
      slurm.deleteUser(submitter);
    }
    slurm.deleteAccount(b);
    assertThat(slurm.accounts()).extracting(SlurmAccount::name).doesNotContain(b);
    assertThat(slurm.users()).filteredOn(u -> u.name().equals(submitter)).allSatisfy(u -> assertThat(u.accounts()).doesNotContain(b));
    assertThat(exec(cluster.controller, "sacct", "-n", "-X", "-P", "-j", job, "-o", "User,Account,State").strip())
        .isEqualTo(submitter + "|" + b + "|COMPLETED");

    slurm.deleteAccount(a);
    assertThat(slurm.accounts()).extracting(SlurmAccount::name).doesNotContain(a);
    assertThatThrownBy(() -> slurm.deleteAccount(a)).isInstanceOf(SlurmRequestException.class).hasMessageContaining(a);
    slurm.deleteQos(high);
    slurm.deleteQos(low);
    assertThat(slurm.qos()).extracting(SlurmQos::name).doesNotContain(high, low);
    assertThat(sacctmgr("show", "qos", low)).isEmpty();
    assertThatThrownBy(() -> slurm.deleteQos(low)).isInstanceOf(SlurmRequestException.class).hasMessageContaining(low);
  }

  private static SlurmQos qos(SlurmAccounting slurm, String name) {
    return slurm.qos().stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no QOS " + name));
  }

  private static SlurmAccount account(SlurmAccounting slurm, String name) {
    return slurm.accounts().stream().filter(q -> q.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no account " + name));
  }

  private static SlurmUser user(SlurmAccounting slurm, String name) {
    return slurm.users().stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no user " + name));
  }

  /** sacctmgr -n -P in the slurmctld container, stripped. */
  private static String sacctmgr(String... args) {
    String[] command = Stream.concat(Stream.of("sacctmgr", "-n", "-P"), Stream.of(args)).toArray(String[]::new);
    return exec(cluster.controller, command).strip();
  }

  /** The account's own association (not its users'), its own limits only (WOPLimits). */
  private static String accountAssoc(String account, String fields) {
    return sacctmgr("show", "assoc", "WOPLimits", "where", "account=" + account, "format=User," + fields)
        .lines().filter(l -> l.startsWith("|")).map(l -> l.substring(1)).findFirst()
        .orElseThrow(() -> new AssertionError("no association of account " + account));
  }
}
