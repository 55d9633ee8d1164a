package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** A failed step is reported whether or not the API server answered. */
class DescribeErrorTest {
  @Test
  void aTransportErrorWithoutAStatusIsDescribedNotDereferenced() {
    var e = new KubernetesClientException("An error has occurred.", new IOException("Connection refused"));
    assertThat(e.getStatus()).isNull();
    assertThat(SlurmClusterReconciler.describe(e)).isEqualTo("An error has occurred. (IOException: Connection refused)");
  }

  @Test
  void anApiServerAnswerIsDescribedByItsMessage() {
    var e = new KubernetesClientException(new StatusBuilder().withCode(422).withMessage("spec.x: Invalid value").build());
    assertThat(SlurmClusterReconciler.describe(e)).isEqualTo("spec.x: Invalid value");
  }
}
