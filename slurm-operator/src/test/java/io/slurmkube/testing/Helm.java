package io.slurmkube.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Helm of e2e/substrate/versions.env, as e2e/substrate/build-tools.sh builds it
 * ($SLURMKUBE_CACHE/bin/helm-<version>/helm), run over the project's chart.
 */
public final class Helm {
  public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  public static final Path CHART = ROOT.resolve("charts/slurmkube-operator");

  private Helm() {}

  public record Result(int exitCode, String output) { }

  public static String version() throws IOException {
    return Files.readAllLines(ROOT.resolve("e2e/substrate/versions.env")).stream()
        .filter(l -> l.startsWith("HELM_VERSION=")).map(l -> l.substring("HELM_VERSION=".length()).strip())
        .findFirst().orElseThrow(() -> new IllegalStateException("no HELM_VERSION in e2e/substrate/versions.env"));
  }

  public static Path binary() throws IOException {
    return Path.of(System.getenv().getOrDefault("SLURMKUBE_CACHE", "/var/cache/slurmkube"), "bin", "helm-" + version(), "helm");
  }

  public static boolean built() throws IOException {
    return Files.isExecutable(binary());
  }

  public static Result run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(binary().toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(process.waitFor(), output);
  }

  /** The objects `helm template` renders for this release, namespace and --set values; fails on an error. */
  public static List<Map<String, Object>> render(String release, String namespace, String... sets) throws Exception {
    if (!built()) {
      throw new IllegalStateException("Helm " + version() + " is not built (no " + binary()
          + "): run e2e/substrate/build-tools.sh (e2e/test-all.sh does)");
    }
    List<String> args = new ArrayList<>(List.of("template", release, CHART.toString(), "--namespace", namespace));
    for (String set : sets) {
      args.add("--set");
      args.add(set);
    }
    Result result = run(args.toArray(String[]::new));
    if (result.exitCode() != 0) {
      throw new IllegalStateException("helm template failed:\n" + result.output());
    }
    List<Map<String, Object>> objects = new ArrayList<>();
    var mapper = new ObjectMapper(new YAMLFactory());
    try (var docs = mapper.readerFor(Map.class).<Map<String, Object>>readValues(result.output())) {
      while (docs.hasNext()) {
        Map<String, Object> doc = docs.next();
        if (doc != null && !doc.isEmpty()) {
          objects.add(doc);
        }
      }
    }
    return objects;
  }
}
