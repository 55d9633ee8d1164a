package io.slurmkube.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Looks for secrets in logs, in every form one could be printed in: the raw text (passwords), base64
 * (a Secret's data as the API returns it), base64url with and without padding (a JWKS 'k'), and
 * anything shaped like a JWT. A finding names the log, the line and which secret, never the value,
 * so that a failing test does not leak it a second time.
 */
final class SecretLogScan {
  /** Header and payload of a JWT: base64url JSON objects start with "eyJ" ('{"'). */
  static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{4,}\\.eyJ[A-Za-z0-9_-]{4,}\\.");
  /** Shorter values would match by chance; every generated key and password is longer. */
  static final int MIN_BYTES = 12;

  private final Map<String, String> needles = new LinkedHashMap<>();

  /** A secret's bytes, as found in a Secret's data (binary keys are only looked for encoded). */
  SecretLogScan add(String name, byte[] value) {
    if (value.length < MIN_BYTES) {
      return this;
    }
    needles.put(Base64.getEncoder().encodeToString(value), name + " (base64)");
    String url = Base64.getUrlEncoder().withoutPadding().encodeToString(value);
    needles.putIfAbsent(url, name + " (base64url)");
    String text = new String(value, StandardCharsets.UTF_8);
    if (text.chars().allMatch(c -> c >= 0x21 && c < 0x7f)) {
      needles.putIfAbsent(text, name);
    }
    return this;
  }

  int size() {
    return needles.size();
  }

  /** Where secrets appear in one log, as "log:line: what" without the value. */
  List<String> findings(String logName, String log) {
    List<String> found = new ArrayList<>();
    String[] lines = log.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      for (var needle : needles.entrySet()) {
        if (lines[i].contains(needle.getKey())) {
          found.add(logName + ":" + (i + 1) + ": " + needle.getValue());
        }
      }
      if (JWT.matcher(lines[i]).find()) {
        found.add(logName + ":" + (i + 1) + ": a JWT");
      }
    }
    return found;
  }
}
