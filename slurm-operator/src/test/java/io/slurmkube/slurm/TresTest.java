package io.slurmkube.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TresTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void textIsParsedInOrderAndFormattedBack() {
    var tres = Tres.parse(" cpu=8, mem=16384,gres/gpu=2");
    assertThat(tres).containsExactly(Map.entry("cpu", 8L), Map.entry("mem", 16384L), Map.entry("gres/gpu", 2L));
    assertThat(Tres.format(tres)).isEqualTo("cpu=8,mem=16384,gres/gpu=2");
    assertThat(Tres.parse(null)).isEmpty();
    assertThat(Tres.parse(" ")).isEmpty();
    assertThat(Tres.format(Map.of())).isNull();
  }

  @Test
  void badTextIsRefused() {
    assertThatThrownBy(() -> Tres.parse("cpu")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Tres.parse("mem=16G")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MiB");
    assertThatThrownBy(() -> Tres.parse("cpu=-1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Tres.parse("cpu=1,cpu=2")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void slurmrestdListsAreRead() throws Exception {
    // As slurmrestd 26.05 lists an association's GrpTRES.
    var list = json.readTree("""
        [{"type": "cpu", "name": "", "id": 1, "count": 4}, {"type": "mem", "name": "", "id": 2, "count": 100},
         {"type": "gres", "name": "gpu", "id": 1001, "count": 2}, {"type": "node", "name": "", "id": 4, "count": -1}]""");
    assertThat(Tres.format(Tres.fromJson(list))).isEqualTo("cpu=4,mem=100,gres/gpu=2");
  }

  @Test
  void aTresNoLongerWantedIsSentAsMinusOne() throws Exception {
    var sent = Tres.toJson(Tres.parse("cpu=8,gres/gpu=1"), Tres.parse("cpu=4,mem=100"));
    // (Compared as text: the counts are longs here, ints when parsed.)
    assertThat(sent.toString()).isEqualTo(json.readTree("""
        [{"type": "cpu", "name": "", "count": 8}, {"type": "gres", "name": "gpu", "count": 1},
         {"type": "mem", "name": "", "count": -1}]""").toString());
  }

  @Test
  void preemptModesAreTheApiFlags() {
    assertThat(SlurmDbRestApi.preemptModes(null)).isEqualTo(List.of("DISABLED"));
    assertThat(SlurmDbRestApi.preemptModes("off")).isEqualTo(List.of("DISABLED"));
    assertThat(SlurmDbRestApi.preemptModes("suspend, gang")).isEqualTo(List.of("SUSPEND", "GANG"));
  }

  @Test
  void anAssociationIsReadWithItsOwnLimits() throws Exception {
    // Part of what slurmrestd 26.05 answered for `sacctmgr add account expa parent=root fairshare=3
    // GrpJobs=5 MaxJobs=2 MaxSubmitJobs=3 GrpTRES=cpu=4 MaxTRES=cpu=2 MaxWall=60 QOS=normal,exp1 DefaultQOS=exp1`.
    var assoc = json.readTree("""
        {"account": "expa", "cluster": "demo", "default": {"qos": "exp1"},
         "max": {"jobs": {"per": {"count": {"set": true, "infinite": false, "number": 5},
                                  "submitted": {"set": true, "infinite": false, "number": 9},
                                  "wall_clock": {"set": true, "infinite": false, "number": 60}},
                          "active": {"set": true, "infinite": false, "number": 2},
                          "total": {"set": true, "infinite": false, "number": 3}},
                 "tres": {"total": [{"type": "cpu", "name": "", "id": 1, "count": 4}],
                          "per": {"job": [{"type": "cpu", "name": "", "id": 1, "count": 2}], "node": []}},
                 "per": {"account": {"wall_clock": {"set": false, "infinite": true, "number": 0}}}},
         "parent_account": "root", "partition": "", "qos": ["normal", "exp1"], "shares_raw": 3, "user": ""}""");
    assertThat(SlurmDbRestApi.account(assoc, "team")).isEqualTo(new SlurmAccount("expa", "team", "root", 3,
        List.of("normal", "exp1"), "exp1", new SlurmLimits("cpu=4", 5, 2, 3, "cpu=2", null, 60)));
  }
}
