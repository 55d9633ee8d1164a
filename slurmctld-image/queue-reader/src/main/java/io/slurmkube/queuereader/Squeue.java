package io.slurmkube.queuereader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The squeue command the reader runs and the parser of its output.
 *
 * <p>Fields are ended by the ASCII unit separator (0x1F), which no job id, state, number, node or
 * partition name contains; the one free-text field, the --constraint expression, comes last, so
 * even a separator inside it cannot shift another field. The job name is not asked for at all.
 * squeue's -O fields print without padding when no width is given, and {@code SLURM_TIME_FORMAT=%s}
 * makes times epoch seconds (no time zone to guess).
 */
public final class Squeue {
  static final char SEPARATOR = '\u001f';
  /** In this order; Feature must stay last (see above). tres-per-node is a field squeue does not list but knows. */
  static final List<String> FIELDS = List.of("JobId", "ArrayTaskId", "State", "Reason", "Partition", "NumNodes",
      "NumCPUs", "NumTasks", "tres-per-node", "tres-per-job", "tres-per-task", "EligibleTime", "Dependency",
      "PriorityLong", "NodeList", "UserName", "Feature");

  /**
   * squeue prints one word for a state: a flag when one is set, else the base state. Without
   * {@code --states} it lists jobs whose base state is pending, running or suspended and jobs still
   * completing ({@code -t PD} would match PENDING without flags only). These flags come with one
   * base state only; COMPLETING does not tell a requeued job (PENDING) from a finished one, and
   * neither is pending work or a running job to the operator, so it stays a bare flag.
   */
  static final Set<String> PENDING_FLAGS = Set.of("REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "SPECIAL_EXIT",
      "RESV_DEL_HOLD");
  static final Set<String> RUNNING_FLAGS = Set.of("CONFIGURING", "RESIZING", "STOPPED", "SIGNALING");

  private Squeue() {}

  /** The command line: every job squeue lists by default, no header, no unit conversion. */
  public static List<String> command(String squeue) {
    StringBuilder format = new StringBuilder();
    for (String field : FIELDS) {
      format.append(format.isEmpty() ? "" : ",").append(field).append(':').append(SEPARATOR);
    }
    return List.of(squeue, "--noheader", "--noconvert", "--Format=" + format);
  }

  /** The environment squeue needs on top of the reader's: epoch times; no user format settings. */
  public static void environment(Map<String, String> env) {
    env.keySet().removeIf(k -> k.startsWith("SQUEUE_") || k.equals("SLURM_TIME_FORMAT"));
    env.put("SLURM_TIME_FORMAT", "%s");
  }

  /** What one squeue run gave: the jobs, and how many lines could not be read. */
  public record Parsed(List<QueueJob> jobs, int skipped) {}

  /**
   * Parses squeue's output. An eligible time at or before {@code nowEpochSeconds} is dropped (it
   * holds nothing back), which also lets jobs submitted at different times share a group.
   */
  public static Parsed parse(String output, long nowEpochSeconds) {
    List<QueueJob> jobs = new ArrayList<>();
    int skipped = 0;
    int start = 0;
    while (start < output.length()) {
      int end = output.indexOf('\n', start);
      if (end < 0) {
        end = output.length();
      }
      String line = output.substring(start, end);
      start = end + 1;
      if (line.isBlank()) {
        continue;
      }
      QueueJob job = line(line, nowEpochSeconds);
      if (job == null) {
        skipped++;
      } else {
        jobs.add(job);
      }
    }
    return new Parsed(jobs, skipped);
  }

  /** One line, or null when it is not one of ours. */
  static QueueJob line(String line, long now) {
    int count = FIELDS.size();
    String[] f = new String[count];
    int from = 0;
    for (int i = 0; i < count - 1; i++) {
      int sep = line.indexOf(SEPARATOR, from);
      if (sep < 0) {
        return null;
      }
      f[i] = line.substring(from, sep);
      from = sep + 1;
    }
    // The last field: all the rest but its own terminating separator.
    String last = line.substring(from);
    f[count - 1] = last.endsWith(String.valueOf(SEPARATOR)) ? last.substring(0, last.length() - 1) : last;
    try {
      long id = Long.parseLong(f[0].strip());
      String state = f[2].strip();
      long eligible = epoch(f[11]);
      long priority = f[13].isBlank() ? -1 : Long.parseLong(f[13].strip());
      return new QueueJob(id, states(state), reasonCode(f[3]), text(f[4]), integer(f[5]), integer(f[6]), integer(f[7]),
          text(f[8]), text(f[9]), text(f[10]), eligible > now ? eligible : 0, text(f[12]), priority == 0,
          text(f[14]), text(f[1]).matches("\\d+") ? "" : text(f[1]), text(f[15]), text(f[16]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static List<String> states(String state) {
    if (PENDING_FLAGS.contains(state)) {
      return List.of("PENDING", state);
    }
    if (RUNNING_FLAGS.contains(state)) {
      return List.of("RUNNING", state);
    }
    return List.of(state);
  }

  /**
   * squeue prints the description where Slurm set one ("ReqNodeNotAvail, UnavailableNodes:n[1-4]");
   * slurmrestd's state_reason, which the operator matches on, is the code before it.
   */
  static String reasonCode(String reason) {
    String r = text(reason);
    // The scheduler's wording for WAIT_NODE_NOT_AVAIL when required nodes are down or drained.
    if (r.startsWith("Nodes required for job are DOWN")) {
      return "ReqNodeNotAvail";
    }
    int comma = r.indexOf(',');
    return comma < 0 ? r : r.substring(0, comma).strip();
  }

  static String text(String value) {
    String v = value.strip();
    return v.equals("(null)") || v.equals("N/A") ? "" : v;
  }

  static int integer(String value) {
    String v = text(value);
    return v.isEmpty() ? 0 : Integer.parseInt(v);
  }

  /** Epoch seconds; 0 for N/A, Unknown, None or anything else that is not a time. */
  static long epoch(String value) {
    String v = text(value);
    return v.matches("\\d+") ? Long.parseLong(v) : 0;
  }
}
