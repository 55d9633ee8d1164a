package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.api.GroupSpec;
import io.slurmkube.api.SlurmClusterSpec;
import io.slurmkube.api.UserSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The users' files as libnss-extrausers and sshd read them. */
class UserDirectoryTest {

  static UserSpec user(String name, long uid) {
    var user = new UserSpec();
    user.name = name;
    user.uid = uid;
    return user;
  }

  private static SlurmClusterSpec spec() {
    var spec = new SlurmClusterSpec();
    var alice = user("alice", 2001);
    alice.groups = List.of("ml");
    alice.sshAuthorizedKeys = List.of("ssh-ed25519 AAAAalice alice@laptop", "ssh-rsa AAAAalice2 alice@desk");
    var bob = user("bob", 2002);
    bob.gid = 3000L; // the declared group ml is his primary group
    bob.shell = "/bin/sh";
    var ml = new GroupSpec();
    ml.name = "ml";
    ml.gid = 3000L;
    spec.users = List.of(alice, bob);
    spec.groups = List.of(ml);
    return spec;
  }

  @Test
  void passwdGivesEachUserTheirIdsHomeAndShell() {
    assertThat(UserDirectory.files(spec()).get("passwd").lines()).containsExactly(
        "alice:x:2001:2001::/home/alice:/bin/bash",
        "bob:x:2002:3000::/home/bob:/bin/sh");
  }

  @Test
  void groupsListMembersAndAGroupPerUserWhosePrimaryGidIsNotDeclared() {
    assertThat(UserDirectory.files(spec()).get("group").lines()).containsExactly(
        "ml:x:3000:alice", // bob's primary group: members list only supplementary members
        "alice:x:2001:");
  }

  @Test
  void shadowHasNoPasswordAndNoAgeingSoKeyLoginsPassPam() {
    assertThat(UserDirectory.files(spec()).get("shadow").lines()).containsExactly("alice:*:::::::", "bob:*:::::::");
  }

  @Test
  void eachUserWithKeysGetsAFileSshdReads() {
    var files = UserDirectory.files(spec());
    assertThat(files.get("ssh-keys.alice")).isEqualTo("ssh-ed25519 AAAAalice alice@laptop\nssh-rsa AAAAalice2 alice@desk\n");
    assertThat(files).doesNotContainKey("ssh-keys.bob");
  }

  @Test
  void podsMountTheUsersOnlyWhenThereAreUsers() {
    var cluster = Fixtures.cluster();
    var none = LoginBuilder.deployment(new ClusterModel(cluster)).getSpec().getTemplate().getSpec();
    assertThat(none.getVolumes()).noneMatch(v -> v.getName().equals("users"));

    cluster.getSpec().users = spec().users;
    cluster.getSpec().groups = spec().groups;
    var model = new ClusterModel(cluster);
    var login = LoginBuilder.deployment(model).getSpec().getTemplate().getSpec();
    var controller = ControllerBuilder.statefulSet(model).getSpec().getTemplate().getSpec();
    for (var pod : List.of(login, controller)) {
      assertThat(pod.getVolumes()).anyMatch(v -> v.getName().equals("users")
          && v.getConfigMap().getName().equals("demo-users"));
      // No subPath: the kubelet's refresh of the ConfigMap reaches the pod without a restart.
      assertThat(pod.getContainers().get(0).getVolumeMounts())
          .anyMatch(m -> m.getMountPath().equals(UserDirectory.MOUNT) && m.getSubPath() == null);
    }
    assertThat(UserDirectory.configMap(model).getData()).containsKeys("passwd", "group", "shadow", "ssh-keys.alice");
  }
}
