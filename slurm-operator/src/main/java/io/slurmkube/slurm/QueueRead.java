package io.slurmkube.slurm;

import java.time.Instant;
import java.util.List;

/**
 * Pending and running jobs as Slurm listed them at {@code readAt}. A listing is a moment in the
 * past: a job it shows pending may have started since, on a node that is busy now.
 *
 * @param jobs pending and running jobs
 * @param readAt when the listing began (not later than the state it shows)
 */
public record QueueRead(List<SlurmJob> jobs, Instant readAt) {}
