package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.slurmkube.api.HomeSpec;
import io.slurmkube.api.SharedVolume;
import org.junit.jupiter.api.Test;

/** The shared /home and the user's shared volumes, as the builders lay them out. */
class SharedStorageTest {

  @Test
  void homeIsReadWriteManyOnlyOnAKnownSharedFileSystem() {
    assertThat(SharedStorage.accessMode(new HomeSpec(), "nfs.csi.k8s.io")).isEqualTo("ReadWriteMany");
    assertThat(SharedStorage.accessMode(new HomeSpec(), "cephfs.csi.ceph.com")).isEqualTo("ReadWriteMany");
    assertThat(SharedStorage.accessMode(new HomeSpec(), "efs.csi.aws.com")).isEqualTo("ReadWriteMany");
    assertThat(SharedStorage.accessMode(new HomeSpec(), "kubernetes.io/host-path")).isEqualTo("ReadWriteOnce");
    assertThat(SharedStorage.accessMode(new HomeSpec(), "ebs.csi.aws.com")).isEqualTo("ReadWriteOnce");
    assertThat(SharedStorage.accessMode(new HomeSpec(), null)).isEqualTo("ReadWriteOnce");
    var explicit = new HomeSpec();
    explicit.accessMode = "ReadWriteMany";
    assertThat(SharedStorage.accessMode(explicit, "kubernetes.io/host-path")).isEqualTo("ReadWriteMany");
  }

  @Test
  void aRetainedHomeHasNoOwnerSoItOutlivesTheCluster() {
    var cluster = Fixtures.cluster();
    var claim = SharedStorage.homeClaim(new ClusterModel(cluster), "ReadWriteOnce");
    assertThat(claim.getMetadata().getName()).isEqualTo("demo-home");
    assertThat(claim.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("10Gi");
    assertThat(claim.getSpec().getStorageClassName()).isNull();

    cluster.getSpec().home.retainPolicy = HomeSpec.RetainPolicy.Delete;
    cluster.getSpec().home.storageClassName = "nfs";
    var owned = SharedStorage.homeClaim(new ClusterModel(cluster), "ReadWriteMany");
    assertThat(owned.getMetadata().getOwnerReferences()).extracting(o -> o.getUid()).containsExactly("uid-1");
    assertThat(owned.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
    assertThat(owned.getSpec().getStorageClassName()).isEqualTo("nfs");
  }

  @Test
  void aSharedVolumeAtHomeReplacesTheEmbeddedOneAndEveryPodMountsTheSharedVolumes() {
    var cluster = Fixtures.cluster();
    var home = new SharedVolume();
    home.setName("site-home");
    home.mountPath = "/home";
    home.setNfs(new io.fabric8.kubernetes.api.model.NFSVolumeSource("/export/home", false, "nfs.example"));
    var data = new SharedVolume();
    data.setName("datasets");
    data.mountPath = "/datasets";
    data.readOnly = true;
    data.setPersistentVolumeClaim(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimVolumeSource("imagenet", true));
    cluster.getSpec().sharedVolumes.add(home);
    cluster.getSpec().sharedVolumes.add(data);
    var model = new ClusterModel(cluster);
    assertThat(SharedStorage.embeddedHome(model)).isFalse();

    var pod = NodePodBuilder.build(model, PodTemplatesTest.nodeSet(model), 0).getSpec();
    var loginPod = LoginBuilder.deployment(model).getSpec().getTemplate().getSpec();
    for (var spec : java.util.List.of(pod, loginPod)) {
      assertThat(spec.getVolumes()).extracting(v -> v.getName()).contains("site-home", "datasets").doesNotContain("slurmkube-home");
      var datasets = spec.getVolumes().stream().filter(v -> v.getName().equals("datasets")).findFirst().orElseThrow();
      assertThat(datasets.getPersistentVolumeClaim().getClaimName()).isEqualTo("imagenet");
      assertThat(datasets.getAdditionalProperties()).as("mount fields are not part of the volume").isEmpty();
      assertThat(spec.getContainers().get(0).getVolumeMounts())
          .anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/datasets");
            assertThat(m.getReadOnly()).isTrue();
          })
          .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/home"));
    }
    cluster.getSpec().sharedVolumes.remove(home);
    cluster.getSpec().home.enabled = false;
    assertThat(SharedStorage.embeddedHome(new ClusterModel(cluster))).isFalse();
  }
}
