package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.api.SlurmClusterStatus;
import io.slurmkube.metrics.SlurmMetrics;
import io.slurmkube.model.AccountingBuilder;
import io.slurmkube.model.ClusterModel;
import io.slurmkube.model.ConfigMapBuilder;
import io.slurmkube.model.ControllerBuilder;
import io.slurmkube.model.DatabaseBuilder;
import io.slurmkube.model.AuthKeyRotation;
import io.slurmkube.model.KeySecrets;
import io.slurmkube.model.SshHostKeys;
import io.slurmkube.model.UserDirectory;
import io.slurmkube.model.Labels;
import io.slurmkube.model.LoginBuilder;
import io.slurmkube.model.NetworkPolicies;
import io.slurmkube.model.NodeSetBuilder;
import io.slurmkube.model.Owned;
import io.slurmkube.model.RestApiBuilder;
import io.slurmkube.model.SharedStorage;
import io.slurmkube.model.UpgradePlan;
import io.slurmkube.api.HomeSpec;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.slurmkube.slurm.SlurmConnections;
import io.slurmkube.slurm.SlurmException;
import io.slurmkube.slurm.SlurmJob;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a SlurmCluster into its Kubernetes objects. Reads top to bottom: an ordered list of named
 * steps, each applying what a pure builder in {@code io.slurmkube.model} computed; then the status,
 * aggregated from what the objects report.
 */
// Every event, deletions included: a cluster being deleted still reaches reconcile (see ClusterDeletion).
@ControllerConfiguration(name = "slurmcluster", triggerReconcilerOnAllEvents = true)
public class SlurmClusterReconciler implements Reconciler<SlurmCluster> {
  private static final Logger LOG = LoggerFactory.getLogger(SlurmClusterReconciler.class);
  static final String MANAGED = Labels.MANAGED_BY + "=" + Labels.OPERATOR;

  private final KubernetesClient client;
  private final Applier applier;
  private final EventRecorder events;
  private final KeySecrets keySecrets = new KeySecrets(new SecureRandom());
  private final SlurmConnections slurm;
  private final ClusterDeletion deletion;
  private final AuthKeyRotator keyRotation;
  private final AccountingSync accountingSync;
  private final boolean fleetEnabled;
  private final SlurmMetrics metrics;
  private final AppliedInputs appliedInputs = new AppliedInputs(java.time.Clock.systemUTC());
  /** Whose pods may reach slurmrestd and the queue reader; null: no NetworkPolicies are made. */
  private final NetworkPolicies.OperatorPods networkPolicies;

  public SlurmClusterReconciler(KubernetesClient client, EventRecorder events, SlurmConnections slurm) {
    this(client, events, slurm, true, SlurmMetrics.unserved());
  }

  /** fleetEnabled false: this operator has no Slurm pools (and no rights over Nodes); a spec.fleet is a problem. */
  public SlurmClusterReconciler(KubernetesClient client, EventRecorder events, SlurmConnections slurm, boolean fleetEnabled,
      SlurmMetrics metrics) {
    this(client, events, slurm, fleetEnabled, metrics, null);
  }

  /** @param networkPolicies the operator's own pods, let through each cluster's NetworkPolicies; null: none are made */
  public SlurmClusterReconciler(KubernetesClient client, EventRecorder events, SlurmConnections slurm, boolean fleetEnabled,
      SlurmMetrics metrics, NetworkPolicies.OperatorPods networkPolicies) {
    this.networkPolicies = networkPolicies;
    this.metrics = metrics;
    this.client = client;
    this.fleetEnabled = fleetEnabled;
    this.applier = new Applier(client);
    this.events = events;
    this.slurm = slurm;
    this.deletion = new ClusterDeletion(client, events, slurm, java.time.Clock.systemUTC());
    this.keyRotation = new AuthKeyRotator(client, events, slurm, new SecureRandom(), java.time.Clock.systemUTC());
    this.accountingSync = slurm == null ? null : new AccountingSync(slurm, events, java.time.Clock.systemUTC());
  }

