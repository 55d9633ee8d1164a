package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.slurmkube.api.GroupSpec;
import io.slurmkube.api.SlurmClusterSpec;
import io.slurmkube.api.UserSpec;
import io.slurmkube.model.Labels.Component;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The declared users and groups (spec.users, spec.groups) as the files libnss-extrausers reads:
 * passwd, group and shadow, plus each user's SSH public keys ({@code ssh-keys.<user>}, read by
 * sshd's AuthorizedKeysCommand). One ConfigMap, mounted without subPath in the slurmctld, login and
 * slurmd pods, so the kubelet's refresh of the files adds and removes users without a restart.
 * Not mounted while no user is declared, so clusters without users keep their pod templates.
 */
public final class UserDirectory {
  public static final String MOUNT = "/etc/slurmkube/users";
  static final String VOLUME = "users";
  public static final String PASSWD = "passwd";
  public static final String GROUP = "group";
  public static final String SHADOW = "shadow";
  public static final String KEYS_PREFIX = "ssh-keys.";
  public static final String HOME = "/home";

  private UserDirectory() {}

  public static boolean declaresUsers(SlurmClusterSpec spec) {
    return spec.users != null && !spec.users.isEmpty();
  }

  /** The files by name; lines in spec order, so an unchanged spec gives the same text. */
  public static Map<String, String> files(SlurmClusterSpec spec) {
    var passwd = new StringBuilder();
    var shadow = new StringBuilder();
    Map<String, String> keys = new LinkedHashMap<>();
    for (UserSpec user : spec.users) {
      passwd.append(user.name).append(":x:").append(user.uid).append(':').append(user.primaryGid())
          .append("::").append(HOME).append('/').append(user.name).append(':').append(user.shell).append('\n');
      // No password ('*': none can match) and no ageing fields: PAM's account check passes and
      // never asks for a password change, so key logins work.
      shadow.append(user.name).append(":*:::::::\n");
      if (!user.sshAuthorizedKeys.isEmpty()) {
        keys.put(KEYS_PREFIX + user.name, String.join("\n", user.sshAuthorizedKeys) + "\n");
      }
    }
    Map<String, String> files = new LinkedHashMap<>();
    files.put(PASSWD, passwd.toString());
    files.put(GROUP, groupFile(spec));
    files.put(SHADOW, shadow.toString());
    files.putAll(keys);
    return files;
  }

  /**
   * Declared groups with their members, then a group named after each user whose primary gid no
   * declared group has (as useradd makes one).
   */
  static String groupFile(SlurmClusterSpec spec) {
    var out = new StringBuilder();
    for (GroupSpec group : spec.groups) {
      List<String> members = new ArrayList<>();
      for (UserSpec user : spec.users) {
        if (user.groups.contains(group.name)) {
          members.add(user.name);
        }
      }
      out.append(group.name).append(":x:").append(group.gid).append(':').append(String.join(",", members)).append('\n');
    }
    for (UserSpec user : spec.users) {
      boolean declared = spec.groups.stream().anyMatch(g -> g.gid == user.primaryGid());
      if (!declared) {
        out.append(user.name).append(":x:").append(user.primaryGid()).append(":\n");
      }
    }
    return out.toString();
  }

  public static ConfigMap configMap(ClusterModel model) {
    return new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withMetadata(Owned.meta(model.cluster(), model.names().users(), Labels.of(model.name(), Component.LOGIN)))
        .addToData(files(model.spec()))
        .build();
  }

  /** Mounts the users' files into a pod's container; nothing while no user is declared. */
  static void mount(ClusterModel model, PodSpec pod, Container container) {
    if (!declaresUsers(model.spec())) {
      return;
    }
    pod.getVolumes().add(new VolumeBuilder().withName(VOLUME)
        .withNewConfigMap().withName(model.names().users()).withDefaultMode(0444).endConfigMap().build());
    container.getVolumeMounts().add(new VolumeMountBuilder().withName(VOLUME).withMountPath(MOUNT).withReadOnly(true).build());
  }
}
