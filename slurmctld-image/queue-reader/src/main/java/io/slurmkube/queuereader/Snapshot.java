package io.slurmkube.queuereader;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The queue as one squeue run saw it, serialized once when it is taken: every HTTP read of it is
 * then a copy of these bytes.
 *
 * <p>{@code {"readAt":"...","readSeconds":0.25,"jobCount":N,"skipped":0,"error":null,"jobs":[...]}};
 * each entry of {@code jobs} is a group of records alike in everything but their ids
 * ({@code "ids":[...]}): 10,000 queued copies of one job are one entry.
 *
 * @param readAt when the squeue run that gave these jobs started
 * @param readSeconds how long it took
 * @param error why the latest run failed, when it did (the jobs are then those of the last good run)
 */
public record Snapshot(Instant readAt, double readSeconds, List<QueueJob> jobs, int skipped, String error,
    Instant errorAt) {

  /** The same jobs, with the failure of a later run noted. */
  Snapshot failed(String why, Instant when) {
    return new Snapshot(readAt, readSeconds, jobs, skipped, why, when);
  }

  /** Records that differ only in id, in order of first appearance. */
  static Map<QueueJob, List<Long>> groups(List<QueueJob> jobs) {
    Map<QueueJob, List<Long>> groups = new LinkedHashMap<>();
    for (QueueJob job : jobs) {
      groups.computeIfAbsent(job.withId(0), k -> new ArrayList<>()).add(job.id());
    }
    return groups;
  }

  public byte[] toJson() {
    StringBuilder out = new StringBuilder(256 + jobs.size() * 8);
    out.append("{\"readAt\":").append(readAt == null ? "null" : Json.string(readAt.toString()))
        .append(",\"readSeconds\":").append(String.format(java.util.Locale.ROOT, "%.3f", readSeconds))
        .append(",\"jobCount\":").append(jobs.size())
        .append(",\"skipped\":").append(skipped)
        .append(",\"error\":").append(error == null ? "null" : Json.string(error))
        .append(",\"errorAt\":").append(errorAt == null ? "null" : Json.string(errorAt.toString()))
        .append(",\"jobs\":[");
    boolean first = true;
    for (var group : groups(jobs).entrySet()) {
      QueueJob j = group.getKey();
      out.append(first ? "" : ",").append("{\"ids\":[");
      first = false;
      List<Long> ids = group.getValue();
      for (int i = 0; i < ids.size(); i++) {
        out.append(i == 0 ? "" : ",").append(ids.get(i));
      }
      out.append("],\"states\":[");
      for (int i = 0; i < j.states().size(); i++) {
        out.append(i == 0 ? "" : ",").append(Json.string(j.states().get(i)));
      }
      out.append("],\"reason\":").append(Json.string(j.reason()))
          .append(",\"partition\":").append(Json.string(j.partition()))
          .append(",\"nodes\":").append(j.nodes())
          .append(",\"cpus\":").append(j.cpus())
          .append(",\"tasks\":").append(j.tasks())
          .append(",\"tresPerNode\":").append(Json.string(j.tresPerNode()))
          .append(",\"tresPerJob\":").append(Json.string(j.tresPerJob()))
          .append(",\"tresPerTask\":").append(Json.string(j.tresPerTask()))
          .append(",\"eligibleTime\":").append(j.eligibleTime())
          .append(",\"dependency\":").append(Json.string(j.dependency()))
          .append(",\"held\":").append(j.held())
          .append(",\"nodeList\":").append(Json.string(j.nodeList()))
          .append(",\"arrayTasks\":").append(Json.string(j.arrayTasks()))
          .append(",\"user\":").append(Json.string(j.user()))
          .append(",\"features\":").append(Json.string(j.features()))
          .append('}');
    }
    return out.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }
}