  /** One named step of the reconcile; the name appears in events, logs and status. */
  private record Step(String name, StepAction action) {}

  /**
   * One pass's inputs to the steps: the cluster as slurmctld, slurmrestd and the config may have it
   * now ({@code model}: spec.image is the one the upgrade plan lets slurmctld run), as slurmdbd and
   * its database may ({@code accounting}), and the plan itself.
   */
  private record Pass(ClusterModel model, ClusterModel accounting, UpgradePlan plan, boolean usersMapExists) {}

  @FunctionalInterface
  private interface StepAction {
    void run(Pass pass, StepLog log);
  }

  /** What the steps did and what stopped them, for events and conditions. */
  static final class StepLog {
    final List<String> problems = new ArrayList<>();

    void problem(String message) {
      problems.add(message);
    }
  }

  private List<Step> steps() {
    return List.of(
        new Step("keys", (p, log) -> keys(p.model(), log)),
        new Step("config", (p, log) -> apply(p.model(), ConfigMapBuilder.build(p.model()))),
        // Before the pods that mount it; kept (with no lines) when the last user goes, so logins end.
        new Step("users", (p, log) -> users(p.model(), p.usersMapExists())),
        // Before the pods: none of them runs a moment without its policy.
        new Step("networkpolicies", (p, log) -> networkPolicies(p.model(), log)),
        // An upgrade starts here: slurmdbd and its database take a new image first.
        new Step("database", (p, log) -> database(p.accounting(), log)),
        new Step("accounting", (p, log) -> accounting(p.accounting(), log)),
        new Step("controller", (p, log) -> {
          apply(p.model(), ControllerBuilder.service(p.model()));
          applyKeepingClaims(p.model(), ControllerBuilder.statefulSet(p.model()),
              "spec.controller.storageSize/storageClassName", log);
        }),
        new Step("restapi", (p, log) -> restApi(p.model(), log)),
        new Step("storage", (p, log) -> storage(p.model(), log)),
        new Step("login", this::login),
        new Step("nodesets", this::nodeSets));
  }

