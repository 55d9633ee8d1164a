package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.slurmkube.api.PodTemplate;
import io.slurmkube.api.ReservedPaths;
import io.slurmkube.api.TemplatePodSpec;
import io.slurmkube.api.TemplateVolumeMount;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merges a user's pod template into a pod the operator built. The rules, in short: what the user
 * adds (labels, annotations, env, mounts, volumes, tolerations, containers) is added; what there is
 * one of (image, affinity, priority class, runtime class, each field of the security contexts, each
 * resource request or limit) is the user's; what Slurm depends on (the operator's labels, the pod's
 * hostname and subdomain, the fleet's node selector keys, the operator's volumes and container)
 * stays the operator's. Admission refuses most conflicts; {@link #problems} finds the rest.
 */
public final class PodTemplates {
  /** Annotation with a hash of what the operator asked for: a pod whose hash differs is outdated. */
  public static final String SPEC_HASH = "slurmkube.io/pod-spec-hash";

  private static final String RESERVED = "is in, or above, a directory Slurm needs (/etc/slurm, /etc/slurmkube, "
      + "/run/slurm, /var/spool/slurmd): mount the volume somewhere else";

  private PodTemplates() {}

  /** Applies {@code template} (may be null) to a pod's metadata and spec; {@code main} is the operator's container. */
  public static void apply(PodTemplate template, ObjectMeta meta, PodSpec pod, Container main) {
    if (template == null) {
      return;
    }
    if (template.metadata != null) {
      meta.setLabels(underneath(template.metadata.labels, meta.getLabels()));
      meta.setAnnotations(underneath(template.metadata.annotations, meta.getAnnotations()));
    }
    TemplatePodSpec t = template.spec;
    if (t == null) {
      return;
    }
    if (t.image != null) {
      main.setImage(t.image);
    }
    main.getEnv().addAll(t.env);
    main.getEnvFrom().addAll(t.envFrom);
    t.volumeMounts.stream().map(TemplateVolumeMount::toVolumeMount).forEach(main.getVolumeMounts()::add);
    main.setResources(overlay(main.getResources(), t.resources));
    // Field by field: what the user sets wins, the rest stays the operator's (PodSecurity).
    main.setSecurityContext(PodSecurity.merge(main.getSecurityContext(), t.containerSecurityContext));
    pod.getVolumes().addAll(t.volumes);
    pod.getContainers().addAll(t.containers);
    pod.getInitContainers().addAll(t.initContainers);
    pod.setNodeSelector(nullIfEmpty(underneath(t.nodeSelector, pod.getNodeSelector())));
    if (!t.tolerations.isEmpty()) {
      var tolerations = new ArrayList<>(pod.getTolerations() == null ? List.of() : pod.getTolerations());
      tolerations.addAll(t.tolerations);
      pod.setTolerations(tolerations);
    }
    if (!t.imagePullSecrets.isEmpty()) {
      var secrets = new ArrayList<>(pod.getImagePullSecrets() == null ? List.of() : pod.getImagePullSecrets());
      secrets.addAll(t.imagePullSecrets);
      pod.setImagePullSecrets(secrets);
    }
    if (t.affinity != null) {
      pod.setAffinity(t.affinity);
    }
    if (t.priorityClassName != null) {
      pod.setPriorityClassName(t.priorityClassName);
    }
    if (t.runtimeClassName != null) {
      pod.setRuntimeClassName(t.runtimeClassName);
    }
    pod.setSecurityContext(PodSecurity.merge(pod.getSecurityContext(), t.securityContext));
  }

  /** The user's entries with the operator's laid over them: on the same key the operator's value stays. */
  private static Map<String, String> underneath(Map<String, String> user, Map<String, String> operator) {
    Map<String, String> merged = new LinkedHashMap<>();
    if (user != null) {
      merged.putAll(user);
    }
    if (operator != null) {
      merged.putAll(operator);
    }
    return merged;
  }

  private static Map<String, String> nullIfEmpty(Map<String, String> map) {
    return map.isEmpty() ? null : map;
  }

  /** Each request and limit the user gives replaces the operator's; DRA claims stay. */
  private static ResourceRequirements overlay(ResourceRequirements operator, ResourceRequirements user) {
    if (user == null) {
      return operator;
    }
    ResourceRequirements merged = operator == null ? new ResourceRequirements() : operator;
    Map<String, Quantity> requests = new LinkedHashMap<>(merged.getRequests());
    Map<String, Quantity> limits = new LinkedHashMap<>(merged.getLimits());
    requests.putAll(user.getRequests());
    limits.putAll(user.getLimits());
    merged.setRequests(requests);
    merged.setLimits(limits.isEmpty() ? null : limits);
    return merged;
  }

  /**
   * What admission cannot see in a pod built from a template, each naming the field and the fix:
   * two volumes of one name, a mount of a volume that does not exist, two mounts at one path, a
   * mount over a directory Slurm needs (a NodeSet written without the SlurmCluster's checks).
   */
  public static List<String> problems(PodTemplate template, PodSpec pod, String templateField) {
    List<String> problems = new ArrayList<>();
    if (template != null && template.spec != null) {
      for (TemplateVolumeMount m : template.spec.volumeMounts) {
        if (!ReservedPaths.allows(m.mountPath)) {
          problems.add(templateField + ".volumeMounts: " + m.mountPath + " " + RESERVED);
        }
      }
    }
    Set<String> volumes = new HashSet<>();
    for (Volume v : pod.getVolumes()) {
      if (!volumes.add(v.getName())) {
        problems.add(templateField + ".volumes: two volumes are named '" + v.getName()
            + "' (a template volume, a shared volume or the operator's): rename one");
      }
    }
    Container main = pod.getContainers().get(0);
    Set<String> paths = new HashSet<>();
    for (VolumeMount m : main.getVolumeMounts()) {
      if (!volumes.contains(m.getName())) {
        problems.add(templateField + ".volumeMounts: '" + m.getMountPath() + "' mounts volume '" + m.getName()
            + "', which the pod does not have: add it to " + templateField + ".volumes or spec.sharedVolumes");
      }
      if (!paths.add(stripSlash(m.getMountPath()))) {
        problems.add(templateField + ".volumeMounts: two volumes are mounted at " + m.getMountPath()
            + " (a template mount, a shared volume or /home): mount one elsewhere");
      }
    }
    return problems;
  }

  private static String stripSlash(String path) {
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** A short hash of a pod as the operator would build it now (before the API server adds defaults). */
  public static String specHash(ObjectMeta meta, PodSpec spec) {
    return ClusterModel.hash(Serialization.asJson(meta.getLabels()), Serialization.asJson(meta.getAnnotations()),
        Serialization.asJson(spec));
  }
}
