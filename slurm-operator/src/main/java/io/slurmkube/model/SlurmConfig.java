package io.slurmkube.model;

import io.slurmkube.api.AccountingSpec;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.PartitionSpec;
import io.slurmkube.api.SlurmClusterSpec;
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
 * nodes into partitions without listing them.
 */
public final class SlurmConfig {

  public static final String SLURM_CONF = "slurm.conf";
  public static final String CGROUP_CONF = "cgroup.conf";
  public static final String GRES_CONF = "gres.conf";
  /** Where the daemons keep Slurm's files inside the images. */
  public static final String CONF_DIR = "/etc/slurm";
  public static final String JWT_KEY_FILE = CONF_DIR + "/jwt_hs256.key";
  public static final int SLURMCTLD_PORT = 6817;
  public static final int SLURMD_PORT = 6818;
  public static final int SLURMDBD_PORT = 6819;

  private SlurmConfig() {}

  /** All configuration files, by file name, in a stable order. */
  public static Map<String, String> render(String clusterName, SlurmClusterSpec spec, SlurmHosts hosts) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(SLURM_CONF, slurmConf(clusterName, spec, hosts));
    files.put(CGROUP_CONF, cgroupConf());
    files.put(GRES_CONF, gresConf());
    return files;
  }

  static String slurmConf(String clusterName, SlurmClusterSpec spec, SlurmHosts hosts) {
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
    line(conf, "SlurmctldLogFile=/dev/stdout");
    line(conf, "SlurmdLogFile=/dev/stdout");
    // Containers do not get a cgroup hierarchy of their own to manage.
    line(conf, "ProctrackType=proctrack/linuxproc");
    line(conf, "TaskPlugin=task/none");
    line(conf, "JobAcctGatherType=jobacct_gather/none");
    line(conf, "SelectType=select/cons_tres");
    line(conf, "SelectTypeParameters=CR_Core_Memory");
    line(conf, "SchedulerType=sched/backfill");
    line(conf, "GresTypes=gpu");
    // Dynamic nodes come and go: no static node list, a wide fan-out, and a node that returns is usable again.
    line(conf, "MaxNodeCount=" + maxNodeCount(spec));
    line(conf, "TreeWidth=65533");
    line(conf, "ReturnToService=2");
    line(conf, "SlurmdTimeout=60");
    line(conf, "InactiveLimit=0");
    line(conf, "KillWait=30");
    line(conf, "MpiDefault=none");
    if (spec.accounting != null && spec.accounting.usesSlurmdbd()) {
      line(conf, "AccountingStorageType=accounting_storage/slurmdbd");
      line(conf, "AccountingStorageHost=" + hosts.accountingAddress());
      line(conf, "AccountingStoragePort=" + SLURMDBD_PORT);
      line(conf, "JobCompType=jobcomp/none");
    } else {
      line(conf, "AccountingStorageType=accounting_storage/none");
    }
    for (NodeSetSpec nodeSet : spec.nodeSets) {
      line(conf, "Nodeset=" + nodeSet.name + " Feature=" + nodeSet.name);
    }
    List<PartitionSpec> partitions = spec.partitions;
    for (PartitionSpec partition : partitions) {
      var p = new StringBuilder("PartitionName=" + partition.name);
      p.append(" Nodes=").append(partition.nodeSets.isEmpty() ? "" : String.join(",", partition.nodeSets));
      if (partition.isDefault) {
        p.append(" Default=YES");
      }
      p.append(" MaxTime=").append(partition.maxTime == null ? "UNLIMITED" : partition.maxTime);
      p.append(" State=UP");
      line(conf, p.toString());
    }
    return conf.toString();
  }

  static String cgroupConf() {
    return "# Written by the Slurmkube operator. Pods do not manage cgroups themselves.\nCgroupPlugin=disabled\n";
  }

  static String gresConf() {
    // Each slurmd reports its GPUs when it registers (slurmd -Z --conf "Gres=gpu:N"); nothing to detect.
    return "# Written by the Slurmkube operator. GPUs are reported by each node when it registers.\nAutoDetect=off\n";
  }

  /** Upper bound on nodes: every node set at its maximum, with room for pods being replaced. */
  static int maxNodeCount(SlurmClusterSpec spec) {
    int total = 0;
    for (NodeSetSpec nodeSet : spec.nodeSets) {
      int most = nodeSet.maxReplicas != null ? nodeSet.maxReplicas : Math.max(nodeSet.initialReplicas(), 1);
      total += most;
    }
    return Math.max(16, total * 2);
  }

  /** Slurm lower-cases cluster names and limits them; keep them to letters, digits and '_'. */
  static String slurmClusterName(String name) {
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
