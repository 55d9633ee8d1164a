package io.slurmkube.accounting;

import io.slurmkube.api.AccountSpec;
import io.slurmkube.api.LimitsSpec;
import io.slurmkube.api.SlurmClusterSpec;
import io.slurmkube.api.UserSpec;
import io.slurmkube.slurm.SlurmAccount;
import io.slurmkube.slurm.SlurmLimits;
import io.slurmkube.slurm.SlurmQos;
import io.slurmkube.slurm.SlurmUser;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What slurmdbd must be told so that it holds the accounts, QOS and user associations of a spec: a
 * pure function of the spec, what slurmdbd holds now and what the operator created before. Puts
 * come in dependency order (QOS, then accounts parents first, then users), deletions after them
 * (user associations, users, accounts deepest first, QOS). Only what the operator created is ever
 * deleted: a name that disappears from the spec by a typo or a rename loses its association, never
 * Slurm's own objects or an administrator's, and Slurm keeps the jobs' accounting records.
 */
public final class AccountingPlan {
  public static final String QOS = "QOS";
  public static final String ACCOUNT = "Account";
  public static final String USER = "User";

  /** One request to slurmdbd. */
  public sealed interface Change {
    String kind();

    String name();

    /** What it does, for events and logs: "create account a", "delete user bob". */
    String describe();
  }

  public record PutQos(SlurmQos qos, boolean creates) implements Change {
    public String kind() { return QOS; }
    public String name() { return qos.name(); }
    public String describe() { return (creates ? "create" : "update") + " QOS " + qos.name(); }
  }

  public record PutAccount(SlurmAccount account, boolean creates) implements Change {
    public String kind() { return ACCOUNT; }
    public String name() { return account.name(); }
    public String describe() { return (creates ? "create" : "update") + " account " + account.name(); }
  }

  public record PutUser(SlurmUser user, boolean creates) implements Change {
    public String kind() { return USER; }
    public String name() { return user.name(); }
    public String describe() {
      return (creates ? "create" : "update") + " user " + user.name() + " in " + String.join(",", user.accounts());
    }
  }

  public record DeleteUserAssociation(String user, String account) implements Change {
    public String kind() { return USER; }
    public String name() { return user; }
    public String describe() { return "remove user " + user + " from account " + account; }
  }

  public record Delete(String kind, String name) implements Change {
    public String describe() { return "delete " + kind.toLowerCase(java.util.Locale.ROOT) + " " + name; }
  }

  /** What the operator created earlier (status.accounting), so what it may delete. */
  public record Created(Set<String> qos, Set<String> accounts, Set<String> users) {
    public static final Created NONE = new Created(Set.of(), Set.of(), Set.of());
  }

  /** What slurmdbd holds now. */
  public record Held(List<SlurmQos> qos, List<SlurmAccount> accounts, List<SlurmUser> users) {}

  private AccountingPlan() {}

  public static List<Change> changes(SlurmClusterSpec spec, Held held, Created created) {
    List<Change> changes = new ArrayList<>();
    Map<String, SlurmQos> heldQos = byName(held.qos(), SlurmQos::name);
    Map<String, SlurmAccount> heldAccounts = byName(held.accounts(), SlurmAccount::name);
    Map<String, SlurmUser> heldUsers = byName(held.users(), SlurmUser::name);

    // A new QOS may preempt another new one: all are made bare first, their preempt lists after.
    List<SlurmQos> wantedQos = desiredQos(spec);
    for (SlurmQos qos : wantedQos) {
      if (!heldQos.containsKey(qos.name()) && !qos.preempt().isEmpty()) {
        changes.add(new PutQos(new SlurmQos(qos.name(), qos.description(), qos.priority(), List.of(),
            qos.preemptMode(), qos.limits()), true));
      }
    }
    for (SlurmQos qos : wantedQos) {
      SlurmQos now = heldQos.get(qos.name());
      if (now == null) {
        changes.add(new PutQos(qos, qos.preempt().isEmpty()));
      } else if (!matches(qos, now)) {
        changes.add(new PutQos(qos, false));
      }
    }
    for (SlurmAccount account : desiredAccounts(spec)) {
      SlurmAccount now = heldAccounts.get(account.name());
      if (now == null || !matches(account, now, heldAccounts.get(account.parent()))) {
        // No qos declared means "as Slurm has it" (a new account inherits its parent's); sent
        // empty, it would ask slurmrestd to empty the list, which it cannot.
        SlurmAccount put = now == null || !account.qos().isEmpty() ? account
            : new SlurmAccount(account.name(), account.description(), account.parent(), account.fairshare(),
                now.qos() == null ? List.of() : now.qos(), account.defaultQos(), account.limits());
        changes.add(new PutAccount(put, now == null));
      }
    }
    Map<String, SlurmUser> wantedUsers = byName(desiredUsers(spec), SlurmUser::name);
    for (SlurmUser user : wantedUsers.values()) {
      SlurmUser now = heldUsers.get(user.name());
      if (now == null || !matches(user, now)) {
        changes.add(new PutUser(user, now == null));
      }
      if (now != null && created.users().contains(user.name())) {
        for (String account : now.accounts()) {
          if (!user.accounts().contains(account)) {
            changes.add(new DeleteUserAssociation(user.name(), account));
          }
        }
      }
    }
    for (SlurmUser user : held.users()) {
      if (created.users().contains(user.name()) && !wantedUsers.containsKey(user.name())) {
        changes.add(new Delete(USER, user.name()));
      }
    }
    Set<String> wantedAccounts = names(spec.accounting == null ? List.<AccountSpec>of() : spec.accounting.accounts);
    for (SlurmAccount account : deepestFirst(held.accounts())) {
      if (created.accounts().contains(account.name()) && !wantedAccounts.contains(account.name())) {
        changes.add(new Delete(ACCOUNT, account.name()));
      }
    }
    Set<String> wantedQosNames = new HashSet<>();
    wantedQos.forEach(q -> wantedQosNames.add(q.name()));
    for (SlurmQos qos : held.qos()) {
      if (created.qos().contains(qos.name()) && !wantedQosNames.contains(qos.name())) {
        changes.add(new Delete(QOS, qos.name()));
      }
    }
    return changes;
  }

