/**
 * What the operator sees and does, as Prometheus metrics on /metrics: the Slurm queue per partition
 * (pending by what the jobs wait for, running), each node set's Slurm nodes by state and its
 * replicas, counters of scale decisions, drains and node removals, and how long jobs wait from
 * submission to a scale decision and to RUNNING. Fed by the reconcilers from what they already read.
 */
package io.slurmkube.metrics;
