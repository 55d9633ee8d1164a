package io.slurmkube.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.function.UnaryOperator;

/**
 * Read-modify-write of an object that others write too. fabric8's {@code edit} sends the
 * resourceVersion it read, so a status write or another controller's update in between is a 409;
 * the change is then applied again to a fresh read (client-go's RetryOnConflict does the same).
 */
public final class Conflicts {
  private static final int ATTEMPTS = 6;

  private Conflicts() {
  }

  /** Applies {@code change} to the latest version of the object; {@code change} may run more than once. */
  public static <T extends HasMetadata> T edit(Resource<T> resource, UnaryOperator<T> change) {
    for (int attempt = 1; ; attempt++) {
      try {
        return resource.edit(change);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == ATTEMPTS) {
          throw e;
        }
        pause(20L * attempt);
      }
    }
  }

  /** As {@link #edit(Resource, UnaryOperator)}, writing the status subresource when {@code status} is true. */
  public static <T extends HasMetadata> T edit(Resource<T> resource, UnaryOperator<T> change, boolean status) {
    if (!status) {
      return edit(resource, change);
    }
    for (int attempt = 1; ; attempt++) {
      try {
        return resource.updateStatus(change.apply(resource.get()));
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == ATTEMPTS) {
          throw e;
        }
        pause(20L * attempt);
      }
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KubernetesClientException("interrupted while retrying a conflicting update", e);
    }
  }
}
