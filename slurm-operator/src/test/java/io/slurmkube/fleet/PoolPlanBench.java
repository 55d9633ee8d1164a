package io.slurmkube.fleet;

import io.slurmkube.model.PoolMarks;
import io.slurmkube.api.FleetSpec;
import io.slurmkube.fleet.FleetNode.PodOnNode;
import io.slurmkube.fleet.FleetNode.Resources;
import io.slurmkube.fleet.FleetNode.Role;
import io.slurmkube.fleet.FleetNode.WaitingPod;
import io.slurmkube.model.PoolMarks.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A benchmark, not a test: how long one pool decision takes for large fleets (the work of one
 * fleet reconcile besides its API calls). Run it with bench/fleet.sh; it writes its figures to the
 * file named by its argument.
 */
public final class PoolPlanBench {
  private static final int ROUNDS = 20;

  private PoolPlanBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "bench/results/fleet.txt");
    var report = new StringBuilder();
    report.append("# Pool decision benchmark (PoolPlanBench, via bench/fleet.sh)\n");
    report.append("date: ").append(Instant.now()).append('\n');
    report.append("machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, Java ")
        .append(System.getProperty("java.version")).append('\n');
    report.append("fleet: every node matches; the pool takes 80%; of the pool 60% run slurmd pods, 30% are lent\n");
    report.append("with 10 Kubernetes pods each, 10% idle; 20 pods per node in all; node-set pods waiting for 15% of the\n");
    report.append("nodes, so the idle reserved nodes (8% of the fleet) take some and lent nodes are reclaimed for the rest\n\n");
    for (int nodes : new int[] {100, 1000, 5000, 20000}) {
      var input = fleet(nodes);
      for (int i = 0; i < 5; i++) {
        PoolPlan.decide(input).status(Map.of());
      }
      double[] seconds = new double[ROUNDS];
      PoolPlan plan = null;
      for (int i = 0; i < ROUNDS; i++) {
        long start = System.nanoTime();
        plan = PoolPlan.decide(input);
        plan.status(Map.of());
        seconds[i] = (System.nanoTime() - start) / 1e9;
      }
      Arrays.sort(seconds);
      report.append(String.format(Locale.ROOT, "%6d nodes, %7d pods: decision median %.4f s, worst %.4f s (%d moves, %d evictions)%n",
          nodes, nodes * 20, seconds[ROUNDS / 2], seconds[ROUNDS - 1], plan.moves().size(), plan.evictions().size()));
    }
    report.append("\nEach decision is PoolPlan.decide plus the status it reports, over ").append(ROUNDS)
        .append(" rounds after 5 warm-up rounds, on records already built from the informer caches.\n");
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report.toString());
    System.out.print(report);
  }

  static PoolPlan.Input fleet(int count) {
    String pool = "hpc.demo";
    var policy = new FleetSpec();
    policy.nodeSelector = new FleetSpec.NodeSelector();
    policy.nodeSelector.matchLabels.put("fleet", "yes");
    policy.nodes = count * 8 / 10;
    policy.lending.enabled = true;
    policy.lending.idleSeconds = 300;
    List<FleetNode> nodes = new ArrayList<>();
    Resources node = new Resources(64_000, 256L << 30);
    Resources small = new Resources(100, 128L << 20);
    for (int i = 0; i < count; i++) {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("fleet", "yes");
      labels.put("kubernetes.io/hostname", "node-" + i);
      List<PodOnNode> pods = new ArrayList<>();
      String taint = null;
      int slot = i % 10;
      if (i < policy.nodes) {
        labels.put(PoolMarks.POOL, pool);
        State state = slot < 6 ? State.SLURM : slot < 9 ? State.LENT : State.SLURM;
        labels.put(PoolMarks.STATE, state.label);
        taint = state.tainted() ? pool : null;
        if (slot < 6) {
          pods.add(new PodOnNode("hpc", "demo-cpu-" + i, Role.SLURMD, new Resources(60_000, 200L << 30), false));
        }
        if (state == State.LENT) {
          for (int p = 0; p < 10; p++) {
            pods.add(new PodOnNode("web", "web-" + i + "-" + p, Role.EVICTABLE, small, false));
          }
        }
      }
      while (pods.size() < 20) {
        pods.add(new PodOnNode("kube-system", "ds-" + i + "-" + pods.size(), Role.STAYS, small, false));
      }
      nodes.add(new FleetNode("node-" + i, labels, "hpc/demo", taint, true, false, node, pods));
    }
    List<WaitingPod> waiting = new ArrayList<>();
    // More than the idle reserved nodes hold: the rest reclaims lent nodes.
    for (int w = 0; w < count * 15 / 100; w++) {
      waiting.add(new WaitingPod("demo-cpu-w" + w, new Resources(60_000, 200L << 30), true));
    }
    policy.pool = FleetFixtures.POOL_NAME;
    var grant = PoolGrant.of("hpc", policy, FleetFixtures.grant("fleet", true, "hpc"));
    return new PoolPlan.Input(pool, grant, nodes, waiting, new HashMap<>(), Map.of(), Instant.now());
  }
}
