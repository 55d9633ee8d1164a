package io.slurmkube.model;

/**
 * How the Slurm daemons find each other.
 *
 * @param controllerName slurmctld's hostname as slurmctld itself sees it (SlurmctldHost must match it)
 * @param controllerAddress the address other daemons use to reach slurmctld
 * @param accountingAddress the address slurmctld uses to reach slurmdbd
 * @param databaseAddress the address slurmdbd uses to reach the embedded MariaDB (External
 *     accounting takes its host from the spec instead)
 */
public record SlurmHosts(String controllerName, String controllerAddress, String accountingAddress,
    String databaseAddress) {}
