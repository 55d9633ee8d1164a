package io.slurmkube.reconcile;

import io.slurmkube.accounting.AccountingPlan;
import io.slurmkube.api.AccountingStatus;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.model.ClusterModel;
import io.slurmkube.slurm.SlurmAccounting;
import io.slurmkube.slurm.SlurmConnections;
import io.slurmkube.slurm.SlurmException;
import io.slurmkube.slurm.SlurmRequestException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps slurmdbd holding the spec's QOS, accounts and user associations, through slurmrestd's
 * accounting endpoints: reads what slurmdbd holds, applies {@link AccountingPlan}'s changes one by
 * one (a refusal stops only its own object) and reports per object what Slurm accepted or refused.
 * Runs when the spec changed, and otherwise every {@link #RECHECK} to undo drift and retry.
 */
final class AccountingSync {
  private static final Logger LOG = LoggerFactory.getLogger(AccountingSync.class);
  static final Duration RECHECK = Duration.ofSeconds(60);
  static final String APPLIED = "Applied";
  static final String REFUSED = "Refused";
  static final String PENDING = "Pending";

  /** The last sync of a cluster (by uid): its generation, time and result. */
  private record LastRun(long generation, Instant at, AccountingStatus status) {}

  private final SlurmConnections slurm;
  private final EventRecorder events;
  private final Clock clock;
  private final Map<String, LastRun> lastRuns = new ConcurrentHashMap<>();

  AccountingSync(SlurmConnections slurm, EventRecorder events, Clock clock) {
    this.slurm = slurm;
    this.events = events;
    this.clock = clock;
  }

  /**
   * The new status.accounting, or the old one when this pass does not look; null when nothing is
   * declared and nothing was created.
   */
  AccountingStatus reconcile(ClusterModel model, boolean controllerReady) {
    SlurmCluster cluster = model.cluster();
    String key = cluster.getMetadata().getUid();
    LastRun last = lastRuns.get(key);
    // What this operator last wrote beats the cached status, which may not show it yet: a stale
    // copy without createdUsers would make the operator forget what it created.
    AccountingStatus old = last != null ? last.status()
        : cluster.getStatus() == null ? null : cluster.getStatus().accounting;
    var declared = AccountingPlan.declared(model.spec());
    boolean createdAny = old != null && !(old.createdQos.isEmpty() && old.createdAccounts.isEmpty() && old.createdUsers.isEmpty());
    if (declared.isEmpty() && !createdAny) {
      return null;
    }
    if (!model.runsSlurmdbd()) {
      return withSync(old, declared, "spec.accounting.mode is None: no slurmdbd holds accounts");
    }
    long generation = cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();
    Instant now = clock.instant();
    if (last != null && last.generation() == generation && now.isBefore(last.at().plus(RECHECK)) && old != null) {
      return old;
    }
    if (!controllerReady) {
      return withSync(old, declared, "waiting for slurmctld and slurmrestd to be ready");
    }
    try {
      SlurmAccounting accounting = slurm.accountingFor(cluster);
      var result = sync(model, accounting, old);
      lastRuns.put(key, new LastRun(generation, now, result));
      return result;
    } catch (SlurmException e) {
      LOG.warn("accounting sync cluster={} namespace={} cannot reach slurmdbd: {}", model.name(), model.namespace(),
          e.getMessage());
      return withSync(old, declared, "cannot read slurmdbd through slurmrestd: " + e.getMessage());
    }
  }

  void forget(SlurmCluster cluster) {
    lastRuns.remove(cluster.getMetadata().getUid());
  }

  private AccountingStatus sync(ClusterModel model, SlurmAccounting accounting, AccountingStatus old) {
    SlurmCluster cluster = model.cluster();
    var spec = model.spec();
    Set<String> createdQos = new LinkedHashSet<>(old == null ? List.of() : old.createdQos);
    Set<String> createdAccounts = new LinkedHashSet<>(old == null ? List.of() : old.createdAccounts);
    Set<String> createdUsers = new LinkedHashSet<>(old == null ? List.of() : old.createdUsers);
    var held = read(accounting);
    var changes = AccountingPlan.changes(spec, held, new AccountingPlan.Created(createdQos, createdAccounts, createdUsers));
    Map<String, String> refusals = new LinkedHashMap<>();
    List<String> done = new ArrayList<>();
    for (AccountingPlan.Change change : changes) {
      String object = change.kind() + "/" + change.name();
      if (refusals.containsKey(object)) {
        continue; // its first step was refused: the rest would be too
      }
      try {
        apply(accounting, change);
        done.add(change.describe());
        recordCreation(change, createdQos, createdAccounts, createdUsers);
      } catch (SlurmRequestException e) {
        refusals.put(object, change.describe() + ": Slurm refused: " + e.getMessage());
      }
    }
    if (!done.isEmpty()) {
      LOG.info("accounting sync cluster={} namespace={} applied=\"{}\"", model.name(), model.namespace(), String.join("; ", done));
      events.normal(cluster, "AccountingApplied", "slurmdbd: " + String.join("; ", done));
      held = read(accounting);
    }
    var status = new AccountingStatus();
    status.createdQos = new ArrayList<>(createdQos);
    status.createdAccounts = new ArrayList<>(createdAccounts);
    status.createdUsers = new ArrayList<>(createdUsers);
    for (var object : AccountingPlan.declared(spec)) {
      String id = object.getKey() + "/" + object.getValue();
      String refusal = refusals.get(id);
      String state = refusal != null ? REFUSED
          : AccountingPlan.holds(spec, held, object.getKey(), object.getValue()) ? APPLIED : PENDING;
      status.objects.add(new AccountingStatus.ObjectState(object.getKey(), object.getValue(), state,
          refusal != null ? refusal : state.equals(APPLIED) ? null : "slurmdbd does not hold it as declared yet"));
      if (refusal != null) {
        events.warningOnChange(cluster, "accounting/" + id, refusal, null, "AccountingRefused", refusal);
      }
    }
    // Refused deletions belong to no declared object: still said, once.
    refusals.forEach((id, why) -> {
      if (status.objects.stream().noneMatch(o -> id.equals(o.kind + "/" + o.name))) {
        status.objects.add(new AccountingStatus.ObjectState(id.substring(0, id.indexOf('/')), id.substring(id.indexOf('/') + 1),
            REFUSED, why));
        events.warningOnChange(cluster, "accounting/" + id, why, null, "AccountingRefused", why);
      }
    });
    status.lastSync = refusals.isEmpty() ? "slurmdbd holds the declared accounting (" + accounting.apiVersion() + ")"
        : refusals.size() + " change(s) refused by Slurm; see objects";
    return status;
  }

  private static AccountingPlan.Held read(SlurmAccounting accounting) {
    return new AccountingPlan.Held(accounting.qos(), accounting.accounts(), accounting.users());
  }

  private static void apply(SlurmAccounting accounting, AccountingPlan.Change change) {
    if (change instanceof AccountingPlan.PutQos put) {
      accounting.putQos(put.qos());
    } else if (change instanceof AccountingPlan.PutAccount put) {
      accounting.putAccount(put.account());
    } else if (change instanceof AccountingPlan.PutUser put) {
      accounting.putUser(put.user());
    } else if (change instanceof AccountingPlan.DeleteUserAssociation gone) {
      accounting.deleteUserAssociation(gone.user(), gone.account());
    } else if (change.kind().equals(AccountingPlan.QOS)) {
      accounting.deleteQos(change.name());
    } else if (change.kind().equals(AccountingPlan.ACCOUNT)) {
      accounting.deleteAccount(change.name());
    } else {
      accounting.deleteUser(change.name());
    }
  }

  /** Remembers what the operator made (and forgets what it deleted): only those may be deleted later. */
  private static void recordCreation(AccountingPlan.Change change, Set<String> qos, Set<String> accounts, Set<String> users) {
    Set<String> ofKind = switch (change.kind()) {
      case AccountingPlan.QOS -> qos;
      case AccountingPlan.ACCOUNT -> accounts;
      default -> users;
    };
    if (change instanceof AccountingPlan.Delete) {
      ofKind.remove(change.name());
    } else if ((change instanceof AccountingPlan.PutQos p && p.creates())
        || (change instanceof AccountingPlan.PutAccount a && a.creates())
        || (change instanceof AccountingPlan.PutUser u && u.creates())) {
      ofKind.add(change.name());
    }
  }

  /** The previous status with a new lastSync and every declared object at least listed. */
  private static AccountingStatus withSync(AccountingStatus old, List<Map.Entry<String, String>> declared, String why) {
    var status = new AccountingStatus();
    if (old != null) {
      status.createdQos = old.createdQos;
      status.createdAccounts = old.createdAccounts;
      status.createdUsers = old.createdUsers;
    }
    for (var object : declared) {
      var before = old == null ? null : old.objects.stream()
          .filter(o -> object.getKey().equals(o.kind) && object.getValue().equals(o.name)).findFirst().orElse(null);
      status.objects.add(before != null ? before : new AccountingStatus.ObjectState(object.getKey(), object.getValue(), PENDING, why));
    }
    status.lastSync = why;
    return status;
  }
}