  @Override
  public UpdateControl<SlurmCluster> reconcile(SlurmCluster cluster, Context<SlurmCluster> context) {
    if (context.isPrimaryResourceDeleted()) {
      events.forget(cluster);
      appliedInputs.forget(cluster);
      if (accountingSync != null) {
        accountingSync.forget(cluster);
      }
      metrics.forgetCluster(cluster.getMetadata().getNamespace(), cluster.getMetadata().getName());
      if (slurm != null) {
        var gone = new ClusterModel(cluster);
        slurm.forget(gone.namespace(), gone.name(), gone.jwtKeySecretName()); // its key watch and client
      }
      return UpdateControl.noUpdate();
    }
    if (cluster.isMarkedForDeletion()) {
      return deletion.reconcile(cluster); // nothing is applied any more: it would re-create what is going
    }
    if (!deletion.ensureFinalizer(cluster)) {
      return UpdateControl.<SlurmCluster>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
    }
    // The auth key Secret from the informer's cache: a rotation's key set restarts slurmdbd and login pods.
    Secret authKey = authKeySecret(cluster, context);
    String keySet = authKey == null ? null : AuthKeyRotation.state(authKey).podAnnotation();
    var desired = new ClusterModel(cluster, keySet);
    var names = desired.names();
    UpgradePlan plan = UpgradePlan.plan(cluster.getSpec(), desired.runsSlurmdbd(), new UpgradePlan.Running(
        cached(context, StatefulSet.class, names.controller()), cached(context, Deployment.class, names.accounting())));
    // Outside an upgrade both are the spec's own image: the model (and its slurm.conf) is made once.
    var model = withImage(desired, plan.controllerImage(), keySet);
    var pass = new Pass(model, withImage(desired, plan.accountingImage(), keySet), plan,
        cached(context, ConfigMap.class, names.users()) != null);
    var log = new StepLog();
    plan.refusal().ifPresent(why -> {
      log.problem(why);
      events.warningOnChange(cluster, "upgrade", why, null, "UpgradeRefused", why);
    });
    plan.phase().ifPresent(phase -> events.normalOnChange(cluster, "upgrade", phase, null, "Upgrading", phase));
    // Each object was applied from these very inputs, cleanly, lately: nothing to send.
    AppliedInputs.Inputs inputs = AppliedInputs.inputs(cluster, keySet, owned(context));
    if (!appliedInputs.unchanged(cluster, inputs)) {
      for (Step step : steps()) {
        try {
          step.action().run(pass, log);
        } catch (KubernetesClientException e) {
          log.problem(step.name() + ": " + describe(e));
          LOG.warn("step failed cluster={} namespace={} step={} code={} message=\"{}\"",
              model.name(), model.namespace(), step.name(), e.getCode(), describe(e));
        }
      }
      appliedInputs.record(cluster, inputs, log.problems.isEmpty());
    }
    if (!fleetEnabled && cluster.getSpec().fleet != null) {
      log.problem("spec.fleet: Slurm pools are off in this operator, so no node joins this cluster's pool;"
          + " an administrator turns them on with the chart value fleet.enabled=true");
    }
    var observed = observed(model, context);
    SlurmClusterStatus status = ClusterStatus.compute(cluster, observed, log.problems);
    status.pendingJobs = pendingJobs(cluster, observed, status.pendingJobs);
    status.upgrade = plan.refusal().or(plan::phase).orElse(null);
    status.slurmRelease = io.slurmkube.model.SlurmRelease.ofImage(UpgradePlan.image(observed.controller() == null ? null
        : observed.controller().getSpec().getTemplate(), "slurmctld")).map(Object::toString).orElse(null);
    try {
      status.authKey = keyRotation.reconcile(model, authKey, observed.login(), observed.accounting());
    } catch (KubernetesClientException e) {
      status.authKey = cluster.getStatus() == null ? null : cluster.getStatus().authKey;
      LOG.warn("auth key rotation step failed cluster={} namespace={} code={} message=\"{}\"",
          model.name(), model.namespace(), e.getCode(), describe(e));
    }
    if (accountingSync != null) {
      status.accounting = accountingSync.reconcile(model, componentReady(status, "controller") && componentReady(status, "restapi"));
    }
    // Component readiness arrives through the informers; the requeue is a safety net. While a key
    // rotation runs, slurmctld's progress (which no informer sees) is looked at every few seconds.
    Duration next = Duration.ofSeconds(AuthKeyRotator.running(status.authKey) ? 5 : 30);
    if (StatusPatch.json(client, cluster.getStatus()).equals(StatusPatch.json(client, status))) {
      return UpdateControl.<SlurmCluster>noUpdate().rescheduleAfter(next);
    }
    return UpdateControl.patchStatus(StatusPatch.of(cluster, new SlurmCluster(), status)).rescheduleAfter(next);
  }

