package io.slurmkube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When {@link EventRecorder} sends an event "on change": once per change, whatever the status cache shows. */
class EventRecorderTest {
  static final String WAITING = "deleting (NodeSet drain-cpu is being deleted): waiting for 1 job(s) (7) on drain-cpu-0";

  final EventRecorder.Memory memory = new EventRecorder.Memory();

  @Test
  void theSameNewsIsSentOnceEvenWhenTheCachedStatusLagsBehind() {
    // Pass 1 sends it and patches the status; pass 2 reads a cached status without that patch.
    assertThat(memory.changed("uid-1", "Deleting", WAITING, null)).isTrue();
    assertThat(memory.changed("uid-1", "Deleting", WAITING, null)).as("second pass, stale status").isFalse();
    assertThat(memory.changed("uid-1", "Deleting", WAITING, "an older message")).as("stale status, older news").isFalse();
  }

  @Test
  void everyChangeIsSentAndGoingBackIsAChangeToo() {
    assertThat(memory.changed("uid-1", "QueueAutoscaling", "QueueDriven", "QueueDriven")).isFalse();
    assertThat(memory.changed("uid-1", "QueueAutoscaling", "ManualScale", "QueueDriven")).isTrue();
    assertThat(memory.changed("uid-1", "QueueAutoscaling", "ManualScale", "QueueDriven")).isFalse();
    assertThat(memory.changed("uid-1", "QueueAutoscaling", "QueueDriven", "ManualScale")).isTrue();
    assertThat(memory.changed("uid-1", "QueueAutoscaling", "QueueDriven", null)).isFalse();
  }

  @Test
  void afterARestartTheStatusSaysWhatWasSent() {
    // Nothing remembered yet: the status the informer lists at start stands in.
    assertThat(memory.changed("uid-1", "Deleting", WAITING, WAITING)).as("already reported before the restart").isFalse();
    assertThat(new EventRecorder.Memory().changed("uid-1", "Deleting", WAITING, "waiting for 2 job(s)"))
        .as("news since the last report").isTrue();
  }

  @Test
  void objectsAndTopicsAreApart() {
    assertThat(memory.changed("uid-1", "Deleting", WAITING, null)).isTrue();
    assertThat(memory.changed("uid-2", "Deleting", WAITING, null)).as("another object").isTrue();
    assertThat(memory.changed("uid-1", "QueueAutoscaling", WAITING, null)).as("another topic").isTrue();
    assertThat(memory.changed("uid-1", "Deleting", WAITING, null)).isFalse();
  }

  @Test
  void aDeletedObjectIsForgottenAndOnlyIt() {
    memory.changed("uid-1", "Deleting", WAITING, null);
    memory.changed("uid-1", "QueueAutoscaling", "ManualScale", null);
    memory.changed("uid-2", "Deleting", WAITING, null);
    memory.forget("uid-1");
    assertThat(memory.size()).as("nothing kept of uid-1").isEqualTo(1);
    assertThat(memory.changed("uid-2", "Deleting", WAITING, null)).isFalse();
    // A NodeSet made again under the same name has a new uid; the old uid, if ever seen again, starts afresh.
    assertThat(memory.changed("uid-1", "Deleting", WAITING, null)).isTrue();
  }
}
