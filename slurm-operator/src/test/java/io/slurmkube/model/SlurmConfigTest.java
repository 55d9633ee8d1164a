package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slurmkube.api.AccountingSpec;
import io.slurmkube.api.ExternalDatabaseSpec;
import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.PartitionSpec;
import io.slurmkube.api.SlurmClusterSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rendered files, line by line as Slurm reads them. SlurmClusterIT runs them in real daemons. */
class SlurmConfigTest {
  private static final SlurmHosts HOSTS = new SlurmHosts("demo-controller-0",
      "demo-controller-0.demo-controller.ns.svc.cluster.local", "demo-accounting.ns.svc.cluster.local",
      "demo-db-0.demo-db.ns.svc.cluster.local");

  private static NodeSetSpec nodeSet(String name, int cpus, int memoryMiB, int gpus, Integer max) {
    var nodeSet = new NodeSetSpec();
    nodeSet.name = name;
    nodeSet.cpus = cpus;
    nodeSet.memoryMiB = memoryMiB;
    nodeSet.gpus = gpus;
    nodeSet.replicas = 1;
    nodeSet.maxReplicas = max;
    return nodeSet;
  }

  private static SlurmClusterSpec spec() {
    var spec = new SlurmClusterSpec();
    spec.image = "slurmkube.local/slurmctld:26.05";
    spec.nodeImage = "slurmkube.local/slurmd:26.05";
    var cpu = nodeSet("cpu", 4, 8192, 0, 10);
    cpu.features.add("avx512");
    spec.nodeSets.add(cpu);
    spec.nodeSets.add(nodeSet("gpu", 8, 16384, 2, null));
    var batch = new PartitionSpec();
    batch.name = "batch";
    batch.isDefault = true;
    batch.nodeSets.addAll(List.of("cpu", "gpu"));
    var gpus = new PartitionSpec();
    gpus.name = "gpus";
    gpus.nodeSets.add("gpu");
    gpus.maxTime = "1-00:00:00";
    spec.partitions.addAll(List.of(batch, gpus));
    return spec;
  }

  private static List<String> lines(String text) {
    return text.lines().toList();
  }

  @Test
  void rendersEveryFileTheDaemonsRead() {
    Map<String, String> files = SlurmConfig.render("demo", spec(), HOSTS);
    assertThat(files).containsOnlyKeys("slurm.conf", "cgroup.conf", "gres.conf", "future-nodes.conf", "slurmdbd.conf",
        "slurmkube-gpu-prolog", "slurmkube-gpu-epilog");
    assertThat(SlurmConfig.render("demo", spec(), HOSTS)).isEqualTo(files);
  }

  @Test
  void slurmConfNamesTheControllerAuthAndConfiglessMode() {
    List<String> conf = lines(SlurmConfig.render("demo", spec(), HOSTS).get("slurm.conf"));
    assertThat(conf).contains(
        "ClusterName=demo",
        "SlurmctldHost=demo-controller-0(demo-controller-0.demo-controller.ns.svc.cluster.local)",
        "AuthType=auth/slurm",
        "CredType=cred/slurm",
        "AuthAltTypes=auth/jwt",
        "AuthAltParameters=jwt_key=/etc/slurm/jwt_hs256.key",
        "SlurmctldParameters=enable_configless,idle_on_node_suspend",
        "AccountingStorageType=accounting_storage/slurmdbd",
        "AccountingStorageHost=demo-accounting.ns.svc.cluster.local",
        "AccountingStorageTRES=gres/gpu",
        "MailProg=/bin/true");
    // The daemons run in the foreground and log to stderr; a log file would hide it from the pod log.
    assertThat(conf).noneMatch(line -> line.contains("LogFile="));
  }

  @Test
  void slurmctldServesItsOwnMetricsFromTheReleaseThatHasThem() {
    // spec() runs 26.05 images.
    assertThat(lines(SlurmConfig.render("demo", spec(), HOSTS).get("slurm.conf"))).contains("MetricsType=metrics/openmetrics");
    assertThat(SlurmConfig.render("demo", spec(), HOSTS, SlurmRelease.V24_11).get("slurm.conf"))
        .doesNotContain("MetricsType");
  }

