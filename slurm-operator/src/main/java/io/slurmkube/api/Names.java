package io.slurmkube.api;

import java.util.List;

/**
 * The name rules of the API: node sets, partitions and the cluster name, which prefixes every
 * object the operator makes ({@code model.ClusterNames}). The limits are checked against
 * ClusterNames and the builders by {@code model.NameLimitsTest}; the CRD rules are built from them.
 */
public final class Names {
  /** Lower-case letters, digits and '-', starting with a letter: Slurm and DNS-1123 accept it. */
  public static final String SLURM_NAME = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
  /** A DNS-1035 label: what a Service name (and so a cluster name, its prefix) must be. */
  public static final String DNS_LABEL = SLURM_NAME;
  public static final int MAX_LENGTH = 40;

  /** Pod host names, Service names and label values are DNS labels. */
  public static final int DNS_LABEL_MAX = 63;
  /**
   * A StatefulSet's pods carry the label controller-revision-hash = {@code <statefulset>-<hash>},
   * the hash being up to 10 characters: the StatefulSet's name must leave room for it.
   */
  public static final int STATEFULSET_NAME_MAX = DNS_LABEL_MAX - 1 - 10;
  /** The longest suffix ClusterNames gives a StatefulSet: the controller's. */
  public static final String LONGEST_STATEFULSET_SUFFIX = "-controller";
  /** 41: {@code <cluster>-controller} must fit {@link #STATEFULSET_NAME_MAX} (a literal: annotations need constants). */
  public static final int MAX_CLUSTER_NAME = STATEFULSET_NAME_MAX - 11;
  /**
   * Node pods are {@code <cluster>-<nodeset>-<ordinal>}; ordinals can pass the replica count while
   * older pods terminate, so four digits are kept free: cluster plus node set name is at most 57.
   */
  public static final int ORDINAL_DIGITS = 4;
  public static final int MAX_CLUSTER_PLUS_NODESET = DNS_LABEL_MAX - 2 - ORDINAL_DIGITS;

  /**
   * Node-set names that would collide with the cluster's own objects ({@code <cluster>-<suffix>}
   * in ClusterNames: a node set {@code controller} makes the pod {@code <cluster>-controller-0},
   * the controller's), plus Slurm's reserved words ({@code Nodes=ALL}, the DEFAULT record).
   */
  public static final String RESERVED_NODESET_NAMES_CEL = "['controller', 'db', 'db-password', 'accounting', 'restapi', "
      + "'login', 'home', 'config', 'users', 'auth-key', 'jwt-key', 'ssh-host-keys', 'nodes', 'default', 'all']";
  public static final List<String> RESERVED_NODESET_NAMES = List.of("controller", "db", "db-password", "accounting",
      "restapi", "login", "home", "config", "users", "auth-key", "jwt-key", "ssh-host-keys", "nodes", "default", "all");
  public static final String RESERVED_NODESET_MESSAGE = "is reserved: the cluster's own objects are named "
      + "<cluster>-controller, -db, -db-password, -accounting, -restapi, -login, -home, -config, -users, -auth-key, -jwt-key, "
      + "-ssh-host-keys and -nodes, and Slurm reads 'default' and 'all' as keywords; choose another node set name (for example cpu or gpu-a100)";
  public static final String NODESET_NAME_MESSAGE = "is not a valid node set name: use lower-case letters, digits and '-', "
      + "starting with a letter and not ending with '-' (for example gpu-a100)";

  /** A Unix user or group name as useradd and Slurm take it. */
  public static final String UNIX_NAME = "^[a-z_][a-z0-9_-]*$";
  /**
   * Users and groups the images already have (Debian's base, Slurm's, sshd's, MariaDB's): a declared
   * one of the same name would be hidden by the image's own (nsswitch reads files first).
   */
  public static final String RESERVED_UNIX_NAMES_CEL = "['root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', "
      + "'mail', 'news', 'uucp', 'proxy', 'www-data', 'backup', 'list', 'irc', '_apt', 'nobody', 'nogroup', 'adm', "
      + "'tty', 'disk', 'kmem', 'dialout', 'fax', 'voice', 'cdrom', 'floppy', 'tape', 'sudo', 'audio', 'dip', "
      + "'operator', 'src', 'shadow', 'utmp', 'video', 'sasl', 'plugdev', 'staff', 'users', 'slurm', 'slurmrestd', "
      + "'sshd', 'mysql', 'messagebus', 'systemd-network', 'systemd-timesync', 'systemd-journal']";

  private Names() {}
}
