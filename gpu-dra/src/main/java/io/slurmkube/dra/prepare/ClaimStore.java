package io.slurmkube.dra.prepare;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The claims this plugin has prepared, one JSON file per claim UID in {@code <state dir>/claims},
 * so that a restarted plugin answers the kubelet exactly as before and can still undo them. A file
 * that cannot be read is moved aside (suffix {@code .corrupt}) and reported, never fatal.
 */
public final class ClaimStore {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimStore.class);
  private static final Pattern SAFE_UID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,127}");
  static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path dir;
  private final Map<String, PreparedClaim> claims = new ConcurrentHashMap<>();
  private final List<String> problems = new ArrayList<>();

  /** Opens the store, reading every recorded claim. */
  public ClaimStore(Path stateDir) throws IOException {
    this.dir = stateDir.resolve("claims");
    Files.createDirectories(dir);
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
        load(file);
      }
    }
  }

  private void load(Path file) {
    try {
      PreparedClaim claim = JSON.readValue(file.toFile(), PreparedClaim.class);
      if (claim.uid() == null || !file.getFileName().toString().equals(claim.uid() + ".json")) {
        throw new IOException("the file does not describe claim " + file.getFileName());
      }
      claims.put(claim.uid(), claim);
    } catch (IOException | RuntimeException e) {
      Path aside = file.resolveSibling(file.getFileName() + ".corrupt");
      String problem = "unreadable prepared-claim record " + file + " (" + e.getMessage().lines().findFirst().orElse("")
          + "); moved to " + aside.getFileName();
      problems.add(problem);
      LOG.error(problem);
      try {
        Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException moveFailed) {
        LOG.error("cannot move {} aside: {}", file, moveFailed.getMessage());
      }
    }
  }

  /** What could not be read when the store was opened. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  public Optional<PreparedClaim> get(String uid) {
    return Optional.ofNullable(claims.get(uid));
  }

  public Collection<PreparedClaim> all() {
    return List.copyOf(claims.values());
  }

  public void put(PreparedClaim claim) throws IOException {
    AtomicFiles.write(file(claim.uid()), JSON.writeValueAsString(claim));
    claims.put(claim.uid(), claim);
  }

  public void remove(String uid) throws IOException {
    Files.deleteIfExists(file(uid));
    claims.remove(uid);
  }

  private Path file(String uid) {
    if (!SAFE_UID.matcher(uid).matches()) {
      throw new IllegalArgumentException("not a claim UID: '" + uid + "'");
    }
    return dir.resolve(uid + ".json");
  }
}