  /**
   * What went wrong, for status and logs: the API server's message, or for a transport error (no
   * answer, so no Status) the client's own message and its cause.
   */
  static String describe(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage();
    }
    String cause = e.getCause() == null ? "" : " (" + e.getCause().getClass().getSimpleName()
        + (e.getCause().getMessage() == null ? "" : ": " + e.getCause().getMessage()) + ")";
    return (e.getMessage() == null ? "no answer from the API server" : e.getMessage()) + cause;
  }

  @Override
  public ErrorStatusUpdateControl<SlurmCluster> updateErrorStatus(SlurmCluster cluster, Context<SlurmCluster> context, Exception e) {
    if (e instanceof KubernetesClientException k && k.getCode() == 409) {
      return ErrorStatusUpdateControl.defaultErrorProcessing(); // a concurrent change: the retry sees it
    }
    events.warning(cluster, "ReconcileFailed", e.getMessage());
    var status = cluster.getStatus() == null ? new SlurmClusterStatus() : cluster.getStatus();
    status.conditions = Conditions.set(status.conditions, cluster.getMetadata().getGeneration(),
        Conditions.DEGRADED, true, "ReconcileFailed", e.getMessage());
    return ErrorStatusUpdateControl.patchStatus(StatusPatch.of(cluster, new SlurmCluster(), status));
  }

  private void apply(ClusterModel model, HasMetadata desired) {
    report(model, desired, applier.apply(desired));
  }

  /**
   * A StatefulSet's volume claim templates cannot change once it exists: applying a new size would
   * be refused on every pass, and with it every other change (image, config hash). So the claims
   * it has are kept, the rest is applied, and the cluster's status says what was not done and how.
   */
  private void applyKeepingClaims(ClusterModel model, StatefulSet desired, String field, StepLog log) {
    StatefulSet existing = client.apps().statefulSets().inNamespace(model.namespace())
        .withName(desired.getMetadata().getName()).get();
    if (existing != null && !StatefulSets.sameClaims(existing, desired)) {
      desired.getSpec().setVolumeClaimTemplates(existing.getSpec().getVolumeClaimTemplates());
      log.problem(field + " changed, but the volume of StatefulSet " + desired.getMetadata().getName()
          + " keeps its size and class (" + StatefulSets.describeClaims(existing) + "): a StatefulSet's volume claims are "
          + "fixed once made; expand its PersistentVolumeClaim directly if the StorageClass allows it, and set the field back");
    }
    apply(model, desired);
  }

  private void report(ClusterModel model, HasMetadata object, Applier.Outcome outcome) {
    if (outcome == Applier.Outcome.UNCHANGED) {
      return;
    }
    String verb = outcome == Applier.Outcome.CREATED ? "Created" : "Updated";
    events.normal(model.cluster(), verb, verb + " " + object.getKind() + " " + object.getMetadata().getName());
  }

  private static boolean componentReady(SlurmClusterStatus status, String name) {
    return status.components.stream().anyMatch(c -> name.equals(c.name) && c.ready);
  }

  // ---------------------------------------------------------------- steps

  /** The declared users' files; applied only once a user is declared (and from then on, even when empty). */
  private void users(ClusterModel model, boolean exists) {
    if (UserDirectory.declaresUsers(model.spec()) || exists) {
      apply(model, UserDirectory.configMap(model));
    }
  }

  /** Keys are generated once; a Secret the user names is used as it is and only checked. */
  private void keys(ClusterModel model, StepLog log) {
    var ns = model.namespace();
    if (model.generatesAuthKey()) {
      report(model, keySecrets.authKey(model.cluster(), null),
          applier.createIfAbsent(keySecrets.authKey(model.cluster(), null)));
    } else {
      requireSecret(ns, model.authKeySecretName(), KeySecrets.AUTH_KEY, "spec.authKeySecretName", log);
    }
    if (model.generatesJwtKey()) {
      report(model, keySecrets.jwtKey(model.cluster(), null),
          applier.createIfAbsent(keySecrets.jwtKey(model.cluster(), null)));
    } else {
      requireSecret(ns, model.jwtKeySecretName(), KeySecrets.JWT_KEY, "spec.jwtKeySecretName", log);
    }
    if (model.generatesSshHostKeys()) {
      // Checked first: generating the keys (RSA) is too slow to do on every pass.
      if (client.secrets().inNamespace(ns).withName(model.sshHostKeysSecretName()).get() == null) {
        Secret hostKeys = keySecrets.sshHostKeys(model.cluster());
        report(model, hostKeys, applier.createIfAbsent(hostKeys));
      }
    } else {
      requireSecret(ns, model.sshHostKeysSecretName(), SshHostKeys.ED25519, "spec.login.sshHostKeysSecretName", log);
    }
    if (model.runsDatabase()) {
      report(model, keySecrets.databasePassword(model.cluster(), null),
          applier.createIfAbsent(keySecrets.databasePassword(model.cluster(), null)));
    } else if (model.accountingMode() == io.slurmkube.api.AccountingSpec.Mode.External) {
      var ref = model.spec().accounting.external.passwordSecretRef;
      requireSecret(ns, ref.name, ref.key, "spec.accounting.external.passwordSecretRef", log);
    }
  }

  /** The model of a copy of the cluster whose spec.image is {@code image} (what the upgrade plan allows a component now). */
  private ClusterModel withImage(ClusterModel desired, String image, String keySet) {
    if (image == null || image.equals(desired.spec().image)) {
      return desired;
    }
    SlurmCluster copy = client.getKubernetesSerialization().clone(desired.cluster());
    copy.getSpec().image = image;
    return new ClusterModel(copy, keySet);
  }

  /** The generated auth key Secret as the informer last saw it; null when there is none (yet). */
  private static Secret authKeySecret(SlurmCluster cluster, Context<SlurmCluster> context) {
    var plain = new ClusterModel(cluster);
    if (!plain.generatesAuthKey()) {
      return null; // the user's own Secret: not rotated by the operator, so no key set to follow
    }
    String name = plain.authKeySecretName();
    return context.getSecondaryResources(Secret.class).stream()
        .filter(s -> name.equals(s.getMetadata().getName()))
        .findFirst().orElse(null);
  }

  private void requireSecret(String namespace, String name, String key, String field, StepLog log) {
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      log.problem("Secret " + name + " named by " + field + " does not exist: create it with the key '" + key + "'");
    } else if (secret.getData() == null || !secret.getData().containsKey(key)) {
      log.problem("Secret " + name + " named by " + field + " has no key '" + key + "': add it");
    }
  }

  /**
   * The shared /home claim, created once and never changed (a claim's spec is immutable once bound);
   * only its owner follows spec.home.retainPolicy, so that Delete takes it with the cluster and
   * Retain keeps it.
   */
  private void storage(ClusterModel model, StepLog log) {
    if (!SharedStorage.embeddedHome(model)) {
      return;
    }
    var claims = client.persistentVolumeClaims().inNamespace(model.namespace());
    PersistentVolumeClaim existing = claims.withName(model.names().home()).get();
    if (existing == null) {
      StorageClass storageClass = storageClass(model.spec().home.storageClassName);
      String provisioner = storageClass == null ? null : storageClass.getProvisioner();
      String mode = SharedStorage.accessMode(model.spec().home, provisioner);
      var claim = SharedStorage.homeClaim(model, mode);
      claims.resource(claim).create();
      events.normal(model.cluster(), "Created", "Created PersistentVolumeClaim " + claim.getMetadata().getName()
          + " for /home (" + mode + ", StorageClass " + (storageClass == null ? "default" : storageClass.getMetadata().getName())
          + ", retainPolicy " + model.spec().home.retainPolicy + ")");
      if (SharedStorage.READ_WRITE_ONCE.equals(mode)) {
        events.warning(model.cluster(), "HomeNotShared", "/home is ReadWriteOnce (provisioner " + provisioner
            + " is not a known shared file system): login and slurmd pods can share it only on one Kubernetes node. "
            + "For more nodes set spec.home.storageClassName to a ReadWriteMany class (NFS, CephFS, a cloud file store)");
      }
      return;
    }
    boolean owned = isOwnedBy(existing, model);
    boolean wantOwned = model.spec().home.retainPolicy == HomeSpec.RetainPolicy.Delete;
    if (owned != wantOwned) {
      existing.getMetadata().setOwnerReferences(wantOwned ? List.of(Owned.ownerReference(model.cluster())) : List.of());
      claims.resource(existing).update();
      events.normal(model.cluster(), "Updated", "PersistentVolumeClaim " + existing.getMetadata().getName()
          + (wantOwned ? " will be deleted with the cluster (retainPolicy Delete)" : " will be kept when the cluster is deleted (retainPolicy Retain)"));
    }
  }

  /** The named StorageClass, or the cluster's default one; null when there is none. */
  private StorageClass storageClass(String name) {
    if (name != null && !name.isBlank()) {
      return client.storage().v1().storageClasses().withName(name).get();
    }
    return client.storage().v1().storageClasses().list().getItems().stream()
        .filter(c -> c.getMetadata().getAnnotations() != null
            && "true".equals(c.getMetadata().getAnnotations().get("storageclass.kubernetes.io/is-default-class")))
        .findFirst().orElse(null);
  }

  /**
   * The cluster's NetworkPolicies; with them switched off (or a component gone), the ones this
   * operator made are deleted, so that turning them off really opens the cluster.
   */
  private void networkPolicies(ClusterModel model, StepLog log) {
    List<NetworkPolicy> desired = networkPolicies == null ? List.of() : NetworkPolicies.build(model, networkPolicies);
    desired.forEach(policy -> apply(model, policy));
    Set<String> wanted = desired.stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    var existing = client.network().v1().networkPolicies().inNamespace(model.namespace())
        .withLabel(Labels.INSTANCE, model.name()).withLabel(Labels.MANAGED_BY, Labels.OPERATOR).list().getItems();
    for (NetworkPolicy policy : existing) {
      if (!wanted.contains(policy.getMetadata().getName())) {
        deleteIfOwned(model, policy);
      }
    }
  }

  private void login(Pass pass, StepLog log) {
    ClusterModel model = pass.model();
    apply(model, LoginBuilder.service(model));
    List<String> problems = LoginBuilder.problems(model);
    if (!problems.isEmpty()) {
      problems.forEach(log::problem);
      return; // the running login pods stay as they are until the template is fixed
    }
    Deployment login = LoginBuilder.deployment(model);
    if (!pass.plan().nodesFollow()) {
      // Slurm's clients may not be newer than slurmctld: the login pods keep their image for now.
      Deployment existing = client.apps().deployments().inNamespace(model.namespace())
          .withName(login.getMetadata().getName()).get();
      String running = existing == null ? null : UpgradePlan.image(existing.getSpec().getTemplate(), "login");
      if (running != null) {
        login.getSpec().getTemplate().getSpec().getContainers().stream()
            .filter(c -> c.getName().equals("login")).forEach(c -> c.setImage(running));
      }
    }
    apply(model, login);
  }

  private void database(ClusterModel model, StepLog log) {
    if (model.runsDatabase()) {
      apply(model, DatabaseBuilder.service(model));
      applyKeepingClaims(model, DatabaseBuilder.statefulSet(model), "spec.accounting.storageSize", log);
    } else {
      deleteIfOwned(model, client.apps().statefulSets().inNamespace(model.namespace()).withName(model.names().database()).get());
      deleteIfOwned(model, client.services().inNamespace(model.namespace()).withName(model.names().database()).get());
    }
  }

  private void accounting(ClusterModel model, StepLog log) {
    if (model.runsSlurmdbd()) {
      // A Service's clusterIP cannot change: one made with an address by an older operator goes
      // once, so that the headless one replaces it (slurmctld reconnects by name).
      var existing = client.services().inNamespace(model.namespace()).withName(model.names().accounting()).get();
      if (existing != null && !"None".equals(existing.getSpec().getClusterIP())) {
        deleteIfOwned(model, existing);
      }
      apply(model, AccountingBuilder.service(model));
      apply(model, AccountingBuilder.deployment(model));
    } else {
      deleteIfOwned(model, client.apps().deployments().inNamespace(model.namespace()).withName(model.names().accounting()).get());
      deleteIfOwned(model, client.services().inNamespace(model.namespace()).withName(model.names().accounting()).get());
    }
  }

  private void restApi(ClusterModel model, StepLog log) {
    if (model.runsRestApi()) {
      apply(model, RestApiBuilder.service(model));
      apply(model, RestApiBuilder.deployment(model));
    } else {
      deleteIfOwned(model, client.apps().deployments().inNamespace(model.namespace()).withName(model.names().restApi()).get());
      deleteIfOwned(model, client.services().inNamespace(model.namespace()).withName(model.names().restApi()).get());
    }
  }

  /**
   * One NodeSet per entry. A node set removed from the spec is first scaled to zero, so its nodes
   * are drained like any scale-down, and deleted only once it has no pod left.
   */
  private void nodeSets(Pass pass, StepLog log) {
    ClusterModel model = pass.model();
    apply(model, NodeSetBuilder.nodesService(model));
    var nodeSets = client.resources(NodeSet.class).inNamespace(model.namespace());
    Set<String> wanted = model.spec().nodeSets.stream()
        .map(n -> model.names().nodeSet(n.name)).collect(Collectors.toSet());
    for (NodeSetSpec entry : model.spec().nodeSets) {
      String name = model.names().nodeSet(entry.name);
      NodeSet existing = nodeSets.withName(name).get();
      if (existing == null) {
        // Created (not applied) with its initial replicas, so this operator's apply manager never
        // owns spec.replicas: scaling stays with the autoscaler, HPA or kubectl scale.
        NodeSet created = NodeSetBuilder.build(model, entry, true);
        report(model, created, applier.createIfAbsent(created));
        continue;
      }
      if (existing.isMarkedForDeletion()) {
        // Deleted by someone: it drains, then goes; it is created again from this entry after that.
        // An apply now could land after it is gone and create it without its replicas.
        continue;
      }
      NodeSetBuilder.editedReplicas(entry, existing).ifPresent(replicas -> {
        // Like `kubectl scale`: a lower count goes through the NodeSet's draining scale-down.
        nodeSets.withName(name).scale(replicas);
        events.normal(model.cluster(), "Scaled", "NodeSet " + name + " scaled to " + replicas
            + ": spec.nodeSets[" + entry.name + "].replicas was changed to " + replicas);
      });
      NodeSet update = NodeSetBuilder.build(model, entry, false);
      if (!pass.plan().nodesFollow() && existing.getSpec().image != null) {
        holdImages(update, existing);
      }
      apply(model, update);
    }
    for (NodeSet existing : nodeSets.withLabel(Labels.INSTANCE, model.name()).list().getItems()) {
      String name = existing.getMetadata().getName();
      if (wanted.contains(name) || !isOwnedBy(existing, model)) {
        continue;
      }
      Integer current = existing.getStatus() == null ? null : existing.getStatus().replicas;
      if (current == null || current == 0) {
        nodeSets.withName(name).delete();
        events.normal(model.cluster(), "Deleted", "Deleted NodeSet " + name + ": it is no longer in spec.nodeSets");
      } else if (existing.getSpec().replicas == null || existing.getSpec().replicas != 0) {
        nodeSets.withName(name).scale(0);
        events.normal(model.cluster(), "ScalingDown",
            "NodeSet " + name + " is no longer in spec.nodeSets: draining its " + current + " node(s) before deleting it");
      }
    }
  }

  /**
   * slurmd may not be newer than slurmctld: while slurmctld has not settled on its new image, a node
   * set keeps the images its pods run (spec.nodeImage's and its template's); any other change goes on.
   */
  private void holdImages(NodeSet update, NodeSet existing) {
    update.getSpec().image = existing.getSpec().image;
    String held = templateImage(existing.getSpec().template);
    if (!java.util.Objects.equals(templateImage(update.getSpec().template), held)) {
      // A copy: the template is the SlurmCluster's own, as the informer holds it.
      var template = update.getSpec().template == null ? new io.slurmkube.api.PodTemplate()
          : client.getKubernetesSerialization().clone(update.getSpec().template);
      template.spec.image = held;
      update.getSpec().template = template;
    }
  }

  private static String templateImage(io.slurmkube.api.PodTemplate template) {
    return template == null || template.spec == null ? null : template.spec.image;
  }

  private void deleteIfOwned(ClusterModel model, HasMetadata object) {
    if (object != null && isOwnedBy(object, model)) {
      client.resource(object).delete();
      events.normal(model.cluster(), "Deleted", "Deleted " + object.getKind() + " " + object.getMetadata().getName());
    }
  }

  private static boolean isOwnedBy(HasMetadata object, ClusterModel model) {
    return object.getMetadata().getOwnerReferences().stream()
        .anyMatch(o -> model.cluster().getMetadata().getUid().equals(o.getUid()));
  }

  // ---------------------------------------------------------------- status inputs

  /** Pending jobs from Slurm once its REST API is up; the last known count while it cannot be asked. */
  private Integer pendingJobs(SlurmCluster cluster, ClusterStatus.Observed observed, Integer previous) {
    var restApi = observed.restApi();
    boolean restApiReady = restApi != null && restApi.getStatus() != null
        && restApi.getStatus().getReadyReplicas() != null && restApi.getStatus().getReadyReplicas() > 0;
    if (slurm == null || !restApiReady) {
      return previous;
    }
    try {
      List<SlurmJob> jobs = slurm.forCluster(cluster).activeJobs();
      metrics.queue(cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), jobs, java.time.Instant.now());
      return (int) jobs.stream().filter(SlurmJob::isPending).count();
    } catch (SlurmException e) {
      LOG.info("cannot read the Slurm queue cluster={} namespace={} reason=\"{}\"",
          cluster.getMetadata().getName(), cluster.getMetadata().getNamespace(), e.getMessage());
      return previous;
    }
  }

  /** The components as the informers last saw them: no GET per pass. */
  private static ClusterStatus.Observed observed(ClusterModel model, Context<SlurmCluster> context) {
    var names = model.names();
    return new ClusterStatus.Observed(
        cached(context, StatefulSet.class, names.controller()),
        model.runsDatabase() ? cached(context, StatefulSet.class, names.database()) : null,
        model.runsSlurmdbd() ? cached(context, Deployment.class, names.accounting()) : null,
        model.runsRestApi() ? cached(context, Deployment.class, names.restApi()) : null,
        cached(context, Deployment.class, names.login()),
        context.getSecondaryResources(NodeSet.class).stream()
            .filter(n -> model.name().equals(n.getMetadata().getLabels() == null ? null
                : n.getMetadata().getLabels().get(Labels.INSTANCE)))
            .toList());
  }

  private static <R extends HasMetadata> R cached(Context<SlurmCluster> context, Class<R> type, String name) {
    return context.getSecondaryResources(type).stream()
        .filter(r -> name.equals(r.getMetadata().getName())).findFirst().orElse(null);
  }

  /** Every owned object the informers hold for this cluster. */
  private static List<HasMetadata> owned(Context<SlurmCluster> context) {
    List<HasMetadata> owned = new ArrayList<>();
    for (Class<? extends HasMetadata> type : List.of(StatefulSet.class, Deployment.class, NodeSet.class, Secret.class,
        Service.class, ConfigMap.class, NetworkPolicy.class)) {
      owned.addAll(context.getSecondaryResources(type));
    }
    return owned;
  }

  @Override
  public List<EventSource<?, SlurmCluster>> prepareEventSources(EventSourceContext<SlurmCluster> context) {
    return List.of(
        owned(context, StatefulSet.class),
        owned(context, Deployment.class),
        owned(context, NodeSet.class),
        owned(context, Secret.class),
        owned(context, Service.class),
        owned(context, ConfigMap.class),
        // A policy changed or deleted by hand changes the inputs: the next pass applies it again.
        owned(context, NetworkPolicy.class));
  }

  private static <R extends HasMetadata> InformerEventSource<R, SlurmCluster> owned(
      EventSourceContext<SlurmCluster> context, Class<R> type) {
    return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, SlurmCluster.class)
        .withLabelSelector(MANAGED)
        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SlurmCluster.class))
        .build(), context);
  }
}
