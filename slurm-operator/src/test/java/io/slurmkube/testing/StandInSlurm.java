package io.slurmkube.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.slurm.JobSubmission;
import io.slurmkube.slurm.Ping;
import io.slurmkube.slurm.SlurmClient;
import io.slurmkube.slurm.SlurmConnections;
import io.slurmkube.slurm.SlurmJob;
import io.slurmkube.slurm.SlurmNode;
import io.slurmkube.slurm.SlurmNodeBusyException;
import io.slurmkube.slurm.SlurmRequestException;
import io.slurmkube.slurm.SlurmUnavailableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slurm as the operator sees it through slurmrestd, kept in memory, for tests against a real API
 * server with no kubelet (so no real slurmctld). A test sets nodes and jobs; drains, resumes and
 * record deletions act on them as Slurm would (a busy node's record is refused). Clusters a test
 * has not given one are unreachable, as in such a test without it.
 */
public final class StandInSlurm implements SlurmClient {
  private final Map<String, SlurmNode> nodes = new ConcurrentHashMap<>();
  private final Map<Long, SlurmJob> jobs = new ConcurrentHashMap<>();
  public final List<String> drains = java.util.Collections.synchronizedList(new ArrayList<>());
  public final List<String> deletedRecords = java.util.Collections.synchronizedList(new ArrayList<>());

  /** Connections that answer with a stand-in for the named clusters only. */
  public static SlurmConnections connections(KubernetesClient client, Map<String, StandInSlurm> byCluster) {
    return new SlurmConnections(client) {
      @Override
      public SlurmClient forCluster(SlurmCluster cluster) {
        StandInSlurm slurm = byCluster.get(cluster.getMetadata().getName());
        if (slurm == null) {
          throw new SlurmUnavailableException("no slurmrestd in this test", null);
        }
        return slurm;
      }
    };
  }

  /** A node running job {@code jobId} (ALLOCATED), or idle when jobId is 0. */
  public void node(String name, long jobId) {
    nodes.compute(name, (n, old) -> {
      Set<String> states = new HashSet<>(Set.of(jobId == 0 ? "IDLE" : "ALLOCATED", "DYNAMIC_NORM"));
      if (old != null && old.isDrainFlagged()) {
        states.add("DRAIN");
      }
      return new SlurmNode(name, states, List.of("cpu"), "", 0, 0, 1, jobId == 0 ? 0 : 1, 512, 0,
          old == null ? "" : old.reason(), "slurm", "10.0.0.1");
    });
    if (jobId != 0) {
      jobs.put(jobId, new SlurmJob(jobId, "job" + jobId, "alice", "batch", Set.of("RUNNING"), "None",
          Instant.now(), 1, 1, 0, "", name));
    }
  }

  /** A job as slurmctld would list it (pending ones included). */
  public void job(SlurmJob job) {
    jobs.put(job.id(), job);
  }

  /** The job ends: its node goes idle (and stays drained if it was). */
  public void endJob(long jobId) {
    SlurmJob job = jobs.remove(jobId);
    if (job != null) {
      node(job.nodeList(), 0);
    }
  }

  public SlurmNode get(String name) {
    return nodes.get(name);
  }

  @Override public String apiVersion() { return "stand-in"; }

  @Override public Ping ping() { return new Ping("stand-in", true, "primary", "24.11", 1); }

  @Override public List<SlurmJob> jobs() { return List.copyOf(jobs.values()); }

  /** Runs at each node listing, before it answers: a test may hold a pass there. */
  public volatile Runnable beforeNodeListing = () -> { };

  @Override
  public List<SlurmNode> nodes() {
    beforeNodeListing.run();
    return List.copyOf(nodes.values());
  }

  @Override
  public void drainNode(String name, String reason) {
    SlurmNode n = nodes.get(name);
    if (n == null) {
      throw new SlurmRequestException(400, "no node " + name, List.of());
    }
    Set<String> states = new HashSet<>(n.states());
    states.add("DRAIN");
    nodes.put(name, new SlurmNode(name, states, n.features(), n.gres(), n.gpus(), n.gpusUsed(), n.cpus(), n.cpusAllocated(),
        n.memoryMiB(), n.memoryAllocatedMiB(), reason, "slurm", n.address()));
    drains.add(name + ": " + reason);
  }

  @Override
  public void resumeNode(String name, String reason) {
    SlurmNode n = nodes.get(name);
    Set<String> states = new HashSet<>(n.states());
    states.remove("DRAIN");
    nodes.put(name, new SlurmNode(name, states, n.features(), n.gres(), n.gpus(), n.gpusUsed(), n.cpus(), n.cpusAllocated(),
        n.memoryMiB(), n.memoryAllocatedMiB(), "", "", n.address()));
  }

  @Override
  public void deleteNode(String name) {
    SlurmNode n = nodes.get(name);
    if (n == null) {
      throw new SlurmRequestException(400, "no node " + name, List.of());
    }
    if (n.isBusy()) {
      throw new SlurmNodeBusyException(name, 400, "node " + name + " has jobs", List.of());
    }
    nodes.remove(name);
    deletedRecords.add(name);
  }

  @Override public long submitJob(JobSubmission job) { throw new UnsupportedOperationException(); }
}
