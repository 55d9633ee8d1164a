package io.slurmkube.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TRES between Slurm's text form ({@code cpu=8,mem=16384,gres/gpu=2}: mem in MiB) and slurmrestd's
 * lists of {@code {"type": "gres", "name": "gpu", "count": 2}}.
 */
final class Tres {
  private Tres() {}

  /** TRES name ("cpu", "gres/gpu") to count, in the text's order; empty for null or blank. */
  static Map<String, Long> parse(String text) {
    Map<String, Long> tres = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return tres;
    }
    for (String part : text.split(",")) {
      String item = part.strip();
      int eq = item.indexOf('=');
      if (eq <= 0 || eq == item.length() - 1) {
        throw new IllegalArgumentException("TRES \"" + text + "\": \"" + item + "\" is not NAME=COUNT");
      }
      String name = item.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT);
      long count;
      try {
        count = Long.parseLong(item.substring(eq + 1).strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("TRES \"" + text + "\": the count of " + name
            + " must be a whole number (mem in MiB)", e);
      }
      if (count < 0) {
        throw new IllegalArgumentException("TRES \"" + text + "\": the count of " + name + " is negative");
      }
      if (tres.put(name, count) != null) {
        throw new IllegalArgumentException("TRES \"" + text + "\" names " + name + " twice");
      }
    }
    return tres;
  }

  /** The text form; null when there is none (the limit is not set). */
  static String format(Map<String, Long> tres) {
    if (tres.isEmpty()) {
      return null;
    }
    StringBuilder text = new StringBuilder();
    tres.forEach((name, count) -> text.append(text.length() == 0 ? "" : ",").append(name).append('=').append(count));
    return text.toString();
  }

  /** A slurmrestd TRES list read back; entries with a negative count (cleared) are left out. */
  static Map<String, Long> fromJson(JsonNode list) {
    Map<String, Long> tres = new LinkedHashMap<>();
    for (JsonNode entry : list) {
      long count = entry.path("count").asLong(-1);
      if (count < 0) {
        continue;
      }
      String type = entry.path("type").asText("");
      String name = entry.path("name").asText("");
      tres.put(name.isEmpty() ? type : type + "/" + name, count);
    }
    return tres;
  }

  /**
   * The list that makes a limit exactly {@code wanted}: slurmdbd merges a QOS's TRES list into
   * what it has, so each TRES set now but not wanted is sent with count -1, which clears it.
   */
  static ArrayNode toJson(Map<String, Long> wanted, Map<String, Long> current) {
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    wanted.forEach((name, count) -> list.add(entry(name, count)));
    current.keySet().stream().filter(name -> !wanted.containsKey(name)).forEach(name -> list.add(entry(name, -1)));
    return list;
  }

  private static ObjectNode entry(String name, long count) {
    ObjectNode entry = JsonNodeFactory.instance.objectNode();
    int slash = name.indexOf('/');
    entry.put("type", slash < 0 ? name : name.substring(0, slash));
    entry.put("name", slash < 0 ? "" : name.substring(slash + 1));
    entry.put("count", count);
    return entry;
  }
}