  /** Whether slurmdbd holds the declared object as declared: what status reports as Applied. */
  public static boolean holds(SlurmClusterSpec spec, Held held, String kind, String name) {
    return switch (kind) {
      case QOS -> desiredQos(spec).stream().filter(q -> q.name().equals(name)).findFirst()
          .map(q -> held.qos().stream().anyMatch(h -> h.name().equals(name) && matches(q, h))).orElse(false);
      case ACCOUNT -> desiredAccounts(spec).stream().filter(a -> a.name().equals(name)).findFirst()
          .map(a -> held.accounts().stream().anyMatch(h -> h.name().equals(name) && matches(a, h, held.accounts().stream()
              .filter(p -> p.name().equals(a.parent())).findFirst().orElse(null)))).orElse(false);
      default -> desiredUsers(spec).stream().filter(u -> u.name().equals(name)).findFirst()
          .map(u -> held.users().stream().anyMatch(h -> h.name().equals(name) && matches(u, h))).orElse(false);
    };
  }

  /** The declared objects, as (kind, name) in the order they are applied. */
  public static List<Map.Entry<String, String>> declared(SlurmClusterSpec spec) {
    List<Map.Entry<String, String>> all = new ArrayList<>();
    desiredQos(spec).forEach(q -> all.add(Map.entry(QOS, q.name())));
    desiredAccounts(spec).forEach(a -> all.add(Map.entry(ACCOUNT, a.name())));
    desiredUsers(spec).forEach(u -> all.add(Map.entry(USER, u.name())));
    return all;
  }

  static List<SlurmQos> desiredQos(SlurmClusterSpec spec) {
    if (spec.accounting == null) {
      return List.of();
    }
    return spec.accounting.qos.stream().map(q -> new SlurmQos(q.name, q.description, q.priority,
        List.copyOf(q.preempt), null, limits(q.limits))).toList();
  }

  static List<SlurmAccount> desiredAccounts(SlurmClusterSpec spec) {
    if (spec.accounting == null) {
      return List.of();
    }
    return spec.accounting.accounts.stream().map(a -> new SlurmAccount(a.name, a.description, a.parentOrRoot(),
        a.fairshare == null ? 1 : a.fairshare, List.copyOf(a.qos), a.defaultQos, limits(a.limits))).toList();
  }

  /** Users with at least one account; the first named (account, else accounts[0]) is the default. */
  static List<SlurmUser> desiredUsers(SlurmClusterSpec spec) {
    List<SlurmUser> users = new ArrayList<>();
    for (UserSpec user : spec.users) {
      var accounts = new LinkedHashSet<String>();
      if (user.account != null && !user.account.isBlank()) {
        accounts.add(user.account);
      }
      accounts.addAll(user.accounts);
      if (!accounts.isEmpty()) {
        users.add(new SlurmUser(user.name, accounts.iterator().next(), List.copyOf(accounts)));
      }
    }
    return users;
  }

