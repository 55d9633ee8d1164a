package io.slurmkube.model;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.slurmkube.model.Labels.Component;

/** The embedded accounting database: MariaDB from the control-plane image, on its own volume. */
public final class DatabaseBuilder {
  public static final int PORT = 3306;
  public static final String DATABASE = "slurm_acct_db";
  public static final String USER = "slurm";

  private DatabaseBuilder() {}

  public static Service service(ClusterModel model) {
    return PodParts.headlessService(model, model.names().database(), Component.DATABASE, "mysql", PORT, false);
  }


  public static StatefulSet statefulSet(ClusterModel model) {
    var spec = model.spec();
    var labels = Labels.of(model.name(), Component.DATABASE);
    String image = spec.accounting.databaseImage != null ? spec.accounting.databaseImage : spec.image;
    return new StatefulSetBuilder()
        .withMetadata(Owned.meta(model.cluster(), model.names().database(), labels))
        .withNewSpec()
          .withReplicas(1)
          .withServiceName(model.names().database())
          .withNewSelector().withMatchLabels(Labels.selector(model.name(), Component.DATABASE)).endSelector()
          .withNewTemplate()
            .withNewMetadata().withLabels(labels).endMetadata()
            .withNewSpec()
              .withEnableServiceLinks(false)
              .withAutomountServiceAccountToken(false)
              .withSecurityContext(PodSecurity.pod())
              .addNewContainer()
                .withName("mariadb")
                .withImage(image)
                .withImagePullPolicy(spec.imagePullPolicy)
                .withArgs("database")
                .withEnv(PodParts.env("SLURMKUBE_DB_NAME", DATABASE, "SLURMKUBE_DB_USER", USER))
                .addNewPort().withName("mysql").withContainerPort(PORT).endPort()
                .withNewReadinessProbe()
                  .withNewTcpSocket().withPort(new IntOrString(PORT)).endTcpSocket()
                  .withPeriodSeconds(2)
                .endReadinessProbe()
                // innodb_buffer_pool_size is 256M (mariadb-slurm.cnf).
                .withResources(PodParts.resources("100m", "256Mi", "1Gi"))
                .withSecurityContext(PodSecurity.container(PodSecurity.Daemon.DATABASE))
                .withVolumeMounts(PodParts.secretsMount())
                .addNewVolumeMount().withName("data").withMountPath("/var/lib/mysql").endVolumeMount()
              .endContainer()
              .withVolumes(PodParts.secretsVolume(model, false, true))
            .endSpec()
          .endTemplate()
          .withVolumeClaimTemplates(new PersistentVolumeClaimBuilder()
              .withNewMetadata().withName("data").withLabels(labels).endMetadata()
              .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withNewResources().addToRequests("storage", new Quantity(spec.accounting.storageSize)).endResources()
              .endSpec()
              .build())
        .endSpec()
        .build();
  }
}
