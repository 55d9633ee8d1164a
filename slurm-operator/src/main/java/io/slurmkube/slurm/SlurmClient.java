package io.slurmkube.slurm;

import java.util.List;

/**
 * What the operator asks of Slurm, independent of the slurmrestd API version that carries it.
 * Each API version Slurm serves gets one adapter; {@link SlurmClients#connect} picks the newest one
 * the server offers.
 *
 * <p>Errors are unchecked and typed: {@link SlurmAuthException} (token refused),
 * {@link SlurmServerException} (5xx), {@link SlurmTimeoutException}, {@link SlurmRequestException}
 * (Slurm refused the request; {@link SlurmNodeBusyException} when a node still runs jobs), and
 * {@link SlurmUnavailableException} (slurmrestd cannot be reached). Only reads are retried.
 */
public interface SlurmClient {

  /** The slurmrestd API version this client speaks, e.g. {@code v0.0.45}. */
  String apiVersion();

  /** Asks slurmrestd to ping slurmctld. */
  Ping ping();

  /** Every job slurmctld still holds (pending, running and recently finished). */
  List<SlurmJob> jobs();

  /** Pending and running jobs only: what an autoscaler looks at. */
  default List<SlurmJob> activeJobs() {
    return activeQueue().jobs();
  }

  /** Pending and running jobs with the moment they were listed. */
  default QueueRead activeQueue() {
    java.time.Instant began = java.time.Instant.now();
    return new QueueRead(jobs().stream().filter(job -> job.isPending() || job.isRunning()).toList(), began);
  }

  /**
   * What the operator should say about the last queue read, e.g. that it came from slurmrestd
   * because the queue reader did not answer, or that Slurm answers slowly; null when nothing.
   */
  default String queueNote() {
    return null;
  }

  /**
   * The SHA-256 (hex) of the auth key set ({@code slurm.jwks}) slurmctld last took in, "" when it
   * uses none: what a key rotation waits for. Only the queue reader in the slurmctld pod can tell.
   *
   * @throws SlurmUnavailableException when it cannot be asked
   */
  default String authKeySet() {
    throw new SlurmUnavailableException("slurmrestd cannot tell which auth key set slurmctld uses", null);
  }

  /** Every node slurmctld knows, dynamic ones included (FUTURE placeholders are left out). */
  List<SlurmNode> nodes();

  /**
   * The nodes as slurmctld holds them now, never a read shared with an earlier caller: for a
   * decision that deletes a pod because Slurm had no node for it.
   */
  default List<SlurmNode> freshNodes() {
    return nodes();
  }

  /**
   * The active queue read now, not one shared with an earlier caller (a read under way is joined);
   * callers after it share this one as they would any read: for the watch that wakes node sets.
   */
  default QueueRead freshQueue() {
    return activeQueue();
  }

  /** Whether a queue read now costs Slurm little (the queue reader's memory, not a slurmrestd listing). */
  default boolean queueReadIsCheap() {
    return false;
  }

  /** Drains a node: running jobs finish, no new ones start. The reason is shown by sinfo -R. */
  void drainNode(String name, String reason);

  /** Returns a drained or down node to service. */
  void resumeNode(String name, String reason);

  /**
   * Deletes a dynamic node's record. Slurm refuses while the node has jobs: that is a
   * {@link SlurmNodeBusyException}. An unknown node is a {@link SlurmRequestException}.
   */
  void deleteNode(String name);

  /** Submits a batch job as the client's user; returns its job id. */
  long submitJob(JobSubmission job);
}
