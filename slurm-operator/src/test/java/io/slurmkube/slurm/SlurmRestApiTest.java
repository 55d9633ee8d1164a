package io.slurmkube.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Job records cut down from what slurmrestd 24.11 (v0.0.42) answered in SlurmClusterIT. */
class SlurmRestApiTest {
  static JsonNode json(String text) throws Exception {
    return new ObjectMapper().readTree(text);
  }

  @Test
  void aBeginTimeIsTheEligibleTime() throws Exception {
    var job = SlurmRestApi.job(json("""
        {"job_id": 4, "job_state": ["PENDING"], "state_reason": "BeginTime", "dependency": "", "hold": false,
         "priority": {"set": true, "infinite": false, "number": 1},
         "eligible_time": {"set": true, "infinite": false, "number": 1795995997}}"""));
    assertThat(job.start()).isEqualTo(new SlurmJob.StartConditions(Instant.ofEpochSecond(1795995997), "", false));
  }

  @Test
  void aDependencyAndAHoldAreRead() throws Exception {
    var dependent = SlurmRestApi.job(json("""
        {"job_id": 5, "job_state": ["PENDING"], "dependency": "afterok:1(unfulfilled)", "hold": false,
         "priority": {"set": true, "infinite": false, "number": 1},
         "eligible_time": {"set": true, "infinite": false, "number": 0}}"""));
    assertThat(dependent.start()).isEqualTo(new SlurmJob.StartConditions(null, "afterok:1(unfulfilled)", false));
    var held = SlurmRestApi.job(json("""
        {"job_id": 6, "job_state": ["PENDING"], "dependency": "", "hold": true,
         "priority": {"set": true, "infinite": false, "number": 0}}"""));
    assertThat(held.start().held()).isTrue();
    var priorityZero = SlurmRestApi.job(json("""
        {"job_id": 6, "job_state": ["PENDING"], "priority": {"set": true, "infinite": false, "number": 0}}"""));
    assertThat(priorityZero.start().held()).as("priority 0 is a hold").isTrue();
    var unset = SlurmRestApi.job(json("""
        {"job_id": 6, "job_state": ["PENDING"], "priority": {"set": false, "infinite": false, "number": 0}}"""));
    assertThat(unset.start().held()).as("an unset priority is not a hold").isFalse();
  }
}
