/**
 * Fleet partitioning: a SlurmCluster's {@code spec.fleet} splits the Kubernetes nodes into its Slurm
 * pool and the rest, and optionally lends idle pool nodes to Kubernetes, within what the
 * SlurmNodePool it names grants its namespace ({@link io.slurmkube.fleet.PoolGrant}).
 *
 * <p>What a user sees on a node: {@code slurmkube.io/pool=<namespace>.<cluster>} (label),
 * {@code slurmkube.io/pool-state=slurm|lent|reclaiming} (label), {@code slurmkube.io/pool-owner}
 * (annotation) and, unless lent, the taint {@code slurmkube.io/pool=<namespace>.<cluster>:NoSchedule}
 * ({@link io.slurmkube.model.PoolMarks}, in model because the pod builder needs them too).
 * Node-set pods select {@code pool=<id>, pool-state=slurm} and tolerate that taint; nothing else does,
 * so Kubernetes pods stay off reserved nodes and slurmd pods stay off lent ones. Nodes outside the
 * pool are never written to; a node already in another cluster's pool is never taken; a
 * control-plane node never joins.
 *
 * <p>{@link io.slurmkube.fleet.PoolGrant} and {@link io.slurmkube.fleet.PoolPlan} decide (pure,
 * unit-tested); {@link io.slurmkube.fleet.FleetReconciler} reads top to bottom and hands each write to
 * one class: node marks by read-modify-write with the node's resourceVersion
 * ({@link io.slurmkube.fleet.NodeMarker}), evictions through the Eviction API
 * ({@link io.slurmkube.fleet.Evictions}; a PodDisruptionBudget's refusal keeps the node reclaiming,
 * with the API server's reason in {@code status.fleet.reclaimingNodes}), an Event on the SlurmCluster
 * for every move, and {@code status.fleet} under its own server-side-apply field manager
 * ({@link io.slurmkube.fleet.FleetStatusWriter}).
 */
package io.slurmkube.fleet;
