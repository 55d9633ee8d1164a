package io.slurmkube.reconcile;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.slurmkube.api.NodeSet;
import io.slurmkube.api.SlurmCluster;
import io.slurmkube.slurm.SlurmException;
import io.slurmkube.slurm.SlurmJob;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes a cluster's autoscaling node sets as soon as a new job is pending, instead of at their next
 * periodic pass (up to {@link NodeSetReconciler#AUTOSCALE_PERIOD} later): the scale decision then
 * waits only for the queue reader's next squeue.
 *
 * <p>Reads each watched cluster's queue anew every {@link #PERIOD} into the read the passes share
 * (so the pass it wakes reads no queue of its own). A cluster wakes its node sets when a
 * pending job has a higher id than any pending job seen before, or when more jobs are pending than
 * at the last look (a requeue, a release from hold). Anything else (a job that became eligible, a
 * node that went idle) is left to the periodic pass.
 */
public class QueueWatch extends SimpleInboundEventSource<NodeSet> {
  private static final Logger LOG = LoggerFactory.getLogger(QueueWatch.class);
  /** About the queue reader's own cadence (a 200 ms pause after each squeue). */
  static final Duration PERIOD = Duration.ofMillis(200);

  /** What one cluster's queue looked like at the last look, and whom to wake. */
  private static final class Watched {
    volatile SlurmCluster cluster;
    final Set<ResourceID> nodeSets = ConcurrentHashMap.newKeySet();
    long newestPending = -1;
    int pending = -1;
  }

  private final Function<SlurmCluster, List<SlurmJob>> queue;
  private final Duration period;
  private final Map<ResourceID, Watched> clusters = new ConcurrentHashMap<>();
  private ScheduledExecutorService timer;

  /**
   * @param queue reads the cluster's pending and running jobs; null to skip this look (the read
   *     would be costly); throws SlurmException when unreadable
   */
  public QueueWatch(Function<SlurmCluster, List<SlurmJob>> queue) {
    this(queue, PERIOD);
  }

  QueueWatch(Function<SlurmCluster, List<SlurmJob>> queue, Duration period) {
    super("nodeset-queue-watch");
    this.queue = queue;
    this.period = period;
  }

  /** Watch the queue of this node set's cluster for it (called by each pass of an autoscaling node set). */
  public void watch(SlurmCluster cluster, ResourceID nodeSet) {
    Watched watched = clusters.computeIfAbsent(ResourceID.fromResource(cluster), id -> new Watched());
    watched.cluster = cluster;
    watched.nodeSets.add(nodeSet);
  }

  /** Stop waking this node set (it stopped autoscaling or is gone); a cluster nobody watches is dropped. */
  public void unwatch(ResourceID nodeSet) {
    clusters.values().forEach(w -> w.nodeSets.remove(nodeSet));
    clusters.values().removeIf(w -> w.nodeSets.isEmpty());
  }

  /** One look at every watched cluster; returns the node sets it woke. */
  Set<ResourceID> lookOnce() {
    Set<ResourceID> woken = new java.util.HashSet<>();
    for (Watched watched : clusters.values()) {
      List<SlurmJob> jobs;
      try {
        jobs = queue.apply(watched.cluster);
      } catch (SlurmException e) {
        // The pass reads the same queue and reports why it cannot.
        LOG.debug("queue watch: cannot read the queue of {}: {}", watched.cluster.getMetadata().getName(), e.getMessage());
        continue;
      }
      if (jobs == null) {
        continue;
      }
      long newest = -1;
      int pending = 0;
      for (SlurmJob job : jobs) {
        if (job.isPending()) {
          pending += job.pendingTasks();
          newest = Math.max(newest, job.id());
        }
      }
      boolean first = watched.pending < 0;
      boolean news = !first && (newest > watched.newestPending || pending > watched.pending);
      watched.newestPending = Math.max(watched.newestPending, newest);
      watched.pending = pending;
      if (news) {
        woken.addAll(watched.nodeSets);
      }
    }
    woken.forEach(this::propagateEvent);
    return woken;
  }

  @Override
  public void start() {
    super.start();
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "queue-watch");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(() -> {
      try {
        lookOnce();
      } catch (RuntimeException e) {
        LOG.warn("queue watch: {}", e.toString());
      }
    }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void stop() {
    if (timer != null) {
      timer.shutdownNow();
    }
    super.stop();
  }
}
