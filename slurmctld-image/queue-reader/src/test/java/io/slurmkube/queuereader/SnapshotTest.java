package io.slurmkube.queuereader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotTest {
  static QueueJob pending(long id, String reason) {
    return new QueueJob(id, List.of("PENDING"), reason, "batch", 1, 1, 1, "", "", "", 0, "", true, "", "", "root", "");
  }

  @Test
  void jobsAlikeButForTheirIdAreOneGroup() {
    List<QueueJob> jobs = new ArrayList<>();
    for (long id = 1; id <= 10_000; id++) {
      jobs.add(pending(id, "JobHeldUser"));
    }
    jobs.add(pending(10_001, "Resources"));
    var groups = Snapshot.groups(jobs);
    assertEquals(2, groups.size());
    assertEquals(10_000, groups.get(pending(0, "JobHeldUser")).size());
    byte[] json = new Snapshot(Instant.EPOCH, 0.25, jobs, 0, null, null).toJson();
    // About 6 bytes per queued job: the ids.
    assertTrue(json.length < 80_000, "10,001 jobs in " + json.length + " bytes");
  }

  @Test
  void writesTheDocumentedShapeAndEscapesText() {
    var job = new QueueJob(5, List.of("PENDING", "REQUEUED"), "Resources", "batch", 2, 4, 2, "gres/gpu:1", "",
        "cpu=2", 1_800_000_000L, "afterok:1(unfulfilled)", false, "", "0-7%3", "root", "a\"b\\c\u001f");
    String json = new String(new Snapshot(Instant.parse("2026-11-30T00:00:00Z"), 0.1234, List.of(job), 1, "boom", null)
        .toJson(), StandardCharsets.UTF_8);
    assertEquals("{\"readAt\":\"2026-11-30T00:00:00Z\",\"readSeconds\":0.123,\"jobCount\":1,\"skipped\":1,"
        + "\"error\":\"boom\",\"errorAt\":null,\"jobs\":[{\"ids\":[5],\"states\":[\"PENDING\",\"REQUEUED\"],"
        + "\"reason\":\"Resources\",\"partition\":\"batch\",\"nodes\":2,\"cpus\":4,\"tasks\":2,\"tresPerNode\":\"gres/gpu:1\","
        + "\"tresPerJob\":\"\",\"tresPerTask\":\"cpu=2\",\"eligibleTime\":1800000000,"
        + "\"dependency\":\"afterok:1(unfulfilled)\",\"held\":false,\"nodeList\":\"\",\"arrayTasks\":\"0-7%3\","
        + "\"user\":\"root\",\"features\":\"a\\\"b\\\\c\\u001f\"}]}", json);
  }
}
