package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

@ValidationRule(value = "!has(self.nodeSets) || self.nodeSets.all(n, self.nodeSets.exists_one(m, m.name == n.name))",
    message = "spec.nodeSets: two node sets have the same name; give each node set a unique name",
    fieldPath = ".nodeSets")
// A node set's GPU count is in slurmctld's gres.conf, one line per node set: a new count there
// stops the slurmd of every running pod of the old count (with its jobs) when slurmctld reconfigures.
@ValidationRule(value = "!has(oldSelf.nodeSets) || !has(self.nodeSets) || self.nodeSets.all(n, !oldSelf.nodeSets.exists(o, "
    + "o.name == n.name && (has(o.gpus) ? o.gpus : 0) != (has(n.gpus) ? n.gpus : 0)))",
    message = "spec.nodeSets[].gpus cannot be changed: slurmctld would hand the node set's running pods a GPU list"
        + " of the new length and their slurmd would stop, jobs and all; add a node set with the new count, point"
        + " the partition at it, then remove the old one",
    fieldPath = ".nodeSets")
@ValidationRule(value = "!has(self.partitions) || self.partitions.all(p, self.partitions.exists_one(q, q.name == p.name))",
    message = "spec.partitions: two partitions have the same name; give each partition a unique name",
    fieldPath = ".partitions")
@ValidationRule(value = "!has(self.partitions) || self.partitions.all(p, !has(p.nodeSets) || p.nodeSets.all(s, has(self.nodeSets) && self.nodeSets.exists(n, n.name == s)))",
    message = "spec.partitions[].nodeSets names a node set that is not in spec.nodeSets; add the node set or correct the name",
    fieldPath = ".partitions")
@ValidationRule(value = "!has(self.partitions) || self.partitions.filter(p, has(p.default) && p.default).size() <= 1",
    message = "spec.partitions: more than one partition has default: true; mark only one partition as the default",
    fieldPath = ".partitions")
@ValidationRule(value = "!has(self.sharedVolumes) || self.sharedVolumes.all(v, self.sharedVolumes.exists_one(w, w.mountPath == v.mountPath))",
    message = "spec.sharedVolumes: two volumes have the same mountPath; give each its own path",
    fieldPath = ".sharedVolumes")
@ValidationRule(value = "!has(self.restApi) || self.restApi.enabled || !has(self.nodeSets) || self.nodeSets.all(n, !has(n.maxReplicas))",
    message = "spec.restApi.enabled is false but a node set autoscales (maxReplicas): the operator reads the queue and drains nodes through slurmrestd; enable the REST API or remove maxReplicas",
    fieldPath = ".restApi.enabled")
@ValidationRule(value = "!has(self.users) || self.users.all(u, self.users.exists_one(v, v.name == u.name))",
    message = "spec.users: two users have the same name; give each user a unique name",
    fieldPath = ".users")
@ValidationRule(value = "!has(self.users) || self.users.all(u, self.users.exists_one(v, v.uid == u.uid))",
    message = "spec.users: two users have the same uid; give each user their own uid (files on shared volumes belong to a uid, not a name)",
    fieldPath = ".users")
@ValidationRule(value = "!has(self.users) || self.users.all(u, self.users.all(v, v.name == u.name "
    + "|| (has(v.gid) ? v.gid : v.uid) != (has(u.gid) ? u.gid : u.uid) "
    + "|| (has(self.groups) && self.groups.exists(g, g.gid == (has(u.gid) ? u.gid : u.uid)))))",
    message = "spec.users: two users share a primary gid that no entry of spec.groups names; declare that group in spec.groups (name and gid) or give each user their own gid",
    fieldPath = ".users")
@ValidationRule(value = "!has(self.groups) || self.groups.all(g, self.groups.exists_one(h, h.name == g.name) && self.groups.exists_one(h, h.gid == g.gid))",
    message = "spec.groups: two groups have the same name or the same gid; give each group its own name and gid",
    fieldPath = ".groups")
@ValidationRule(value = "!has(self.groups) || !has(self.users) || self.groups.all(g, self.users.all(u, u.name != g.name || (has(u.gid) ? u.gid : u.uid) == g.gid))",
    message = "spec.groups: a group has the name of a user but not that user's gid; rename the group or give it the user's gid",
    fieldPath = ".groups")
@ValidationRule(value = "!has(self.users) || self.users.all(u, !has(u.groups) || u.groups.all(n, has(self.groups) && self.groups.exists(g, g.name == n)))",
    message = "spec.users[].groups names a group that is not in spec.groups; declare it (name and gid) or correct the name",
    fieldPath = ".users")