  static SlurmLimits limits(LimitsSpec limits) {
    if (limits == null) {
      return SlurmLimits.NONE;
    }
    return new SlurmLimits(TresText.normalize(limits.grpTRES), limits.grpJobs, limits.maxJobs, limits.maxSubmitJobs,
        TresText.normalize(limits.maxTRESPerJob), TresText.normalize(limits.maxTRESPerUser), limits.maxWallMinutes);
  }

  /** The user has (at least) the declared associations and the declared default account. */
  static boolean matches(SlurmUser wanted, SlurmUser held) {
    return held.accounts().containsAll(wanted.accounts()) && Objects.equals(held.defaultAccount(), wanted.defaultAccount());
  }

  static boolean matches(SlurmQos wanted, SlurmQos held) {
    return sameText(wanted.description(), held.description())
        && Objects.equals(orZero(wanted.priority()), orZero(held.priority()))
        && Set.copyOf(wanted.preempt()).equals(Set.copyOf(held.preempt() == null ? List.of() : held.preempt()))
        && sameLimits(wanted.limits(), held.limits(), null, true);
  }

  static boolean matches(SlurmAccount wanted, SlurmAccount held, SlurmAccount heldParent) {
    return sameText(wanted.description(), held.description())
        && Objects.equals(wanted.parent(), held.parent())
        && Objects.equals(wanted.fairshare(), held.fairshare())
        && (wanted.qos().isEmpty() || Set.copyOf(wanted.qos()).equals(Set.copyOf(held.qos() == null ? List.of() : held.qos())))
        && (wanted.defaultQos() == null || wanted.defaultQos().equals(held.defaultQos()))
        && sameLimits(wanted.limits(), held.limits(), heldParent == null ? null : heldParent.limits(), false);
  }

  /**
   * A declared limit must be held as declared; an undeclared one may be unset or the parent's
   * (slurmdbd copies a parent's limits into a new sub-account, and that is what "not set" means there).
   */
  private static boolean sameLimits(SlurmLimits wanted, SlurmLimits held, SlurmLimits parent, boolean qos) {
    SlurmLimits h = held == null ? SlurmLimits.NONE : held;
    SlurmLimits p = parent == null ? SlurmLimits.NONE : parent;
    return sameTres(wanted.grpTres(), h.grpTres(), p.grpTres())
        && same(wanted.grpJobs(), h.grpJobs(), p.grpJobs())
        && same(wanted.maxJobs(), h.maxJobs(), p.maxJobs())
        && same(wanted.maxSubmitJobs(), h.maxSubmitJobs(), p.maxSubmitJobs())
        && sameTres(wanted.maxTresPerJob(), h.maxTresPerJob(), p.maxTresPerJob())
        && (!qos || sameTres(wanted.maxTresPerUser(), h.maxTresPerUser(), p.maxTresPerUser()))
        && same(wanted.maxWallMinutes(), h.maxWallMinutes(), p.maxWallMinutes());
  }

  private static boolean same(Integer wanted, Integer held, Integer inherited) {
    return wanted != null ? wanted.equals(held) : held == null || held.equals(inherited);
  }

  private static boolean sameTres(String wanted, String held, String inherited) {
    return wanted != null ? TresText.same(wanted, held) : TresText.same(held, null) || TresText.same(held, inherited);
  }

  /** An undeclared description is left as slurmdbd has it. */
  private static boolean sameText(String wanted, String held) {
    return wanted == null || wanted.equals(held == null ? "" : held);
  }

  private static int orZero(Integer value) {
    return value == null ? 0 : value;
  }

  /** Children before their parents, so that no account is deleted while it still has sub-accounts. */
  static List<SlurmAccount> deepestFirst(List<SlurmAccount> accounts) {
    Map<String, String> parents = new HashMap<>();
    accounts.forEach(a -> parents.put(a.name(), a.parent()));
    var byDepth = new TreeMap<Integer, List<SlurmAccount>>(java.util.Comparator.reverseOrder());
    for (SlurmAccount account : accounts) {
      int depth = 0;
      String at = account.name();
      while (parents.get(at) != null && depth < accounts.size()) {
        at = parents.get(at);
        depth++;
      }
      byDepth.computeIfAbsent(depth, d -> new ArrayList<>()).add(account);
    }
    return byDepth.values().stream().flatMap(List::stream).toList();
  }

  private static <T> Map<String, T> byName(Collection<T> items, java.util.function.Function<T, String> name) {
    Map<String, T> map = new LinkedHashMap<>();
    items.forEach(i -> map.put(name.apply(i), i));
    return map;
  }

  private static Set<String> names(List<AccountSpec> accounts) {
    Set<String> names = new HashSet<>();
    accounts.forEach(a -> names.add(a.name));
    return names;
  }
}
