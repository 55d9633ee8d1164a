package io.slurmkube.accounting;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * TRES lists as a spec writes them ({@code cpu=4,mem=1G,gres/gpu=2}), normalized so that a spec
 * and slurmdbd's answer compare equal: keys sorted, memory in MiB (Slurm's unit) without suffix.
 */
final class TresText {
  private TresText() {}

  /** The normalized text, null for none. */
  static String normalize(String tres) {
    Map<String, Long> parsed = parse(tres);
    return parsed.isEmpty() ? null
        : parsed.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
  }

  static boolean same(String a, String b) {
    return parse(a).equals(parse(b));
  }

  static Map<String, Long> parse(String tres) {
    Map<String, Long> out = new TreeMap<>();
    if (tres == null || tres.isBlank()) {
      return out;
    }
    for (String part : tres.split(",")) {
      int equals = part.indexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException("TRES entry '" + part + "' is not type=count (e.g. cpu=4, mem=8G, gres/gpu=2)");
      }
      out.put(part.substring(0, equals).strip().toLowerCase(Locale.ROOT), count(part.substring(equals + 1).strip()));
    }
    return out;
  }

  /** A count; M, G and T scale to MiB (only memory takes them in practice). */
  private static long count(String text) {
    char last = text.isEmpty() ? '0' : Character.toUpperCase(text.charAt(text.length() - 1));
    long scale = switch (last) {
      case 'M' -> 1;
      case 'G' -> 1024;
      case 'T' -> 1024L * 1024;
      default -> 0;
    };
    String digits = scale == 0 ? text : text.substring(0, text.length() - 1);
    try {
      return Long.parseLong(digits) * (scale == 0 ? 1 : scale);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("TRES count '" + text + "' is not a number (e.g. 4, or 8G for memory)", e);
    }
  }
}
