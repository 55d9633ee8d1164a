/**
 * Fleet partitioning: a SlurmCluster's {@code spec.fleet} splits the Kubernetes nodes into its Slurm
 * pool and the rest, and optionally lends idle pool nodes to Kubernetes.
 *
 * <p>What a user sees on a node: {@code slurmkube.io/pool=<namespace>.<cluster>} (label),
 * {@code slurmkube.io/pool-state=slurm|lent|reclaiming} (label), {@code slurmkube.io/pool-owner}
 * (annotation) and, unless lent, the taint {@code slurmkube.io/pool=<namespace>.<cluster>:NoSchedule}.
 * Node-set pods select {@code pool=<id>, pool-state=slurm} and tolerate that taint; nothing else does,
 * so Kubernetes pods stay off reserved nodes and slurmd pods stay off lent ones. Nodes outside the
 * pool are never written to; a node already in another cluster's pool is never taken.
 *
 * <p>{@link io.slurmkube.fleet.PoolPlan} decides (pure, unit-tested); {@link io.slurmkube.fleet.FleetReconciler}
 * writes: node marks by read-modify-write with the node's resourceVersion, evictions through the
 * Eviction API (a PodDisruptionBudget's refusal keeps the node reclaiming, with the API server's
 * reason in {@code status.fleet.reclaimingNodes}), an Event on the SlurmCluster for every move, and
 * {@code status.fleet} under its own server-side-apply field manager.
 */
package io.slurmkube.fleet;
