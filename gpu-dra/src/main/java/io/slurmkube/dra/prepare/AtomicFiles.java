package io.slurmkube.dra.prepare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes files so that a reader (or a crash) never sees half of one. */
final class AtomicFiles {

  private AtomicFiles() {}

  /**
   * Writes {@code content} to {@code target} through a hidden temporary file in the same
   * directory and a rename. Whatever is in the way at {@code target} (a stale file, or a directory
   * left by someone else) is replaced.
   */
  static void write(Path target, String content) throws IOException {
    Path dir = target.getParent();
    Files.createDirectories(dir);
    if (Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      deleteTree(target);
    }
    Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static void deleteTree(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try (var children = Files.list(path)) {
        for (Path child : children.toList()) {
          deleteTree(child);
        }
      }
    }
    Files.deleteIfExists(path);
  }
}
