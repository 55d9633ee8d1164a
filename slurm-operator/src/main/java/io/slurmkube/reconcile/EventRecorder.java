package io.slurmkube.reconcile;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on the custom resources, so that {@code kubectl describe} tells what the
 * operator did and why. Every event is logged too.
 *
 * <p>News that a reconcile finds on every pass (why a deletion waits, who scales a node set) is
 * sent through {@link #normalOnChange}/{@link #warningOnChange}: once per change, judged against
 * what this recorder last saw on that topic of that object. Not against the object's status: the
 * informer's copy may not show the previous pass's status patch yet, and the same event went out twice.
 */
public class EventRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
  public static final String COMPONENT = "slurmkube-operator";

  private final KubernetesClient client;
  private final Memory memory = new Memory();

  public EventRecorder(KubernetesClient client) {
    this.client = client;
  }

  /**
   * A Normal event, only when {@code key} differs from the last key seen on this topic of this
   * object. The key names the state being reported (a condition's reason, or the whole message
   * when every change of wording is news); the message may carry details that change without news.
   *
   * @param recorded the key the object's status says was reported, used only when nothing is
   *     remembered (after a restart, or a change of leader), so that a restart repeats nothing;
   *     null when the status shows none
   * @return whether the event was sent
   */
  public boolean normalOnChange(HasMetadata about, String topic, String key, String recorded, String reason,
      String message) {
    return onChange(about, topic, key, recorded, "Normal", reason, message);
  }

  /** As {@link #normalOnChange}, a Warning. */
  public boolean warningOnChange(HasMetadata about, String topic, String key, String recorded, String reason,
      String message) {
    return onChange(about, topic, key, recorded, "Warning", reason, message);
  }

  private boolean onChange(HasMetadata about, String topic, String key, String recorded, String type, String reason,
      String message) {
    if (!memory.changed(about.getMetadata().getUid(), topic, key, recorded)) {
      return false;
    }
    record(about, type, reason, message);
    return true;
  }

  /** Drops what is remembered of an object that is gone (a new one of the same name has another uid). */
  public void forget(HasMetadata about) {
    memory.forget(about.getMetadata().getUid());
  }

  public void normal(HasMetadata about, String reason, String message) {
    record(about, "Normal", reason, message);
  }

  public void warning(HasMetadata about, String reason, String message) {
    record(about, "Warning", reason, message);
  }

  private void record(HasMetadata about, String type, String reason, String message) {
    var meta = about.getMetadata();
    LOG.info("event kind={} namespace={} name={} type={} reason={} message=\"{}\"",
        about.getKind(), meta.getNamespace(), meta.getName(), type, reason, message);
    String now = DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    var event = new EventBuilder()
        .withNewMetadata()
          .withGenerateName(meta.getName() + ".")
          .withNamespace(meta.getNamespace())
        .endMetadata()
        .withInvolvedObject(new ObjectReferenceBuilder()
            .withApiVersion(about.getApiVersion()).withKind(about.getKind())
            .withName(meta.getName()).withNamespace(meta.getNamespace()).withUid(meta.getUid())
            .withResourceVersion(meta.getResourceVersion())
            .build())
        .withType(type)
        .withReason(reason)
        .withMessage(message)
        .withCount(1)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withNewSource().withComponent(COMPONENT).endSource()
        .withReportingComponent(COMPONENT)
        .build();
    try {
      client.v1().events().inNamespace(meta.getNamespace()).resource(event).create();
    } catch (RuntimeException e) {
      // An event is information; failing to write one must not fail the reconcile.
      LOG.warn("could not record event reason={} on {}/{}: {}", reason, meta.getNamespace(), meta.getName(), e.getMessage());
    }
  }

  /**
   * The last key seen per (object uid, topic); lost on restart, where the caller's {@code recorded}
   * key stands in. A key is remembered even when writing its event failed: an event is information,
   * and retrying one every pass would flood the log.
   */
  static final class Memory {
    private record Topic(String uid, String topic) {}

    private final Map<Topic, String> last = new ConcurrentHashMap<>();

    /** Whether {@code key} is news on this topic of this object; remembers it either way. */
    boolean changed(String uid, String topic, String key, String recorded) {
      Objects.requireNonNull(key, "key");
      String previous = last.put(new Topic(uid, topic), key);
      return !key.equals(previous == null ? recorded : previous);
    }

    void forget(String uid) {
      last.keySet().removeIf(t -> Objects.equals(t.uid(), uid));
    }

    int size() {
      return last.size();
    }
  }
}
