package io.slurmkube.slurm;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bare-Slurm half of bench/throughput.sh: the daemons of {@link SlurmTestCluster} in plain
 * containers (slurm.conf from the same SlurmConfig, two nodes of 2 CPUs, no Kubernetes) run the
 * job stream of bench/throughput-jobs.sh from their login container. Writes the script's line to
 * the file given.
 *
 * <p>Arguments: output file, number of jobs, the job stream script.
 */
public final class ThroughputBench {
  private ThroughputBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    String jobs = args[1];
    String script = Files.readString(Path.of(args[2]));
    try (var cluster = new SlurmTestCluster("")) {
      // A first job warms the path (credentials, the first launch on each node) for both halves alike.
      SlurmTestCluster.exec(cluster.login, "bash", "-c", script, "throughput", "2");
      String line = SlurmTestCluster.exec(cluster.login, "bash", "-c", script, "throughput", jobs).strip();
      Files.writeString(out, line + "\n");
      System.out.println("bare Slurm: " + line);
    }
  }
}
