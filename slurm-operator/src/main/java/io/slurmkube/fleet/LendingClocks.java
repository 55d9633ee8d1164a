package io.slurmkube.fleet;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a pool's plan remembers between passes: since when each reserved node has had no slurmd
 * pod (the lending timer), and which reclaiming nodes had an eviction refused. Kept in memory
 * only: a restart starts the timers again, which only delays lending.
 */
final class LendingClocks {
  private record Clocks(Map<String, Instant> emptySince, Map<String, String> blocked) {}

  private final Map<String, Clocks> pools = new ConcurrentHashMap<>();

  Map<String, Instant> emptySince(String poolId) {
    Clocks c = pools.get(poolId);
    return c == null ? Map.of() : c.emptySince();
  }

  Map<String, String> blocked(String poolId) {
    Clocks c = pools.get(poolId);
    return c == null ? Map.of() : c.blocked();
  }

  /** After a pass: the plan's idle clocks and this pass's eviction refusals (node -> reason). */
  void keep(String poolId, Map<String, Instant> emptySince, Map<String, String> blocked) {
    pools.put(poolId, new Clocks(new HashMap<>(emptySince), new HashMap<>(blocked)));
  }

  void forget(String poolId) {
    pools.remove(poolId);
  }
}
