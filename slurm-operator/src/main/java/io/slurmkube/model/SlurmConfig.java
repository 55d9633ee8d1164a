package io.slurmkube.model;

import io.slurmkube.api.AccountingSpec;
import io.slurmkube.api.ExternalDatabaseSpec;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.PartitionSpec;
import io.slurmkube.api.SchedulingSpec;
import io.slurmkube.api.SlurmClusterSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the Slurm configuration of a cluster: a pure function of the spec, so the same text is
 * used by the reconciler (in a ConfigMap) and by the image tests (mounted into containers).
 *
 * <p>Configless: only slurmctld reads these files; slurmd, sackd and the client tools fetch them
 * from slurmctld. Node sets become dynamic nodes: each pod registers itself with {@code slurmd -Z}
 * and the feature named after its node set, and a {@code Nodeset=} line per node set puts those
 * nodes into partitions without listing them. The node sets' FUTURE placeholders are not in
 * slurm.conf but in {@value #FUTURE_NODES}, which slurmctld's entrypoint applies with
 * {@code scontrol create}/{@code delete}, so bounds and shapes change without a restart.
 */
public final class SlurmConfig {

  public static final String SLURM_CONF = "slurm.conf";
  public static final String CGROUP_CONF = "cgroup.conf";
  public static final String GRES_CONF = "gres.conf";
  /**
   * The FUTURE placeholder records, one {@code scontrol create} argument line per node set. Slurm
   * never reads this file: slurmctld's entrypoint creates and deletes the records it lists.
   */
  public static final String FUTURE_NODES = "future-nodes.conf";
  /** Prolog and Epilog of clusters with GPUs: each GPU is its job's user's alone (one script, two names). */
  public static final String GPU_PROLOG = "slurmkube-gpu-prolog";
  public static final String GPU_EPILOG = "slurmkube-gpu-epilog";
  /** MaxNodeCount never goes below this, so ordinary changes of node-set bounds keep slurmctld running. */
  static final int MIN_MAX_NODE_COUNT = 1024;
  /** Where the daemons keep Slurm's files inside the images. */
  public static final String CONF_DIR = "/etc/slurm";
  public static final String JWT_KEY_FILE = CONF_DIR + "/jwt_hs256.key";
  public static final int SLURMCTLD_PORT = 6817;
  public static final int SLURMD_PORT = 6818;
  public static final int SLURMDBD_PORT = 6819;
  public static final String SLURMDBD_CONF = "slurmdbd.conf";
  public static final int EMBEDDED_DATABASE_PORT = 3306;
  public static final String EMBEDDED_DATABASE_NAME = "slurm_acct_db";
  public static final String EMBEDDED_DATABASE_USER = "slurm";
  /** Where the slurmd image links the GPU devices a pod was given: /dev/slurmkube-gpu0, 1, ... */
  public static final String GPU_DEVICE_PREFIX = "/dev/slurmkube-gpu";
  /** Highest ordinal in a slurmd pod's name that gres.conf covers. */
  public static final int MAX_ORDINAL = 1999;

  private SlurmConfig() {}

  /** All configuration files, by file name, in a stable order, for the release the spec's images run. */
  public static Map<String, String> render(String clusterName, SlurmClusterSpec spec, SlurmHosts hosts) {
    return render(clusterName, spec, hosts, release(spec));
  }

  /** All configuration files for one Slurm release (what its daemons accept). */
  public static Map<String, String> render(String clusterName, SlurmClusterSpec spec, SlurmHosts hosts,
      SlurmRelease release) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(SLURM_CONF, slurmConf(clusterName, spec, hosts, release));
    files.put(CGROUP_CONF, cgroupConf());
    files.put(GRES_CONF, gresConf(clusterName, spec));
    if (hasGpus(spec)) {
      files.put(GPU_PROLOG, GPU_OWNER_SCRIPT);
      files.put(GPU_EPILOG, GPU_OWNER_SCRIPT);
    }
    files.put(FUTURE_NODES, futureNodes(clusterName, spec));
    if (usesSlurmdbd(spec)) {
      files.put(SLURMDBD_CONF, slurmdbdConf(spec, hosts));
    }
    return files;
  }

  /**
   * slurmdbd.conf. The image's entrypoint installs it next to slurm.conf with mode 600, owned by
   * SlurmUser (slurmdbd refuses anything looser), and appends {@code StoragePass} from the
   * database password Secret: the rendered text holds no secret and may live in the ConfigMap.
   */
  static String slurmdbdConf(SlurmClusterSpec spec, SlurmHosts hosts) {
    if (!usesSlurmdbd(spec)) {
      throw new IllegalArgumentException("accounting mode None runs no slurmdbd");
    }
    boolean isExternal = spec.accounting != null && spec.accounting.mode == AccountingSpec.Mode.External;
    ExternalDatabaseSpec external = isExternal ? spec.accounting.external : null;
    if (isExternal && external == null) {
      throw new IllegalArgumentException("spec.accounting.external is required when spec.accounting.mode is External");
    }
    var conf = new StringBuilder();
    line(conf, "# Written by the Slurmkube operator; StoragePass is added from a Secret when the pod starts.");
    // slurmdbd accepts "localhost" as DbdHost whatever the pod's host name; it listens on all addresses.
    line(conf, "DbdHost=localhost");
    line(conf, "DbdPort=" + SLURMDBD_PORT);
    line(conf, "SlurmUser=slurm");
    line(conf, "AuthType=auth/slurm");
    line(conf, "AuthAltTypes=auth/jwt");
    line(conf, "AuthAltParameters=jwt_key=" + JWT_KEY_FILE);
    line(conf, "PidFile=/run/slurmdbd/slurmdbd.pid");
    line(conf, "StorageType=accounting_storage/mysql");
    line(conf, "StorageHost=" + (external != null ? external.host : hosts.databaseAddress()));
    line(conf, "StoragePort=" + (external != null ? external.port : EMBEDDED_DATABASE_PORT));
    line(conf, "StorageLoc=" + (external != null ? external.database : EMBEDDED_DATABASE_NAME));
    line(conf, "StorageUser=" + (external != null ? external.user : EMBEDDED_DATABASE_USER));
    return conf.toString();
  }

  /**
   * The release slurm.conf is written for: the oldest that any of the spec's images names, because
   * every daemon reads the one file (configless) and slurmd may be older than slurmctld during an
   * upgrade; {@link SlurmRelease#DEFAULT} when no image's tag names one.
   */
  public static SlurmRelease release(SlurmClusterSpec spec) {
    List<String> images = new ArrayList<>();
    images.add(spec.image);
    images.add(spec.nodeImage);
    for (NodeSetSpec nodeSet : spec.nodeSets) {
      if (nodeSet.template != null && nodeSet.template.spec != null) {
        images.add(nodeSet.template.spec.image);
      }
    }
    if (spec.login != null && spec.login.template != null && spec.login.template.spec != null) {
      images.add(spec.login.template.spec.image);
    }
    return SlurmRelease.oldestOf(images);
  }

  static String slurmConf(String clusterName, SlurmClusterSpec spec, SlurmHosts hosts, SlurmRelease release) {
    var conf = new StringBuilder();
    line(conf, "# Written by the Slurmkube operator from SlurmCluster " + clusterName + "; edits are overwritten.");
    line(conf, "ClusterName=" + slurmClusterName(clusterName));
    line(conf, "SlurmctldHost=" + hosts.controllerName() + "(" + hosts.controllerAddress() + ")");
    line(conf, "SlurmctldPort=" + SLURMCTLD_PORT);
    line(conf, "SlurmdPort=" + SLURMD_PORT);
    line(conf, "SlurmUser=slurm");
    line(conf, "SlurmdUser=root");
    // Slurm's own authentication: a shared key file, no munge daemon in every pod.
    line(conf, "AuthType=auth/slurm");
    line(conf, "CredType=cred/slurm");
    line(conf, "AuthAltTypes=auth/jwt");
    line(conf, "AuthAltParameters=jwt_key=" + JWT_KEY_FILE);
    line(conf, "SlurmctldParameters=enable_configless,idle_on_node_suspend");
    line(conf, "StateSaveLocation=/var/spool/slurmctld");
    line(conf, "SlurmdSpoolDir=/var/spool/slurmd");
    line(conf, "SlurmctldPidFile=/run/slurm/slurmctld.pid");
    line(conf, "SlurmdPidFile=/run/slurm/slurmd.pid");
    // No log files: the daemons run in the foreground (-D) and then log to stderr, which is what
    // the pod's log shows. (slurmctld runs as SlurmUser and could not open /dev/stdout anyway.)
    line(conf, "MailProg=/bin/true");
    // Containers do not get a cgroup hierarchy of their own to manage.
    line(conf, "ProctrackType=proctrack/linuxproc");
    line(conf, "TaskPlugin=task/none");
    line(conf, "JobAcctGatherType=jobacct_gather/none");
    line(conf, "SelectType=select/cons_tres");
    line(conf, "SelectTypeParameters=CR_Core_Memory");
    line(conf, "SchedulerType=sched/backfill");
    // A job waiting for a node set to scale up starts when the scheduler next runs after its node
    // registered (26.05 queues no run for a registration; slurmd's entrypoint nudges it with a node
    // update). batch_sched_delay=0: a queued run happens at slurmctld's next one-second tick, not
    // only once seconds have passed since the previous run (docs/FACTS.md);
    // bf_interval=5: the backfill pass, which catches the rest, comes every 5 s instead of 30.
    line(conf, "SchedulerParameters=bf_interval=5,batch_sched_delay=0");
    line(conf, "GresTypes=gpu");
    if (hasGpus(spec)) {
      // Relative paths: slurmctld sends the scripts from its own directory to every slurmd with
      // the configuration, so they do not depend on the node image.
      line(conf, "Prolog=" + GPU_PROLOG);
      line(conf, "Epilog=" + GPU_EPILOG);
    } else {
      // A node that ran an Epilog sends slurmctld an epilog-complete message, which runs the
      // scheduler at once. Without one, slurmctld took in the node's answer to the job's end only at
      // its next one-second tick: short jobs ran one round a second (4 jobs/s on 4 CPUs, 24 with it).
      line(conf, "Epilog=/bin/true");
    }
    // Dynamic nodes come and go: no static node list, a wide fan-out, and a node that returns is usable again.
    line(conf, "MaxNodeCount=" + maxNodeCount(spec));
    // Slurm's default of 10,000 jobs refuses sbatch at a queue length busy sites see every day.
    line(conf, "MaxJobCount=" + maxJobCount(spec));
    line(conf, "TreeWidth=65533");
    line(conf, "ReturnToService=2");
    line(conf, "SlurmdTimeout=60");
    line(conf, "InactiveLimit=0");
    line(conf, "KillWait=30");
    line(conf, "MpiDefault=none");
    if (release.servesOpenMetrics()) {
      // slurmctld serves /metrics/{jobs,nodes,partitions,scheduler} on its own port (25.11 and
      // later), only while PrivateData is unset: it is, and the port is reachable only from this
      // cluster's pods and the operator (NetworkPolicies).
      line(conf, "MetricsType=metrics/openmetrics");
    }
    if (usesSlurmdbd(spec)) {
      line(conf, "AccountingStorageType=accounting_storage/slurmdbd");
      line(conf, "AccountingStorageHost=" + hosts.accountingAddress());
      line(conf, "AccountingStoragePort=" + SLURMDBD_PORT);
      // GPUs are not accounted unless asked for: sacct's AllocTRES then shows gres/gpu.
      line(conf, "AccountingStorageTRES=gres/gpu");
      line(conf, "JobCompType=jobcomp/none");
      String enforce = String.join(",", enforce(spec));
      if (!enforce.isEmpty()) {
        line(conf, "AccountingStorageEnforce=" + enforce);
      }
    } else {
      line(conf, "AccountingStorageType=accounting_storage/none");
    }
    schedulingPolicy(conf, spec);
    for (NodeSetSpec nodeSet : spec.nodeSets) {
      line(conf, "Nodeset=" + nodeSet.name + " Feature=" + nodeSet.name);
    }
    List<PartitionSpec> partitions = spec.partitions;
    for (PartitionSpec partition : partitions) {
      var p = new StringBuilder("PartitionName=" + partition.name);
      if (!partition.nodeSets.isEmpty()) {
        p.append(" Nodes=").append(String.join(",", partition.nodeSets));
      }
      if (partition.isDefault) {
        p.append(" Default=YES");
      }
      Integer memPerCpu = defaultMemoryPerCpu(spec, partition);
      if (memPerCpu != null) {
        // Otherwise a job without --mem is given the whole node's memory and nodes run one job at a time.
        p.append(" DefMemPerCPU=").append(memPerCpu);
      }
      p.append(" MaxTime=").append(partition.maxTime == null ? "UNLIMITED" : partition.maxTime);
      p.append(" State=UP");
      line(conf, p.toString());
    }
    var extra = scheduling(spec).extraConfig;
    if (!extra.isEmpty()) {
      line(conf, "# spec.scheduling.extraConfig");
      for (String entry : extra) {
        // Admission refuses line breaks and owned keys; a spec that bypassed it still cannot inject lines.
        if (!entry.contains("\n") && !entry.contains("\r") && !ownsKey(entry)) {
          line(conf, entry);
        }
      }
    }
    return conf.toString();
  }

  private static SchedulingSpec scheduling(SlurmClusterSpec spec) {
    return spec.scheduling == null ? new SchedulingSpec() : spec.scheduling;
  }

  /** Whether an extraConfig line sets a key the operator writes itself. */
  static boolean ownsKey(String entry) {
    int equals = entry.indexOf('=');
    String key = (equals < 0 ? entry : entry.substring(0, equals)).strip().toLowerCase(java.util.Locale.ROOT);
    return SchedulingSpec.OWNED_KEYS.contains(key);
  }

  /**
   * AccountingStorageEnforce: with slurmdbd, [associations, limits, qos] unless the spec says
   * otherwise, so only users with an association run jobs and limits hold. (Root has one from the
   * start: slurmdbd makes root's association when it adds the cluster.)
   */
  static List<String> enforce(SlurmClusterSpec spec) {
    var chosen = scheduling(spec).enforce;
    if (chosen == null) {
      return List.of("associations", "limits", "qos");
    }
    return chosen.stream().map(Enum::name).distinct().toList();
  }

  /**
   * Multifactor priority with fair share (it needs slurmdbd's usage, so only with accounting), and
   * preemption by QOS when asked for. Fair-share factors follow PriorityCalcPeriod.
   */
  static void schedulingPolicy(StringBuilder conf, SlurmClusterSpec spec) {
    var scheduling = scheduling(spec);
    var priority = scheduling.priority == null ? new SchedulingSpec.PrioritySpec() : scheduling.priority;
    if (usesSlurmdbd(spec) && priority.multifactor) {
      line(conf, "PriorityType=priority/multifactor");
      line(conf, "PriorityWeightFairshare=" + priority.weightFairshare);
      line(conf, "PriorityWeightAge=" + priority.weightAge);
      line(conf, "PriorityWeightQOS=" + priority.weightQOS);
      line(conf, "PriorityWeightJobSize=" + priority.weightJobSize);
      line(conf, "PriorityWeightPartition=" + priority.weightPartition);
      line(conf, "PriorityDecayHalfLife=" + priority.decayHalfLife);
      line(conf, "PriorityCalcPeriod=" + priority.calcPeriodMinutes);
    } else {
      line(conf, "PriorityType=priority/basic");
    }
    var mode = scheduling.preemption == null ? SchedulingSpec.PreemptionSpec.Mode.Off : scheduling.preemption.mode;
    if (mode == SchedulingSpec.PreemptionSpec.Mode.Off) {
      line(conf, "PreemptType=preempt/none");
    } else {
      line(conf, "PreemptType=preempt/qos");
      line(conf, "PreemptMode=" + (mode == SchedulingSpec.PreemptionSpec.Mode.Requeue ? "REQUEUE" : "CANCEL"));
    }
  }

  /**
   * Slurm rejects at submission a job that no node of the partition could ever run, and dynamic
   * nodes only exist while their pods run: a node set scaled to zero would refuse every job.
   * FUTURE nodes of the node set's shape make such jobs wait (Reason ReqNodeNotAvail) until real
   * nodes join; they never run anything themselves. Each line is what {@code scontrol create}
   * takes; as static slurm.conf lines, any change of them would need a slurmctld restart.
   */
  static String futureNodes(String clusterName, SlurmClusterSpec spec) {
    var conf = new StringBuilder();
    line(conf, "# Written by the Slurmkube operator. Not read by Slurm: slurmctld's entrypoint creates these");
    line(conf, "# FUTURE records with scontrol create (and deletes those of lines that go away).");
    for (NodeSetSpec nodeSet : spec.nodeSets) {
      int placeholders = placeholderCount(nodeSet);
      if (placeholders > 0) {
        line(conf, "NodeName=" + placeholderPrefix(clusterName, nodeSet.name) + "[0-" + (placeholders - 1) + "]"
            + " State=FUTURE " + nodeShape(nodeSet));
      }
    }
    return conf.toString();
  }

  /** How many jobs slurmctld may hold (spec.controller.maxJobCount, 100,000 when not given). */
  static int maxJobCount(SlurmClusterSpec spec) {
    return spec.controller == null || spec.controller.maxJobCount == null ? 100000 : spec.controller.maxJobCount;
  }

  private static final String GPU_OWNER_SCRIPT = resource("slurmkube-gpu-owner");

  private static String resource(String name) {
    try (var in = SlurmConfig.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the operator's jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean hasGpus(SlurmClusterSpec spec) {
    return spec.nodeSets.stream().anyMatch(n -> n.gpus != null && n.gpus > 0);
  }

  static String cgroupConf() {
    return "# Written by the Slurmkube operator. Pods do not manage cgroups themselves.\nCgroupPlugin=disabled\n";
  }

  /**
   * Slurm takes a GPU only with a device file (a count-only gpu GRES is dropped and the node is
   * marked INVALID), and slurmd waits forever for a listed file that is missing. So each node set
   * with GPUs gets a line for its own nodes' names; the slurmd image links the devices its pod was
   * given to {@value #GPU_DEVICE_PREFIX}0..N-1.
   */
  static String gresConf(String clusterName, SlurmClusterSpec spec) {
    var conf = new StringBuilder("# Written by the Slurmkube operator. GPUs are the devices each pod was given.\n");
    line(conf, "AutoDetect=off");
    for (NodeSetSpec nodeSet : spec.nodeSets) {
      int gpus = nodeSet.gpus == null ? 0 : nodeSet.gpus;
      if (gpus > 0) {
        line(conf, "NodeName=" + nodeNamePrefix(clusterName, nodeSet.name) + "[0-" + MAX_ORDINAL + "]"
            + " Name=gpu File=" + GPU_DEVICE_PREFIX + (gpus == 1 ? "0" : "[0-" + (gpus - 1) + "]"));
      }
    }
    return conf.toString();
  }

  /**
   * The Slurm node name, and so the host name, of a slurmd pod: {@code <cluster>-<node set>-<ordinal>}.
   * gres.conf finds a pod's GPUs by this name, so pods must be named this way with an ordinal
   * from 0 to {@value #MAX_ORDINAL}.
   */
  public static String nodeName(String clusterName, String nodeSetName, int ordinal) {
    if (ordinal < 0 || ordinal > MAX_ORDINAL) {
      throw new IllegalArgumentException("node ordinal " + ordinal + " is outside 0.." + MAX_ORDINAL);
    }
    return nodeNamePrefix(clusterName, nodeSetName) + ordinal;
  }

  private static String nodeNamePrefix(String clusterName, String nodeSetName) {
    return clusterName + "-" + nodeSetName + "-";
  }

  /** Names of a node set's FUTURE placeholder records; never the name of a pod. */
  public static String placeholderPrefix(String clusterName, String nodeSetName) {
    return clusterName + "-" + nodeSetName + "-future-";
  }

  /** As many placeholders as the node set may ever have nodes, so any job it could run is accepted. */
  static int placeholderCount(NodeSetSpec nodeSet) {
    return nodeSet.maxReplicas != null ? nodeSet.maxReplicas : nodeSet.initialReplicas();
  }

  /** What a node of the set registers with: the same words the slurmd image passes to slurmd --conf. */
  static String nodeShape(NodeSetSpec nodeSet) {
    var features = new ArrayList<String>();
    features.add(nodeSet.name);
    features.addAll(nodeSet.features);
    var shape = new StringBuilder("Features=" + String.join(",", features));
    shape.append(" CPUs=").append(nodeSet.cpus == null ? 1 : nodeSet.cpus);
    shape.append(" RealMemory=").append(nodeSet.memoryMiB == null ? 1024 : nodeSet.memoryMiB);
    if (nodeSet.gpus != null && nodeSet.gpus > 0) {
      shape.append(" Gres=gpu:").append(nodeSet.gpus);
    }
    return shape.toString();
  }

  /** The smallest memory per CPU among the partition's node sets, so a default job fits every node. */
  static Integer defaultMemoryPerCpu(SlurmClusterSpec spec, PartitionSpec partition) {
    Integer smallest = null;
    for (NodeSetSpec nodeSet : spec.nodeSets) {
      if (partition.nodeSets.contains(nodeSet.name)) {
        int cpus = nodeSet.cpus == null ? 1 : nodeSet.cpus;
        int memory = nodeSet.memoryMiB == null ? 1024 : nodeSet.memoryMiB;
        int perCpu = Math.max(1, memory / cpus);
        smallest = smallest == null ? perCpu : Math.min(smallest, perCpu);
      }
    }
    return smallest;
  }

  /**
   * Upper bound on node records: every node set at its maximum, its FUTURE placeholders, and room
   * for pods being replaced. slurmctld reads it only at start, so it moves in steps (at least
   * {@value #MIN_MAX_NODE_COUNT}, then powers of two): changing bounds restarts slurmctld only
   * when the need crosses a step.
   */
  static int maxNodeCount(SlurmClusterSpec spec) {
    long total = 0;
    for (NodeSetSpec nodeSet : spec.nodeSets) {
      int most = nodeSet.maxReplicas != null ? nodeSet.maxReplicas : Math.max(nodeSet.initialReplicas(), 1);
      total += most;
    }
    long need = total * 3;
    long step = MIN_MAX_NODE_COUNT;
    while (step < need) {
      step *= 2;
    }
    return (int) Math.min(step, Integer.MAX_VALUE);
  }

  /** Slurm lower-cases cluster names and limits them; keep them to letters, digits and '_'. */
  public static String slurmClusterName(String name) {
    String cleaned = name.toLowerCase().replaceAll("[^a-z0-9_]", "_");
    return cleaned.length() > 40 ? cleaned.substring(0, 40) : cleaned;
  }

  private static void line(StringBuilder out, String text) {
    out.append(text).append('\n');
  }

  /** Whether slurmdbd runs: a convenience for builders. */
  public static boolean usesSlurmdbd(SlurmClusterSpec spec) {
    return spec.accounting == null || spec.accounting.mode != AccountingSpec.Mode.None;
  }
}
