package io.slurmkube.slurm;

import java.util.List;

/**
 * What the operator asks of Slurm's accounting (slurmdbd, through slurmrestd's
 * {@code /slurmdb/v0.0.4x} APIs), independent of the API version. Errors are the typed
 * {@link SlurmException}s of {@link SlurmClient}; Slurm's refusals are {@link SlurmRequestException}s
 * carrying Slurm's own text. Accounts and users are slurmdbd-wide; associations belong to the
 * cluster this client was made for.
 */
public interface SlurmAccounting {

  /** The slurmrestd API version this client speaks, e.g. {@code v0.0.45}. */
  String apiVersion();

  /** Every QOS in slurmdbd, "normal" included. */
  List<SlurmQos> qos();

  /**
   * The accounts that have an association in this cluster ("root" included), each with that
   * association's parent, fair share (shares_raw), QOS, default QOS and its own limits (not those
   * it inherits).
   */
  List<SlurmAccount> accounts();

  /** The users that have associations in this cluster (root included). */
  List<SlurmUser> users();

  /** Creates the QOS, or changes an existing one to exactly these values (an unset limit is cleared). */
  void putQos(SlurmQos qos);

  /**
   * Creates the account and its association under {@code parent} (which must exist), or changes its
   * description, parent, fair share, QOS and limits to exactly these values.
   */
  void putAccount(SlurmAccount account);

  /**
   * Creates the user and any missing association of the user with the listed accounts, and sets the
   * default account. Associations with other accounts are left alone.
   */
  void putUser(SlurmUser user);

  /** Removes the association of {@code user} with {@code account} in this cluster. */
  void deleteUserAssociation(String user, String account);

  /** Removes the user from slurmdbd, with all their associations. */
  void deleteUser(String user);

  /** Removes the account from slurmdbd, with its associations (users' included). */
  void deleteAccount(String account);

  /** Removes the QOS from slurmdbd. */
  void deleteQos(String qos);
}
