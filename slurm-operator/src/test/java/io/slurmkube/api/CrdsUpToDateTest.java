package io.slurmkube.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** crds/ is what users install: it must be exactly what the build generates from the Java types. */
class CrdsUpToDateTest {

  static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");
  static final Path COMMITTED = Path.of("../crds");
  /** Helm installs the chart's own copy; it must be the same. */
  static final Path CHART = Path.of("../charts/slurmkube-operator/crds");

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    try (Stream<Path> files = Files.list(GENERATED)) {
      var generated = files.filter(p -> p.toString().endsWith("-v1.yml")).sorted().toList();
      assertThat(generated).isNotEmpty();
      for (Path file : generated) {
        Path committed = COMMITTED.resolve(file.getFileName());
        assertThat(committed)
            .as("crds/%s is missing or out of date: run `./mvnw -pl slurm-operator process-classes`"
                + " and copy slurm-operator/target/classes/META-INF/fabric8/*-v1.yml to crds/", file.getFileName())
            .exists()
            .hasSameTextualContentAs(file);
        assertThat(CHART.resolve(file.getFileName()))
            .as("charts/slurmkube-operator/crds/%s differs: copy crds/*.yml there", file.getFileName())
            .exists()
            .hasSameTextualContentAs(file);
      }
    }
  }
}
