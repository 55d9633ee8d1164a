package io.slurmkube.dra.check;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The device check's findings, one line each, and the summary line that ends its output.
 * Skipped checks are things that cannot be compared yet; they are listed but neither pass nor fail.
 */
public final class CheckReport {

  public enum Status { OK, FAIL, SKIP }

  /**
   * One finding.
   *
   * @param subject what it is about: the node, a slice device, a GPU of nvidia-smi -q -x
   * @param field what was compared, e.g. {@code uuid} or {@code memory}
   * @param detail both sides, or why it could not be compared
   */
  public record Check(Status status, String subject, String field, String detail) {

    public String line() {
      String tag = switch (status) {
        case OK -> "ok  ";
        case FAIL -> "FAIL";
        case SKIP -> "skip";
      };
      return tag + "  " + subject + ": " + field + ": " + detail;
    }
  }

  private final List<Check> checks = new ArrayList<>();

  public void ok(String subject, String field, String detail) {
    checks.add(new Check(Status.OK, subject, field, detail));
  }

  public void fail(String subject, String field, String detail) {
    checks.add(new Check(Status.FAIL, subject, field, detail));
  }

  public void skip(String subject, String field, String detail) {
    checks.add(new Check(Status.SKIP, subject, field, detail));
  }

  /** Records a passed or failed check; the detail is worded to fit either. */
  public void check(boolean passed, String subject, String field, String detail) {
    checks.add(new Check(passed ? Status.OK : Status.FAIL, subject, field, detail));
  }

  public void addAll(CheckReport other) {
    checks.addAll(other.checks);
  }

  public List<Check> checks() {
    return List.copyOf(checks);
  }

  public List<Check> failures() {
    return checks.stream().filter(c -> c.status() == Status.FAIL).toList();
  }

  public boolean passed() {
    return failures().isEmpty();
  }

  /**
   * {@code device-check: N checks passed} (with the skipped ones counted), or
   * {@code device-check: FAILED: } and each failed check's subject and field.
   */
  public String summary() {
    long skipped = checks.stream().filter(c -> c.status() == Status.SKIP).count();
    long compared = checks.size() - skipped;
    if (passed()) {
      return "device-check: " + compared + " checks passed" + (skipped > 0 ? ", " + skipped + " skipped" : "");
    }
    return "device-check: FAILED: " + failures().size() + " of " + compared + " checks: "
        + failures().stream().map(c -> c.subject() + " " + c.field()).collect(Collectors.joining("; "));
  }
}