@ValidationRule(value = "!has(self.users) || self.users.all(u, (!has(u.account) || (has(self.accounting) && has(self.accounting.accounts) && self.accounting.accounts.exists(a, a.name == u.account))) "
    + "&& (!has(u.accounts) || u.accounts.all(n, has(self.accounting) && has(self.accounting.accounts) && self.accounting.accounts.exists(a, a.name == n))))",
    message = "spec.users[].account or accounts names an account that is not in spec.accounting.accounts; declare it or correct the name",
    fieldPath = ".users")
public class SlurmClusterSpec {
  public static final int DEFAULT_DELETION_GRACE_PERIOD_SECONDS = 3600;

  @Required
  @Pattern("^\\S+$")
  @JsonPropertyDescription("Image for slurmctld, slurmdbd and slurmrestd (one image, several roles), e.g. slurmkube.local/slurmctld:26.05.")
  public String image;

  @Required
  @Pattern("^\\S+$")
  @JsonPropertyDescription("Image for slurmd node pods and login pods, e.g. slurmkube.local/slurmd:26.05.")
  public String nodeImage;

  @Default("IfNotPresent")
  @Pattern("^(Always|IfNotPresent|Never)$")
  @JsonPropertyDescription("Pull policy for both images: Always, IfNotPresent or Never.")
  public String imagePullPolicy = "IfNotPresent";

  @JsonPropertyDescription("Name of an existing Secret whose key 'slurm.key' is the Slurm auth key. When empty the operator generates one, once.")
  public String authKeySecretName;

  @JsonPropertyDescription("Name of an existing Secret whose key 'jwt_hs256.key' signs slurmrestd tokens. When empty the operator generates one, once.")
  public String jwtKeySecretName;

  @JsonPropertyDescription("Rotation of the generated Slurm auth key, asked for with the annotation slurmkube.io/rotate-auth-key.")
  public AuthKeyRotationSpec authKeyRotation = new AuthKeyRotationSpec();

  public ControllerSpec controller = new ControllerSpec();

  public AccountingSpec accounting = new AccountingSpec();

  public RestApiSpec restApi = new RestApiSpec();

  public LoginSpec login = new LoginSpec();

  @JsonPropertyDescription("The shared /home (a PersistentVolumeClaim the operator creates), on unless disabled or spec.sharedVolumes mounts /home.")
  public HomeSpec home = new HomeSpec();

  @Size(max = 16)
  @JsonPropertyDescription("Volumes mounted at the same path in every login and slurmd pod: a persistentVolumeClaim by claimName, or any Kubernetes volume source (nfs, hostPath, ...), with mountPath.")
  public List<SharedVolume> sharedVolumes = new ArrayList<>();

  @Size(max = 32)
  @JsonPropertyDescription("Slurm partitions. Each names the node sets whose nodes it holds.")
  public List<PartitionSpec> partitions = new ArrayList<>();

  @Size(max = 32)
  @JsonPropertyDescription("Groups of identical slurmd pods, each registering as Slurm dynamic nodes.")
  public List<NodeSetSpec> nodeSets = new ArrayList<>();

  @Min(0)
  @Max(2592000)
  @Default("3600")
  @JsonPropertyDescription("Seconds a deleted SlurmCluster waits for its running jobs to end before Kubernetes removes its pods and daemons (default 3600, at most 2592000 = 30 days). Meanwhile every Slurm node is drained, so no pending job starts; 0 removes everything at once, killing running jobs.")
  public Integer deletionGracePeriodSeconds = DEFAULT_DELETION_GRACE_PERIOD_SECONDS;

  @Size(max = 128)
  @JsonPropertyDescription("Unix users of the cluster: the same uid and gid on every login, slurmd and slurmctld pod, homes on the shared /home, SSH keys, Slurm associations. Adding or removing users restarts nothing. (A site directory can be used instead: see the README.)")
  public List<UserSpec> users = new ArrayList<>();

  @Size(max = 32)
  @JsonPropertyDescription("Unix groups the declared users share.")
  public List<GroupSpec> groups = new ArrayList<>();

  @JsonPropertyDescription("Job priority (multifactor, fair share), accounting enforcement, preemption and extra slurm.conf lines.")
  public SchedulingSpec scheduling = new SchedulingSpec();

  @JsonPropertyDescription("The Kubernetes nodes that form this cluster's Slurm pool, and lending of idle pool nodes. Without it, node-set pods go wherever the scheduler puts them.")
  public FleetSpec fleet;
}