  @Test
  void theReleaseIsTheOldestAnyImageNames() {
    var spec = spec();
    assertThat(SlurmConfig.release(spec)).isEqualTo(SlurmRelease.V26_05);
    // One node set still on 24.11 slurmd: its slurmd reads the same slurm.conf, so no 25.11 key.
    spec.nodeSets.get(0).template = new io.slurmkube.api.PodTemplate();
    spec.nodeSets.get(0).template.spec.image = "registry.example/slurmd:24.11.5-cuda";
    assertThat(SlurmConfig.release(spec)).isEqualTo(SlurmRelease.V24_11);
    assertThat(SlurmConfig.render("demo", spec, HOSTS).get("slurm.conf")).doesNotContain("MetricsType");
  }

  @Test
  void nodeSetsGetFuturePlaceholdersOfTheirShapeOutsideSlurmConfAndANodeset() {
    Map<String, String> files = SlurmConfig.render("demo", spec(), HOSTS);
    // What the entrypoint hands to `scontrol create`, one line per node set.
    assertThat(lines(files.get("future-nodes.conf")).stream().filter(line -> !line.startsWith("#"))).containsExactly(
        "NodeName=demo-cpu-future-[0-9] State=FUTURE Features=cpu,avx512 CPUs=4 RealMemory=8192",
        // Without maxReplicas the node set holds its replicas.
        "NodeName=demo-gpu-future-[0-0] State=FUTURE Features=gpu CPUs=8 RealMemory=16384 Gres=gpu:2");
    // As static slurm.conf lines they could only change with a restart of slurmctld.
    assertThat(lines(files.get("slurm.conf"))).noneMatch(line -> line.startsWith("NodeName="))
        .contains("Nodeset=cpu Feature=cpu", "Nodeset=gpu Feature=gpu");
  }

  @Test
  void aNodeSetThatCanHaveNoNodeGetsNoPlaceholder() {
    var spec = spec();
    spec.nodeSets.get(0).maxReplicas = null;
    spec.nodeSets.get(0).replicas = 0;
    assertThat(SlurmConfig.render("demo", spec, HOSTS).get("future-nodes.conf")).doesNotContain("demo-cpu-future")
        .contains("demo-gpu-future-[0-0]");
  }

  @Test
  void partitionsListTheirNodeSetsAndAFittingDefaultMemoryPerCpu() {
    List<String> conf = lines(SlurmConfig.render("demo", spec(), HOSTS).get("slurm.conf"));
    assertThat(conf).contains(
        "PartitionName=batch Nodes=cpu,gpu Default=YES DefMemPerCPU=2048 MaxTime=UNLIMITED State=UP",
        "PartitionName=gpus Nodes=gpu DefMemPerCPU=2048 MaxTime=1-00:00:00 State=UP");
  }

  @Test
  void slurmctldHoldsABusySitesQueue() {
    assertThat(SlurmConfig.render("demo", spec(), HOSTS).get("slurm.conf")).contains("MaxJobCount=100000\n");
    var spec = spec();
    spec.controller.maxJobCount = 250000;
    assertThat(SlurmConfig.render("demo", spec, HOSTS).get("slurm.conf")).contains("MaxJobCount=250000\n");
  }

  @Test
  void maxNodeCountMovesInStepsThatLeaveRoomForPlaceholdersDynamicNodesAndReplacements() {
    // 10 cpu + 1 gpu at most, three records each (placeholder, node, replacement): 33, under the floor.
    assertThat(SlurmConfig.render("demo", spec(), HOSTS).get("slurm.conf")).contains("MaxNodeCount=1024\n");
    var spec = spec();
    spec.nodeSets.get(0).maxReplicas = 341; // (341 + 1) x 3 = 1026: the next power of two
    assertThat(SlurmConfig.maxNodeCount(spec)).isEqualTo(2048);
    spec.nodeSets.get(0).maxReplicas = 340; // 1023
    assertThat(SlurmConfig.maxNodeCount(spec)).isEqualTo(1024);
    spec.nodeSets.get(0).maxReplicas = 2000;
    spec.nodeSets.get(1).maxReplicas = 2000;
    assertThat(SlurmConfig.maxNodeCount(spec)).isEqualTo(16384);
  }

  @Test
  void gresConfGivesEachGpuNodeSetItsDeviceFilesByNodeName() {
    String gres = SlurmConfig.render("demo", spec(), HOSTS).get("gres.conf");
    assertThat(lines(gres)).contains("AutoDetect=off", "NodeName=demo-gpu-[0-1999] Name=gpu File=/dev/slurmkube-gpu[0-1]");
    assertThat(gres).doesNotContain("demo-cpu");
  }

