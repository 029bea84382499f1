package io.invoicesync.cli.management;

import io.invoicesync.schemas.ComponentHealth;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Whether this process reaches the Kafka cluster, asked every few seconds with the Admin API
 * (describeCluster), independently of what the components are doing: a component may wait for
 * Kafka without noticing (Debezium holding a batch while its offset store retries, a consumer whose
 * poll just returns nothing), and readiness must still turn red during a broker outage.
 */
public final class KafkaProbe implements AutoCloseable {

  private final Admin admin;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "invoice-sync-kafka-probe");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong unreachableSince = new AtomicLong();
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private volatile boolean answered;

  /** @param clientConfig bootstrap.servers and the cluster's client settings (security) */
  public KafkaProbe(Map<String, Object> clientConfig, Duration interval) {
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put("client.id", "invoice-sync-kafka-probe");
    c.put("request.timeout.ms", 5000);
    c.put("default.api.timeout.ms", 5000);
    this.admin = Admin.create(c);
    timer.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void probe() {
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000)).nodes().get(6, TimeUnit.SECONDS);
      answered = true;
      unreachableSince.set(0);
      lastError.set(null);
    } catch (Exception e) {
      unreachableSince.compareAndSet(0, System.currentTimeMillis());
      lastError.set(ComponentHealth.describe(e));
    } 
  }

  /** UP once the cluster answered, OUTAGE while it does not (STARTING before the first answer). */
  public ComponentHealth health() {
    long since = unreachableSince.get();
    if (since != 0) {
      return new ComponentHealth(ComponentHealth.Status.OUTAGE, "UNREACHABLE", Map.of("outageSince", Instant.ofEpochMilli(since).toString(),
          "outage", "Kafka does not answer: " + lastError.get()));
    }
    return answered ? new ComponentHealth(ComponentHealth.Status.UP, "REACHABLE", Map.of())
        : new ComponentHealth(ComponentHealth.Status.STARTING, "PROBING", Map.of());
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
