package io.slurmkube.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlurmReleaseTest {
  @Test
  void readsTheReleaseAtTheStartOfAnImageTag() {
    assertThat(SlurmRelease.ofImage("slurmkube.local/slurmctld:26.05")).contains(SlurmRelease.V26_05);
    assertThat(SlurmRelease.ofImage("registry.example:5000/hpc/slurmd:24.11.5-cuda")).contains(SlurmRelease.V24_11);
    assertThat(SlurmRelease.ofImage("ghcr.io/x/slurmd:25.11-ubuntu24.04")).contains(SlurmRelease.V25_11);
    assertThat(SlurmRelease.ofImage("slurmkube.local/slurmctld:26.05-patched@sha256:abc")).contains(SlurmRelease.V26_05);
  }

  @Test
  void tagsThatNameNoReleaseGiveNone() {
    // A registry port is not a tag; "latest", a digest alone and a bare number are no release.
    for (String image : List.of("registry.example:5000/slurmd", "slurmd:latest", "slurmd@sha256:abc",
        "slurmd:2605", "slurmd:26.06", "slurmd:v26.05", "slurmd:26.055")) {
      assertThat(SlurmRelease.ofImage(image)).as(image).isEmpty();
    }
    assertThat(SlurmRelease.ofImage(null)).isEmpty();
  }

  @Test
  void theConfigIsWrittenForTheOldestImage() {
    assertThat(SlurmRelease.oldestOf(List.of("a:26.05", "b:24.11.5", "c:latest"))).isEqualTo(SlurmRelease.V24_11);
    assertThat(SlurmRelease.oldestOf(Arrays.asList("a:latest", null))).isEqualTo(SlurmRelease.DEFAULT);
  }

  @Test
  void countsReleasesAcrossYears() {
    assertThat(SlurmRelease.V24_11.releasesTo(SlurmRelease.V25_05)).isEqualTo(1);
    assertThat(SlurmRelease.V24_11.releasesTo(SlurmRelease.V25_11)).isEqualTo(2);
    assertThat(SlurmRelease.V24_11.releasesTo(SlurmRelease.V26_05)).isEqualTo(3);
    assertThat(SlurmRelease.V26_05.releasesTo(SlurmRelease.V25_11)).isEqualTo(-1);
    assertThat(SlurmRelease.V24_11.next()).isEqualTo(SlurmRelease.V25_05);
    assertThat(SlurmRelease.V25_05.next()).isEqualTo(SlurmRelease.V25_11);
  }

  @Test
  void upgradesOfAtMostTwoReleasesAreAllowed() {
    assertThat(SlurmRelease.V24_11.refusedUpgradeTo(SlurmRelease.V24_11)).isEmpty();
    assertThat(SlurmRelease.V24_11.refusedUpgradeTo(SlurmRelease.V25_05)).isEmpty();
    assertThat(SlurmRelease.V24_11.refusedUpgradeTo(SlurmRelease.V25_11)).isEmpty();
    assertThat(SlurmRelease.V25_05.refusedUpgradeTo(SlurmRelease.V26_05)).isEmpty();
  }

  @Test
  void aLongerJumpNamesTheReleaseToGoThrough() {
    assertThat(SlurmRelease.V24_11.refusedUpgradeTo(SlurmRelease.V26_05)).hasValueSatisfying(why -> assertThat(why)
        .contains("24.11 cannot be upgraded to 26.05 directly").contains("upgrade to 25.11 first"));
    assertThat(SlurmRelease.V24_11.refusedUpgradeTo(new SlurmRelease(27, 5))).hasValueSatisfying(why ->
        assertThat(why).contains("upgrade to 25.11 first"));
  }

  @Test
  void aDowngradeIsRefused() {
    assertThat(SlurmRelease.V26_05.refusedUpgradeTo(SlurmRelease.V25_11)).hasValueSatisfying(why ->
        assertThat(why).contains("cannot be downgraded from 26.05 to 25.11"));
  }

  @Test
  void openMetricsFrom2511() {
    assertThat(SlurmRelease.V24_11.servesOpenMetrics()).isFalse();
    assertThat(SlurmRelease.V25_05.servesOpenMetrics()).isFalse();
    assertThat(SlurmRelease.V25_11.servesOpenMetrics()).isTrue();
    assertThat(SlurmRelease.V26_05.servesOpenMetrics()).isTrue();
  }

  @Test
  void parsesARelease() {
    assertThat(SlurmRelease.parse("24.11")).isEqualTo(SlurmRelease.V24_11);
    assertThatThrownBy(() -> SlurmRelease.parse("24.11.5")).hasMessageContaining("24.11.5");
    assertThatThrownBy(() -> new SlurmRelease(26, 6)).hasMessageContaining("month 6");
  }
}
