package io.invoicesync.runtime;

import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.ComponentHealth.Status;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The health of a consumer loop on its own thread that rides out query-store outages ({@link StoreOutage}). */
public final class LoopHealth {

  private LoopHealth() {
  }

  /**
   * @param thread  the loop's thread, null before start
   * @param running false once stopped on request
   * @param failure why the loop ended, null while it runs
   */
  public static ComponentHealth of(Thread thread, boolean running, Throwable failure, StoreOutage outage, Map<String, Object> details) {
    if (failure != null) {
      return ComponentHealth.failed("FAILED", failure);
    }
    if (thread == null) {
      return new ComponentHealth(Status.STARTING, "CREATED", details);
    }
    if (!running) {
      return new ComponentHealth(Status.STOPPED, "STOPPED", details);
    }
    if (!thread.isAlive()) {
      return ComponentHealth.failed("THREAD_ENDED", null);
    }
    long since = outage.since().get();
    if (since != 0) {
      Map<String, Object> d = new LinkedHashMap<>(details);
      d.put("outageSince", Instant.ofEpochMilli(since).toString());
      d.put("outage", "query store, schema registry or Kafka unreachable; retrying with back-off");
      return new ComponentHealth(Status.OUTAGE, "OUTAGE", d);
    }
    return new ComponentHealth(Status.UP, "RUNNING", details);
  }
}
