package io.slurmkube.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The adapter for slurmrestd's {@code /slurmdb/v0.0.4x} APIs, v0.0.42 (Slurm 24.11) to v0.0.45
 * (26.05). The QOS and association records it reads and writes have the same names and shapes in
 * the four (SlurmAccountingIT runs through each version a server serves), so one class speaks them all.
 *
 * <p>What slurmdbd does with a record, found by trying (see SlurmAccountingIT):
 * <ul>
 *   <li>A new account's association is made by {@code accounts_association}: POST {@code associations}
 *       would make one but ignores its {@code parent_account}. An existing association takes a new
 *       parent, shares, QOS and limits from POST {@code associations}, but an unknown parent is
 *       ignored without an error, so the parent is read back.</li>
 *   <li>A number sent as {@code {"set": false, "infinite": true}} clears the limit. A TRES list is
 *       merged into a QOS's, so each TRES to drop is sent with count -1.</li>
 *   <li>An empty QOS or preempt list means "no change" to slurmdbd, and {@code [""]} crashes
 *       slurmrestd 26.05, so neither list can be emptied through this API.</li>
 *   <li>Deleting something that does not exist answers 304 and no body (26.05), or 200 (24.11's QOS).</li>
 * </ul>
 */
final class SlurmDbRestApi implements SlurmAccounting {
  /** slurmdbd's default for an association's fair share (sacctmgr's Fairshare=1). */
  private static final int DEFAULT_SHARES = 1;
  /** Read an association's own limits, not those it inherits (sacctmgr's WOPLimits). */
  private static final String OWN_LIMITS = "Exclude%20limits%20from%20parents";

  private final String version;
  private final String prefix;
  private final String cluster;
  private final RestTransport rest;

  SlurmDbRestApi(String version, String cluster, RestTransport rest) {
    if (!SlurmRestApi.VERSIONS.contains(version)) {
      throw new IllegalArgumentException("slurmrestd API " + version + " is not one of " + SlurmRestApi.VERSIONS);
    }
    if (cluster == null || cluster.isBlank()) {
      throw new IllegalArgumentException("the Slurm cluster name is required");
    }
    this.version = version;
    this.prefix = "/slurmdb/" + version;
    this.cluster = cluster;
    this.rest = rest;
  }

  @Override
  public String apiVersion() { return version; }

  // ------------------------------------------------------------------------------------------ QOS

  @Override
  public List<SlurmQos> qos() {
    List<SlurmQos> all = new ArrayList<>();
    rest.get(prefix + "/qos").path("qos").forEach(q -> all.add(qos(q)));
    return all;
  }

  static SlurmQos qos(JsonNode q) {
    JsonNode max = q.path("limits").path("max");
    var limits = new SlurmLimits(
        Tres.format(Tres.fromJson(max.path("tres").path("total"))),
        count(max.path("active_jobs").path("count")),
        count(max.path("jobs").path("active_jobs").path("per").path("user")),
        count(max.path("jobs").path("per").path("user")),
        Tres.format(Tres.fromJson(max.path("tres").path("per").path("job"))),
        Tres.format(Tres.fromJson(max.path("tres").path("per").path("user"))),
        count(max.path("wall_clock").path("per").path("job")));
    List<String> modes = new ArrayList<>();
    q.path("preempt").path("mode").forEach(m -> {
      if (!m.asText().equals("DISABLED")) {
        modes.add(m.asText().toLowerCase(Locale.ROOT));
      }
    });
    return new SlurmQos(q.path("name").asText(), q.path("description").asText(""), count(q.path("priority")),
        texts(q.path("preempt").path("list")), modes.isEmpty() ? null : String.join(",", modes), limits);
  }

  @Override
  public void putQos(SlurmQos qos) {
    String name = requireName("QOS", qos.name());
    List<String> preempt = qos.preempt() == null ? List.of() : qos.preempt();
    // slurmrestd 26.05 dies on a blank name in this list: never send one.
    preempt.forEach(p -> requireName("preempted QOS", p));
    SlurmLimits limits = qos.limits() == null ? SlurmLimits.NONE : qos.limits();
    JsonNode found = rest.get(prefix + "/qos/" + encode(name)).path("qos").path(0);
    SlurmQos current = found.isMissingNode() ? null : qos(found);
    SlurmLimits now = current == null ? SlurmLimits.NONE : current.limits();

    ObjectNode record = rest.json().createObjectNode();
    record.put("name", name);
    // slurmdbd's own default description is the name.
    record.put("description", qos.description() == null || qos.description().isBlank() ? name : qos.description());
    record.set("priority", number(qos.priority() == null ? 0 : qos.priority()));
    ObjectNode preemptNode = record.putObject("preempt");
    ArrayNode list = preemptNode.putArray("list");
    preempt.forEach(list::add);
    ArrayNode modes = preemptNode.putArray("mode");
    preemptModes(qos.preemptMode()).forEach(modes::add);
    ObjectNode max = record.putObject("limits").putObject("max");
    max.putObject("active_jobs").set("count", number(limits.grpJobs()));
    ObjectNode jobs = max.putObject("jobs");
    jobs.putObject("active_jobs").putObject("per").set("user", number(limits.maxJobs()));
    jobs.putObject("per").set("user", number(limits.maxSubmitJobs()));
    ObjectNode tres = max.putObject("tres");
    tres.set("total", tresList(limits.grpTres(), now.grpTres()));
    ObjectNode tresPer = tres.putObject("per");
    tresPer.set("job", tresList(limits.maxTresPerJob(), now.maxTresPerJob()));
    tresPer.set("user", tresList(limits.maxTresPerUser(), now.maxTresPerUser()));
    max.putObject("wall_clock").putObject("per").set("job", number(limits.maxWallMinutes()));
    ObjectNode body = rest.json().createObjectNode();
    body.putArray("qos").add(record);
    rest.post(prefix + "/qos", body);

    if (preempt.isEmpty() && current != null && !current.preempt().isEmpty()) {
      List<String> after = qos(rest.get(prefix + "/qos/" + encode(name)).path("qos").path(0)).preempt();
      if (!after.isEmpty()) {
        throw cannotEmpty("QOS " + name + "'s preempt list " + after, "sacctmgr modify qos " + name + " set preempt=''");
      }
    }
  }

  /** Slurm's PreemptMode text ("requeue", "suspend,gang", "off", "cluster") as the API's flags. */
  static List<String> preemptModes(String text) {
    List<String> modes = new ArrayList<>();
    if (text != null) {
      for (String mode : text.split(",")) {
        String flag = mode.strip().toUpperCase(Locale.ROOT);
        if (!flag.isEmpty() && !flag.equals("OFF") && !flag.equals("CLUSTER") && !flag.equals("DISABLED")) {
          modes.add(flag);
        }
      }
    }
    return modes.isEmpty() ? List.of("DISABLED") : modes;
  }

  @Override
  public void deleteQos(String qos) {
    String path = prefix + "/qos/" + encode(requireName("QOS", qos));
    delete(path, path, "qos", "QOS " + qos);
  }

  // ------------------------------------------------------------------------------------- accounts

  @Override
  public List<SlurmAccount> accounts() {
    Map<String, String> descriptions = new HashMap<>();
    rest.get(prefix + "/accounts").path("accounts")
        .forEach(a -> descriptions.put(a.path("name").asText(), a.path("description").asText("")));
    List<SlurmAccount> accounts = new ArrayList<>();
    for (JsonNode assoc : associations("")) {
      if (isAccountAssociation(assoc)) {
        accounts.add(account(assoc, descriptions.getOrDefault(assoc.path("account").asText(), "")));
      }
    }
    return accounts;
  }

  static SlurmAccount account(JsonNode assoc, String description) {
    JsonNode max = assoc.path("max");
    var limits = new SlurmLimits(
        Tres.format(Tres.fromJson(max.path("tres").path("total"))),
        count(max.path("jobs").path("per").path("count")),
        count(max.path("jobs").path("active")),
        count(max.path("jobs").path("total")),
        Tres.format(Tres.fromJson(max.path("tres").path("per").path("job"))),
        null,
        count(max.path("jobs").path("per").path("wall_clock")));
    return new SlurmAccount(assoc.path("account").asText(), description, blankToNull(assoc.path("parent_account").asText("")),
        count(assoc.path("shares_raw")), texts(assoc.path("qos")), blankToNull(assoc.path("default").path("qos").asText("")),
        limits);
  }

  @Override
  public void putAccount(SlurmAccount account) {
    String name = requireName("account", account.name());
    String parent = name.equals("root") ? account.parent() : requireName("parent account of " + name, account.parent());
    String description = account.description() == null || account.description().isBlank() ? name : account.description();
    List<String> qos = account.qos() == null ? List.of() : account.qos();
    qos.forEach(q -> requireName("QOS of account " + name, q));
    SlurmLimits limits = account.limits() == null ? SlurmLimits.NONE : account.limits();
    int shares = account.fairshare() == null ? DEFAULT_SHARES : account.fairshare();

    JsonNode found = accountAssociation(name);
    SlurmAccount current = found == null ? null : account(found, "");
    if (current == null) {
      // The only call that places a new association under its parent; slurmdbd refuses an unknown parent here.
      ObjectNode body = rest.json().createObjectNode();
      ObjectNode condition = body.putObject("association_condition");
      condition.putArray("accounts").add(name);
      condition.putArray("clusters").add(cluster);
      ObjectNode assoc = condition.putObject("association");
      assoc.put("parent", parent);
      assoc.put("fairshare", shares);
      body.putObject("account").put("description", description).put("organization", name);
      rest.post(prefix + "/accounts_association", body);
    } else {
      updateDescription(name, description);
    }

    SlurmLimits now = current == null ? SlurmLimits.NONE : current.limits();
    ObjectNode record = associationKey(name, "");
    if (parent != null) {
      record.put("parent_account", parent);
    }
    record.put("shares_raw", shares);
    ArrayNode qosList = record.putArray("qos");
    qos.forEach(qosList::add);
    record.putObject("default").put("qos", account.defaultQos() == null ? "" : account.defaultQos());
    ObjectNode max = record.putObject("max");
    ObjectNode jobs = max.putObject("jobs");
    jobs.set("active", number(limits.maxJobs()));
    jobs.set("total", number(limits.maxSubmitJobs()));
    ObjectNode jobsPer = jobs.putObject("per");
    jobsPer.set("count", number(limits.grpJobs()));
    jobsPer.set("wall_clock", number(limits.maxWallMinutes()));
    ObjectNode tres = max.putObject("tres");
    tres.set("total", tresList(limits.grpTres(), now.grpTres()));
    tres.putObject("per").set("job", tresList(limits.maxTresPerJob(), now.maxTresPerJob()));
    ObjectNode body = rest.json().createObjectNode();
    body.putArray("associations").add(record);
    rest.post(prefix + "/associations", body);

    if (current != null && parent != null && !parent.equals(current.parent())) {
      JsonNode after = accountAssociation(name);
      String parentNow = after == null ? null : blankToNull(after.path("parent_account").asText(""));
      if (!parent.equals(parentNow)) {
        throw new SlurmRequestException(422, "POST " + prefix + "/associations: slurmdbd did not move account " + name
            + " under " + parent + " (it stays under " + parentNow + "); is there an account " + parent
            + " in cluster " + cluster + "?", List.of());
      }
    }
    if (qos.isEmpty() && current != null && !current.qos().isEmpty()) {
      JsonNode after = accountAssociation(name);
      List<String> qosNow = after == null ? List.of() : texts(after.path("qos"));
      if (!qosNow.isEmpty()) {
        throw cannotEmpty("account " + name + "'s QOS list " + qosNow,
            "sacctmgr modify account " + name + " where cluster=" + cluster + " set qos=''");
      }
    }
  }

  private void updateDescription(String name, String description) {
    JsonNode account = rest.get(prefix + "/account/" + encode(name)).path("accounts").path(0);
    if (account.isMissingNode() || description.equals(account.path("description").asText(""))) {
      return;
    }
    ObjectNode record = rest.json().createObjectNode();
    record.put("name", name);
    record.put("description", description);
    record.put("organization", account.path("organization").asText(name));
    ObjectNode body = rest.json().createObjectNode();
    body.putArray("accounts").add(record);
    rest.post(prefix + "/accounts", body);
  }

  @Override
  public void deleteAccount(String account) {
    String path = prefix + "/account/" + encode(requireName("account", account));
    delete(path, path, "accounts", "account " + account);
  }

  // ---------------------------------------------------------------------------------------- users

  @Override
  public List<SlurmUser> users() {
    Map<String, List<String>> accounts = new TreeMap<>();
    Map<String, String> defaults = new HashMap<>();
    for (JsonNode assoc : associations("")) {
      String user = assoc.path("user").asText("");
      if (user.isEmpty() || !assoc.path("partition").asText("").isEmpty()) {
        continue;
      }
      String account = assoc.path("account").asText();
      accounts.computeIfAbsent(user, u -> new ArrayList<>()).add(account);
      if (assoc.path("is_default").asBoolean(false)) {
        defaults.put(user, account);
      }
    }
    List<SlurmUser> users = new ArrayList<>();
    accounts.forEach((user, list) -> users.add(new SlurmUser(user, defaults.get(user), List.copyOf(list))));
    return users;
  }

  @Override
  public void putUser(SlurmUser user) {
    String name = requireName("user", user.name());
    Set<String> wanted = new LinkedHashSet<>(user.accounts() == null ? List.of() : user.accounts());
    wanted.forEach(a -> requireName("account of user " + name, a));
    String defaultAccount = user.defaultAccount() == null ? wanted.stream().findFirst().orElse(null) : user.defaultAccount();
    if (defaultAccount == null) {
      throw new IllegalArgumentException("user " + name + " needs at least one account");
    }
    wanted.add(defaultAccount);

    Map<String, Boolean> present = userAssociations(name);
    String currentDefault = present.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey)
        .findFirst().orElse(null);
    List<String> missing = wanted.stream().filter(a -> !present.containsKey(a)).toList();
    if (!missing.isEmpty()) {
      // Makes the user too when slurmdbd has none; an unknown account is refused here.
      ObjectNode body = rest.json().createObjectNode();
      ObjectNode condition = body.putObject("association_condition");
      ArrayNode users = condition.putArray("users");
      users.add(name);
      ArrayNode accounts = condition.putArray("accounts");
      missing.forEach(accounts::add);
      condition.putArray("clusters").add(cluster);
      body.putObject("user").put("defaultaccount", defaultAccount);
      JsonNode answer = rest.post(prefix + "/users_association", body);
      // An unknown account is no error to slurmdbd here: it just makes nothing.
      Set<String> made = userAssociations(name).keySet();
      List<String> notMade = missing.stream().filter(a -> !made.contains(a)).toList();
      if (!notMade.isEmpty()) {
        List<String> said = new ArrayList<>();
        answer.path("warnings").forEach(w -> said.add(w.path("description").asText()));
        String added = answer.path("added_users").asText("").strip().replaceAll("\\s+", " ");
        throw new SlurmRequestException(422, "POST " + prefix + "/users_association: slurmdbd made no association of user "
            + name + " with " + notMade + " in cluster " + cluster + " (is there such an account?)"
            + (said.isEmpty() ? "" : ": " + String.join("; ", said)) + (added.isEmpty() ? "" : " [" + added + "]"), said);
      }
    }
    if (!defaultAccount.equals(currentDefault)) {
      ObjectNode record = rest.json().createObjectNode();
      record.put("name", name);
      record.putObject("default").put("account", defaultAccount);
      ObjectNode body = rest.json().createObjectNode();
      body.putArray("users").add(record);
      rest.post(prefix + "/users", body);
    }
  }

  @Override
  public void deleteUserAssociation(String user, String account) {
    String query = "?cluster=" + encode(cluster) + "&account=" + encode(requireName("account", account))
        + "&user=" + encode(requireName("user", user));
    delete(prefix + "/association" + query, prefix + "/associations" + query, "associations",
        "association of user " + user + " with account " + account + " in cluster " + cluster);
  }

  @Override
  public void deleteUser(String user) {
    String path = prefix + "/user/" + encode(requireName("user", user));
    delete(path, path, "users", "user " + user);
  }

  // -------------------------------------------------------------------------------------- helpers

  /** This cluster's associations, with their own limits; {@code filter} adds query parameters. */
  private JsonNode associations(String filter) {
    return rest.get(prefix + "/associations?cluster=" + encode(cluster) + "&" + OWN_LIMITS + filter).path("associations");
  }

  /** The user's associations in this cluster (no partition): account to whether it is the default. */
  private Map<String, Boolean> userAssociations(String user) {
    Map<String, Boolean> accounts = new LinkedHashMap<>();
    for (JsonNode assoc : associations("&user=" + encode(user))) {
      if (assoc.path("user").asText("").equals(user) && assoc.path("partition").asText("").isEmpty()) {
        accounts.put(assoc.path("account").asText(), assoc.path("is_default").asBoolean(false));
      }
    }
    return accounts;
  }

  private JsonNode accountAssociation(String account) {
    for (JsonNode assoc : associations("&account=" + encode(account))) {
      if (isAccountAssociation(assoc) && assoc.path("account").asText().equals(account)) {
        return assoc;
      }
    }
    return null;
  }

  private static boolean isAccountAssociation(JsonNode assoc) {
    return assoc.path("user").asText("").isEmpty() && assoc.path("partition").asText("").isEmpty();
  }

  private ObjectNode associationKey(String account, String user) {
    ObjectNode key = rest.json().createObjectNode();
    key.put("account", account);
    key.put("cluster", cluster);
    key.put("user", user);
    key.put("partition", "");
    return key;
  }

  /**
   * Deletes what {@code readPath} lists under {@code field}. slurmdbd's answer to deleting nothing
   * differs (26.05: 304 and no body; 24.11's QOS: 200), so it is read first: absent is a refusal with
   * what slurmdbd says ("slurmdb_users_get() found nothing").
   */
  private void delete(String path, String readPath, String field, String what) {
    JsonNode found = rest.get(readPath);
    if (found.path(field).isEmpty()) {
      throw absent(path, what, found);
    }
    if (rest.deleteReply(path).status() == 304) {
      throw absent(path, what, rest.get(readPath));
    }
  }

  private static SlurmRequestException absent(String path, String what, JsonNode read) {
    List<String> said = new ArrayList<>();
    read.path("warnings").forEach(w -> said.add(w.path("description").asText()));
    return new SlurmRequestException(404, "DELETE " + path + ": slurmdbd has no " + what
        + (said.isEmpty() ? "" : ": " + String.join("; ", said)), said);
  }

  private static SlurmRequestException cannotEmpty(String what, String instead) {
    return new SlurmRequestException(422, "slurmrestd cannot empty " + what
        + ": slurmdbd takes an empty list as no change; the rest was applied. Run " + instead, List.of());
  }

  private ArrayNode tresList(String wanted, String current) {
    return Tres.toJson(Tres.parse(wanted), Tres.parse(current));
  }

  /** Slurm's {"set", "infinite", "number"}: not set clears the limit. */
  private ObjectNode number(Integer value) {
    ObjectNode number = rest.json().createObjectNode();
    number.put("set", value != null);
    number.put("infinite", value == null);
    number.put("number", value == null ? 0 : value);
    return number;
  }

  /** A number read back, plain or as {"set", "infinite", "number"}; null when not set or infinite. */
  static Integer count(JsonNode value) {
    if (value.isNumber()) {
      return value.asInt();
    }
    return value.path("set").asBoolean(false) && !value.path("infinite").asBoolean(false)
        ? value.path("number").asInt() : null;
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(t -> texts.add(t.asText()));
    return List.copyOf(texts);
  }

  private static String blankToNull(String text) {
    return text == null || text.isEmpty() ? null : text;
  }

  private static String requireName(String what, String name) {
    if (name == null || name.isBlank() || !name.strip().equals(name) || name.contains(",")) {
      throw new IllegalArgumentException("a " + what + " name must be a non-blank word without commas: \"" + name + "\"");
    }
    return name;
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }
}