  @Test
  void aClusterWithGpusGivesEachGpuToItsJobsUserThroughAPrologSlurmctldSends() {
    Map<String, String> files = SlurmConfig.render("demo", spec(), HOSTS);
    // Relative paths: configless slurmctld ships scripts named so, from beside slurm.conf.
    assertThat(lines(files.get("slurm.conf"))).contains("Prolog=slurmkube-gpu-prolog", "Epilog=slurmkube-gpu-epilog");
    assertThat(files.get("slurmkube-gpu-prolog")).startsWith("#!/usr/bin/env bash\n")
        .contains("SLURM_JOB_GPUS", "chown").isEqualTo(files.get("slurmkube-gpu-epilog"));

    var cpuOnly = spec();
    cpuOnly.nodeSets.removeIf(n -> n.gpus != null && n.gpus > 0);
    cpuOnly.partitions.forEach(p -> p.nodeSets.remove("gpu"));
    cpuOnly.partitions.removeIf(p -> p.nodeSets.isEmpty());
    Map<String, String> cpuFiles = SlurmConfig.render("demo", cpuOnly, HOSTS);
    assertThat(cpuFiles).doesNotContainKeys("slurmkube-gpu-prolog", "slurmkube-gpu-epilog");
    assertThat(cpuFiles.get("slurm.conf")).doesNotContain("Prolog=", "Epilog=slurmkube");
    // An Epilog all the same: its epilog-complete message starts the next job at once.
    assertThat(lines(cpuFiles.get("slurm.conf"))).contains("Epilog=/bin/true");
  }

