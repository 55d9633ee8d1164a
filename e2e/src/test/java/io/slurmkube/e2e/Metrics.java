package io.slurmkube.e2e;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a sample out of the Prometheus text format, as a PromQL selector with exact labels would. */
final class Metrics {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private Metrics() {}

  /** The value of the sample named {@code name} whose labels include {@code labels}; the sum if several match; null if none. */
  static Double value(String exposition, String name, Map<String, String> labels) {
    Double sum = null;
    for (String line : exposition.split("\n")) {
      Matcher m = SAMPLE.matcher(line.strip());
      if (line.startsWith("#") || !m.matches() || !m.group(1).equals(name)) {
        continue;
      }
      Map<String, String> found = new java.util.HashMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          found.put(l.group(1), l.group(2));
        }
      }
      if (found.entrySet().containsAll(labels.entrySet())) {
        sum = (sum == null ? 0 : sum) + Double.parseDouble(m.group(4));
      }
    }
    return sum;
  }
}
