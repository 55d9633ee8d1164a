package io.slurmkube.dra.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClaimStoreTest {

  @TempDir Path state;
  final CdiSpecs cdi = new CdiSpecs(Path.of("/unused"), "gpu.slurmkube.io");

  @Test
  void aRecordedClaimIsThereAfterReopening() throws Exception {
    PreparedClaim claim = Claims.twoGpus(cdi);
    new ClaimStore(state).put(claim);

    ClaimStore reopened = new ClaimStore(state);

    assertThat(reopened.get(Claims.UID)).contains(claim);
    assertThat(reopened.all()).containsExactly(claim);
    assertThat(reopened.problems()).isEmpty();
  }

  @Test
  void aRemovedClaimIsGoneAfterReopening() throws Exception {
    ClaimStore store = new ClaimStore(state);
    store.put(Claims.twoGpus(cdi));
    store.remove(Claims.UID);
    store.remove(Claims.UID);

    assertThat(new ClaimStore(state).all()).isEmpty();
  }

  @Test
  void anUnreadableRecordIsMovedAsideAndReportedWhileTheOthersLoad() throws Exception {
    new ClaimStore(state).put(Claims.twoGpus(cdi));
    Path broken = Files.writeString(state.resolve("claims/11111111-2222-3333-4444-555555555555.json"), "{\"uid\": \"1111");
    Path wrongName = Files.writeString(state.resolve("claims/other.json"),
        Files.readString(state.resolve("claims/" + Claims.UID + ".json")));

    ClaimStore reopened = new ClaimStore(state);

    assertThat(reopened.all()).extracting(PreparedClaim::uid).containsExactly(Claims.UID);
    assertThat(reopened.problems()).hasSize(2);
    assertThat(reopened.problems().get(0)).contains(broken.getFileName().toString(), "moved to");
    assertThat(broken).doesNotExist();
    assertThat(broken.resolveSibling(broken.getFileName() + ".corrupt")).exists();
    assertThat(wrongName).doesNotExist();
  }

  @Test
  void aUidThatIsNotAFileNameIsRefused() throws Exception {
    ClaimStore store = new ClaimStore(state);

    assertThatThrownBy(() -> store.remove("../../etc/passwd")).hasMessageContaining("not a claim UID");
  }
}
