package io.slurmkube.slurm;

import java.util.List;

/** A user and their associations in this cluster: one per account, default account among them. */
public record SlurmUser(String name, String defaultAccount, List<String> accounts) {}
