package io.slurmkube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages api, model, reconcile, autoscale, fleet and slurm depend on each other without a
 * cycle (the operator's entry point, in io.slurmkube itself, may use them all). Read from the
 * sources: any mention of another package in code, import or fully qualified name, counts.
 */
class PackageCyclesTest {
  static final Path SOURCES = Path.of("src/main/java/io/slurmkube");
  static final Pattern MENTION = Pattern.compile("io\\.slurmkube\\.([a-z]+)\\.");

  static Map<String, Set<String>> uses() throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    try (Stream<Path> dirs = Files.list(SOURCES)) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        String pkg = dir.getFileName().toString();
        Set<String> used = uses.computeIfAbsent(pkg, k -> new TreeSet<>());
        try (Stream<Path> files = Files.walk(dir)) {
          for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
            // Code only: a comment that names another package is no dependency.
            for (String line : Files.readAllLines(file)) {
              String code = line.strip();
              if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) {
                continue;
              }
              var m = MENTION.matcher(code);
              while (m.find()) {
                if (!m.group(1).equals(pkg)) {
                  used.add(m.group(1));
                }
              }
            }
          }
        }
      }
    }
    return uses;
  }

  @Test
  void noPackageReachesItselfThroughAnother() throws IOException {
    var uses = uses();
    assertThat(uses).containsKeys("api", "model", "fleet", "reconcile");
    List<String> cycles = new ArrayList<>();
    for (String start : uses.keySet()) {
      // Depth-first from each package's neighbours; a path back to start is a cycle.
      List<List<String>> stack = new ArrayList<>();
      uses.get(start).forEach(n -> stack.add(List.of(start, n)));
      Set<String> seen = new TreeSet<>();
      while (!stack.isEmpty()) {
        List<String> path = stack.remove(stack.size() - 1);
        String last = path.get(path.size() - 1);
        if (last.equals(start)) {
          cycles.add(String.join(" -> ", path));
          continue;
        }
        if (!seen.add(last)) {
          continue;
        }
        for (String next : uses.getOrDefault(last, Set.of())) {
          var longer = new ArrayList<>(path);
          longer.add(next);
          stack.add(longer);
        }
      }
    }
    assertThat(cycles).as("package cycles (uses: %s)", uses).isEmpty();
  }

  @Test
  void theModelNeverUsesTheFleetController() throws IOException {
    assertThat(uses().get("model")).doesNotContain("fleet", "reconcile");
  }
}
