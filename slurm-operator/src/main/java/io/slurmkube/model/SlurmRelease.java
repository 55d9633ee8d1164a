package io.slurmkube.model;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Slurm major release, such as 24.11 or 26.05. Slurm releases twice a year (May and November),
 * and a daemon reads the state and database of at most the two releases before its own: the
 * reason an upgrade may jump two releases and no more.
 */
public record SlurmRelease(int year, int month) implements Comparable<SlurmRelease> {
  public static final SlurmRelease V24_11 = new SlurmRelease(24, 11);
  public static final SlurmRelease V25_05 = new SlurmRelease(25, 5);
  public static final SlurmRelease V25_11 = new SlurmRelease(25, 11);
  public static final SlurmRelease V26_05 = new SlurmRelease(26, 5);
  /** What the renderer assumes for an image whose tag names no release (the project's default images). */
  public static final SlurmRelease DEFAULT = V26_05;
  /** How many releases an upgrade may move forward in one step. */
  public static final int MAX_UPGRADE_STEP = 2;

  /** A release at the start of a tag: 26.05, 26.05.5, 24.11-patched, 25.11.2-ubuntu24.04. */
  private static final Pattern TAG = Pattern.compile("^(\\d{2})\\.(05|11)(?:$|[.\\-_+])");

  public SlurmRelease {
    if (month != 5 && month != 11) {
      throw new IllegalArgumentException("Slurm releases in May and November, not month " + month);
    }
  }

  /** The release an image's tag names, if it names one (not for a digest or a tag like "latest"). */
  public static Optional<SlurmRelease> ofImage(String image) {
    if (image == null) {
      return Optional.empty();
    }
    String name = image;
    int digest = name.indexOf('@');
    if (digest >= 0) {
      name = name.substring(0, digest);
    }
    int colon = name.lastIndexOf(':');
    if (colon < 0 || name.indexOf('/', colon) >= 0) {
      return Optional.empty();
    }
    Matcher m = TAG.matcher(name.substring(colon + 1));
    return m.find() ? Optional.of(of(m)) : Optional.empty();
  }

  /** A release written as "26.05". */
  public static SlurmRelease parse(String release) {
    Matcher m = TAG.matcher(release == null ? "" : release);
    if (!m.find() || m.end() != release.length()) {
      throw new IllegalArgumentException("not a Slurm release (YY.05 or YY.11): " + release);
    }
    return of(m);
  }

  private static SlurmRelease of(Matcher found) {
    return new SlurmRelease(Integer.parseInt(found.group(1)), Integer.parseInt(found.group(2)));
  }

  /** The oldest release among the images that name one; {@link #DEFAULT} when none does. */
  public static SlurmRelease oldestOf(List<String> images) {
    return images.stream().map(SlurmRelease::ofImage).flatMap(Optional::stream).min(SlurmRelease::compareTo)
        .orElse(DEFAULT);
  }

  /** The next release after this one (24.11 -> 25.05 -> 25.11). */
  public SlurmRelease next() {
    return month == 5 ? new SlurmRelease(year, 11) : new SlurmRelease(year + 1, 5);
  }

  /** How many releases lie from this one to a later one (24.11 to 25.11 is 2); negative for an older one. */
  public int releasesTo(SlurmRelease later) {
    return (later.year - year) * 2 + (later.month - month) / 6;
  }

  /** slurmctld serves OpenMetrics itself (MetricsType=metrics/openmetrics) from 25.11 on. */
  public boolean servesOpenMetrics() {
    return compareTo(V25_11) >= 0;
  }

  /**
   * Why moving a cluster from this release to {@code target} is refused, or empty when Slurm supports
   * it: no downgrade (the state and database formats only move forward), and at most
   * {@value #MAX_UPGRADE_STEP} releases per step, naming the release to go through.
   */
  public Optional<String> refusedUpgradeTo(SlurmRelease target) {
    int step = releasesTo(target);
    if (step < 0) {
      return Optional.of("Slurm cannot be downgraded from " + this + " to " + target
          + ": slurmctld's state and the accounting database only convert forward; go back to a " + this + " image");
    }
    if (step > MAX_UPGRADE_STEP) {
      SlurmRelease via = this;
      for (int i = 0; i < MAX_UPGRADE_STEP; i++) {
        via = via.next();
      }
      return Optional.of("Slurm " + this + " cannot be upgraded to " + target + " directly: Slurm upgrades at most "
          + MAX_UPGRADE_STEP + " releases at a time; upgrade to " + via + " first (images of " + via
          + "), then to " + target);
    }
    return Optional.empty();
  }

  @Override
  public int compareTo(SlurmRelease other) {
    return year != other.year ? Integer.compare(year, other.year) : Integer.compare(month, other.month);
  }

  @Override
  public String toString() {
    return String.format("%02d.%02d", year, month);
  }
}