  @Test
  void nodeNamesAreTheCoveredPodNames() {
    assertThat(SlurmConfig.nodeName("demo", "gpu", 7)).isEqualTo("demo-gpu-7");
    assertThatThrownBy(() -> SlurmConfig.nodeName("demo", "gpu", SlurmConfig.MAX_ORDINAL + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void slurmdbdConfPointsAtTheEmbeddedDatabaseWithoutAPassword() {
    List<String> conf = lines(SlurmConfig.render("demo", spec(), HOSTS).get("slurmdbd.conf"));
    assertThat(conf).contains("DbdHost=localhost", "DbdPort=6819", "SlurmUser=slurm", "AuthType=auth/slurm",
        "AuthAltTypes=auth/jwt", "StorageType=accounting_storage/mysql",
        "StorageHost=demo-db-0.demo-db.ns.svc.cluster.local", "StoragePort=3306", "StorageLoc=slurm_acct_db",
        "StorageUser=slurm");
    assertThat(conf).noneMatch(line -> line.startsWith("StoragePass"));
  }

  @Test
  void slurmdbdConfUsesAnExternalDatabase() {
    var spec = spec();
    spec.accounting.mode = AccountingSpec.Mode.External;
    spec.accounting.external = new ExternalDatabaseSpec();
    spec.accounting.external.host = "mysql.example.internal";
    spec.accounting.external.port = 3307;
    spec.accounting.external.database = "acct";
    spec.accounting.external.user = "slurmacct";
    assertThat(lines(SlurmConfig.render("demo", spec, HOSTS).get("slurmdbd.conf")))
        .contains("StorageHost=mysql.example.internal", "StoragePort=3307", "StorageLoc=acct", "StorageUser=slurmacct");
  }

  @Test
  void noAccountingMeansNoSlurmdbd() {
    var spec = spec();
    spec.accounting.mode = AccountingSpec.Mode.None;
    Map<String, String> files = SlurmConfig.render("demo", spec, HOSTS);
    assertThat(files).doesNotContainKey("slurmdbd.conf");
    assertThat(lines(files.get("slurm.conf"))).contains("AccountingStorageType=accounting_storage/none");
  }

  @Test
  void clusterNamesAreWhatSlurmAccepts() {
    assertThat(SlurmConfig.slurmClusterName("My-Cluster.1")).isEqualTo("my_cluster_1");
    assertThat(SlurmConfig.slurmClusterName("a".repeat(50))).hasSize(40);
  }

  @Test
  void withAccountingJobsAreOrderedByFairShareAndOnlyAssociationsRun() {
    var conf = lines(SlurmConfig.render("demo", spec(), HOSTS).get("slurm.conf"));
    assertThat(conf).contains("PriorityType=priority/multifactor", "PriorityWeightFairshare=10000",
        "PriorityWeightAge=1000", "PriorityWeightQOS=10000", "PriorityDecayHalfLife=7-0", "PriorityCalcPeriod=5",
        "AccountingStorageEnforce=associations,limits,qos", "PreemptType=preempt/none");
    assertThat(conf).noneMatch(l -> l.startsWith("PreemptMode="));
  }

  @Test
  void schedulingSettingsReachSlurmConf() {
    var spec = spec();
    spec.scheduling.priority.weightFairshare = 5000;
    spec.scheduling.priority.calcPeriodMinutes = 1;
    spec.scheduling.priority.decayHalfLife = "0";
    spec.scheduling.preemption.mode = io.slurmkube.api.SchedulingSpec.PreemptionSpec.Mode.Requeue;
    spec.scheduling.enforce = List.of(io.slurmkube.api.SchedulingSpec.Enforce.associations,
        io.slurmkube.api.SchedulingSpec.Enforce.safe);
    spec.scheduling.extraConfig = List.of("DefCpuPerGPU=4", "MaxArraySize=5001");
    var conf = lines(SlurmConfig.render("demo", spec, HOSTS).get("slurm.conf"));
    assertThat(conf).contains("PriorityWeightFairshare=5000", "PriorityCalcPeriod=1", "PriorityDecayHalfLife=0",
        "PreemptType=preempt/qos", "PreemptMode=REQUEUE", "AccountingStorageEnforce=associations,safe",
        "DefCpuPerGPU=4", "MaxArraySize=5001");
    // Extra lines come last, after the partitions.
    assertThat(conf.indexOf("DefCpuPerGPU=4")).isGreaterThan(conf.indexOf(conf.stream()
        .filter(l -> l.startsWith("PartitionName=gpus")).findFirst().orElseThrow()));

    spec.scheduling.enforce = List.of();
    assertThat(lines(SlurmConfig.render("demo", spec, HOSTS).get("slurm.conf"))).noneMatch(l -> l.startsWith("AccountingStorageEnforce"));
  }

  @Test
  void extraConfigCannotSetOwnedKeysOrInjectLinesEvenPastAdmission() {
    var spec = spec();
    spec.scheduling.extraConfig = List.of("priorityType=priority/basic", "DefCpuPerGPU=4\nClusterName=other",
        "SchedulerParameters=bf_interval=30", "MaxArraySize=5001");
    String conf = SlurmConfig.render("demo", spec, HOSTS).get("slurm.conf");
    assertThat(lines(conf)).contains("MaxArraySize=5001", "SchedulerParameters=bf_interval=5,batch_sched_delay=0")
        .doesNotContain("priorityType=priority/basic", "ClusterName=other", "SchedulerParameters=bf_interval=30");
  }

  @Test
  void withoutSlurmdbdThereIsNoFairShareNorEnforcement() {
    var spec = spec();
    spec.accounting.mode = AccountingSpec.Mode.None;
    var conf = lines(SlurmConfig.render("demo", spec, HOSTS).get("slurm.conf"));
    assertThat(conf).contains("PriorityType=priority/basic").noneMatch(l -> l.startsWith("AccountingStorageEnforce")
        || l.startsWith("PriorityWeight"));
  }

  /** extraConfig is refused for every key slurm.conf already has; the CRD's rule lists the same keys. */
  @Test
  void everyKeyTheOperatorWritesIsOwned() {
    var spec = spec();
    spec.scheduling.preemption.mode = io.slurmkube.api.SchedulingSpec.PreemptionSpec.Mode.Cancel;
    String conf = SlurmConfig.render("demo", spec, HOSTS, SlurmRelease.DEFAULT).get("slurm.conf");
    var keys = conf.lines().filter(l -> !l.startsWith("#") && l.contains("="))
        .map(l -> l.substring(0, l.indexOf('=')).toLowerCase(java.util.Locale.ROOT)).distinct()
        // Slurm runs every Prolog and Epilog line: a site's own add to the operator's, they do not replace them.
        .filter(k -> !k.equals("prolog") && !k.equals("epilog")).toList();
    assertThat(io.slurmkube.api.SchedulingSpec.OWNED_KEYS).containsAll(keys);
  }
}
