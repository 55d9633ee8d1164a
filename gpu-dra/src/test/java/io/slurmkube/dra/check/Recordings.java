package io.slurmkube.dra.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/**
 * The recorded nvidia-smi outputs under resources/device-check/recordings, one directory per
 * machine, in the layout {@link Recording} writes; and the fake nvidia-smi that replays them.
 */
final class Recordings {

  private Recordings() {}

  static Path root() {
    try {
      return Path.of(Recordings.class.getResource("/device-check/recordings").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every recording; a real machine's, once added, is checked like the hand-written ones. */
  static Stream<String> names() throws IOException {
    try (Stream<Path> dirs = Files.list(root())) {
      return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList().stream();
    }
  }

  static Path dir(String name) {
    return root().resolve(name);
  }

  /** A file of a recording; null when that recording has none (list.txt without MIG). */
  static String read(String name, String file) {
    Path p = dir(name).resolve(file);
    try {
      return Files.exists(p) ? Files.readString(p) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A copy of a recording that a test may change. */
  static Path copy(String name, Path into) throws IOException {
    Path target = Files.createDirectories(into.resolve(name));
    for (String file : List.of(Recording.QUERY, Recording.LIST, Recording.XML)) {
      Path source = dir(name).resolve(file);
      if (Files.exists(source)) {
        Files.copy(source, target.resolve(file));
      }
    }
    return target;
  }

  /**
   * An executable named nvidia-smi in {@code binDir} that replays {@code recording} through the
   * fake nvidia-smi of the test resources (test resources lose their executable bit on the way).
   */
  static Path fakeNvidiaSmi(Path binDir, Path recording) throws IOException {
    Files.createDirectories(binDir);
    Path fake = binDir.resolve("fake-nvidia-smi");
    try (var in = Recordings.class.getResourceAsStream("/device-check/fake-bin/nvidia-smi")) {
      Files.write(fake, in.readAllBytes());
    }
    Path wrapper = binDir.resolve("nvidia-smi");
    Files.writeString(wrapper, "#!/bin/sh\nFAKE_NVIDIA_SMI_RECORDING='" + recording + "' exec '" + fake + "' \"$@\"\n");
    for (Path p : List.of(fake, wrapper)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return wrapper;
  }
}
