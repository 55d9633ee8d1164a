package io.slurmkube.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What slurmdbd holds of spec.accounting and spec.users: per object, accepted or refused with Slurm's words. */
public class AccountingStatus {
  /** An object's state: Applied (slurmdbd holds what the spec says), Refused (Slurm's message says why), Pending. */
  public static class ObjectState {
    public String kind;
    public String name;
    public String state;
    public String message;

    public ObjectState() {}

    public ObjectState(String kind, String name, String state, String message) {
      this.kind = kind;
      this.name = name;
      this.state = state;
      this.message = message;
    }
  }

  @JsonPropertyDescription("Each declared QOS, account and user association: Applied, Refused (with Slurm's message) or Pending.")
  public List<ObjectState> objects = new ArrayList<>();

  @JsonPropertyDescription("QOS the operator created in slurmdbd: the only QOS it will ever delete.")
  public List<String> createdQos = new ArrayList<>();

  @JsonPropertyDescription("Accounts the operator created in slurmdbd: the only accounts it will ever delete.")
  public List<String> createdAccounts = new ArrayList<>();

  @JsonPropertyDescription("Users the operator created in slurmdbd: the only users it will ever delete.")
  public List<String> createdUsers = new ArrayList<>();

  @JsonPropertyDescription("When slurmdbd last matched the spec, or why it could not be compared.")
  public String lastSync;
}
