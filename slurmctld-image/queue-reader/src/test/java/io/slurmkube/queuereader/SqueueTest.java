package io.slurmkube.queuereader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SqueueTest {
  static final long NOW = 1_795_997_058L;

  /** A line as squeue 24.11 prints it with the reader's format (fields as in Squeue.FIELDS). */
  static String line(String... fields) {
    assertEquals(Squeue.FIELDS.size(), fields.length, "one value per field");
    StringBuilder out = new StringBuilder();
    for (String f : fields) {
      out.append(f).append(Squeue.SEPARATOR);
    }
    return out.toString();
  }

  @Test
  void commandAsksForEveryFieldWithTheSeparatorAndFeatureLast() {
    List<String> command = Squeue.command("squeue");
    assertEquals(List.of("squeue", "--noheader", "--noconvert"), command.subList(0, 3));
    String format = command.get(3);
    assertTrue(format.startsWith("--Format=JobId:\u001f,ArrayTaskId:\u001f,"), format);
    assertTrue(format.endsWith(",Feature:\u001f"), format);
    assertFalse(Squeue.FIELDS.contains("Name"), "the job name is free text and not needed");
  }

  @Test
  void readsAPendingJobAsSqueuePrintsIt() {
    var parsed = Squeue.parse(line("6", "N/A", "PENDING", "ReqNodeNotAvail, UnavailableNodes:n[1-4]", "batch,other",
        "2", "2", "2", "gres/gpu:1", "N/A", "gres/gpu=1", "1795997030", "(null)", "1", "", "root", "(null)") + "\n", NOW);
    assertEquals(0, parsed.skipped());
    assertEquals(new QueueJob(6, List.of("PENDING"), "ReqNodeNotAvail", "batch,other", 2, 2, 2, "gres/gpu:1", "",
        "gres/gpu=1", 0, "", false, "", "", "root", ""), parsed.jobs().get(0));
  }

  @Test
  void keepsABeginTimeAheadAndTheHoldDependencyAndArray() {
    String out = line("2", "N/A", "PENDING", "BeginTime", "batch", "1", "1", "1", "N/A", "N/A", "N/A",
        Long.toString(NOW + 3600), "(null)", "1", "", "root", "(null)") + "\n"
        + line("1", "N/A", "PENDING", "JobHeldUser", "batch", "1", "1", "1", "N/A", "N/A", "N/A", "N/A", "(null)", "0",
            "", "root", "(null)") + "\n"
        + line("3", "N/A", "PENDING", "Dependency", "batch", "1", "1", "1", "N/A", "N/A", "N/A", "N/A",
            "afterok:1(unfulfilled)", "1", "", "root", "(null)") + "\n"
        + line("4", "0-7%3", "PENDING", "JobArrayTaskLimit", "batch", "1", "1", "1", "N/A", "N/A", "N/A", "N/A",
            "(null)", "1", "", "root", "(null)") + "\n";
    var jobs = Squeue.parse(out, NOW).jobs();
    assertEquals(NOW + 3600, jobs.get(0).eligibleTime());
    assertTrue(jobs.get(1).held());
    assertFalse(jobs.get(0).held());
    assertEquals("afterok:1(unfulfilled)", jobs.get(2).dependency());
    assertEquals("0-7%3", jobs.get(3).arrayTasks());
  }

  @Test
  void aRunningArrayTaskIsOneJobAndKeepsItsNodes() {
    var job = Squeue.line(line("9", "3", "RUNNING", "None", "batch", "2", "4", "2", "N/A", "N/A", "N/A", "1795997000",
        "(null)", "1", "demo-cpu-[0-1]", "alice", "(null)"), NOW);
    assertEquals("", job.arrayTasks());
    assertEquals("demo-cpu-[0-1]", job.nodeList());
    assertEquals(0, job.eligibleTime(), "an eligible time in the past holds nothing back");
    assertEquals(List.of("RUNNING"), job.states());
  }

  @Test
  void aSeparatorOrBarInsideTheConstraintCannotShiftAField() {
    var job = Squeue.line(line("7", "N/A", "PENDING", "Resources", "batch", "1", "1", "1", "N/A", "gres/gpu:3", "N/A",
        "N/A", "(null)", "1", "", "root", "a|b\u001fc"), NOW);
    assertEquals("a|b\u001fc", job.features());
    assertEquals("gres/gpu:3", job.tresPerJob());
  }

  @Test
  void descriptionsAreTurnedIntoTheReasonCodeSlurmrestdGives() {
    assertEquals("ReqNodeNotAvail", Squeue.reasonCode("ReqNodeNotAvail, UnavailableNodes:n[1-4]"));
    assertEquals("ReqNodeNotAvail",
        Squeue.reasonCode("Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions"));
    assertEquals("Resources", Squeue.reasonCode("Resources"));
    assertEquals("", Squeue.reasonCode("(null)"));
  }

  @Test
  void flagsAreMappedToTheirBaseState() {
    assertEquals(List.of("PENDING", "REQUEUED"), Squeue.states("REQUEUED"));
    assertEquals(List.of("RUNNING", "CONFIGURING"), Squeue.states("CONFIGURING"));
    assertEquals(List.of("COMPLETING"), Squeue.states("COMPLETING"));
    assertEquals(List.of("SUSPENDED"), Squeue.states("SUSPENDED"));
  }

  @Test
  void linesThatAreNotOursAreCountedAndSkipped() {
    var parsed = Squeue.parse("squeue: error: something\n\n" + line("x", "N/A", "PENDING", "None", "batch", "1", "1",
        "1", "N/A", "N/A", "N/A", "N/A", "(null)", "1", "", "root", "(null)") + "\n", NOW);
    assertEquals(2, parsed.skipped());
    assertTrue(parsed.jobs().isEmpty());
    assertNull(Squeue.line("1\u001f2", NOW));
  }
}
