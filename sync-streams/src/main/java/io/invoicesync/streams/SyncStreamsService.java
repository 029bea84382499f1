package io.invoicesync.streams;

import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.TopicAdmin;
import io.invoicesync.schemas.TopicPlan;
import io.invoicesync.schemas.Topics;
import io.invoicesync.streams.internal.ThreadReplacementBudget;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the sync-streams topology: start, state, stop. The topology itself is {@link SyncTopology}. */
public final class SyncStreamsService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SyncStreamsService.class);

  private final SyncStreamsConfig config;
  private final SyncMetrics metrics;
  private final MeterRegistry registry;
  private KafkaStreams streams;
  private KafkaStreamsMetrics streamsMetrics;
  private volatile boolean closing;

  public SyncStreamsService(SyncStreamsConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    this.metrics = new SyncMetrics(registry);
  }

  public synchronized void start() {
    // RocksDB's native library (15 MB unpacked from its jar to a temporary file, then loaded) is needed only once the
    // first task opens its stores, a second or more after this; loading it now, beside the topics and the rebalance,
    // takes it off the way to RUNNING (0.5-2 s on a fresh start here). Kafka Streams' own load finds it loaded.
    Thread rocksDb = new Thread(() -> {
      long t0 = System.nanoTime();
      RocksDB.loadLibrary();
      log.info("sync-streams: RocksDB's native library loaded in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }, "sync-streams-rocksdb-load");
    rocksDb.setDaemon(true);
    rocksDb.start();
    int partitions = ensureInternalTopics();
    streams = new KafkaStreams(SyncTopology.buildTopology(config, metrics, partitions), config.streamsProperties());
    ThreadReplacementBudget budget =
        new ThreadReplacementBudget(3, Duration.ofMinutes(5), System::currentTimeMillis);
    ExponentialBackoff outageBackoff = new ExponentialBackoff(500, 2, 10_000, 0.2);
    AtomicInteger outages = new AtomicInteger();
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) {
        outages.set(0); // the next outage's back-off starts short again
      }
    });
    streams.setUncaughtExceptionHandler(e -> {
      if (SerdeFactory.unreachable(e)) {
        // the schema registry (or another server) is down: an outage, ridden out with capped back-off, not counted as a failure
        long wait = outageBackoff.backoff(outages.getAndIncrement());
        log.warn("sync-streams: a server it needs is unreachable ({}); retrying in {} ms with a new thread", e.getMessage(), wait);
        try {
          Thread.sleep(wait);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
      }
      outages.set(0);
      if (budget.replace()) {
        log.error("sync-streams thread failed; replacing it", e);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
      }
      log.error("sync-streams threads failed 4 times within 5 minutes; shutting the client down (a failure for good)", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    streams.start();
    log.info("sync-streams started: application.id={}", config.getString(SyncStreamsConfig.APPLICATION_ID));
  }

  /**
   * The red-letter topics are ours, not Streams' (the Processor API has no repartition topics), and
   * so are the projection and checkpoint topics' co-partitioning: created or checked through the
   * topic plan, the verdict and projection topics with the captured topic's partition count.
   */
  private int ensureInternalTopics() {
    TopicPlan plan = config.topicPlan();
    try (Admin admin = Admin.create(config.kafkaCommon())) {
      plan.ensure(admin, List.of(Topics.CAPTURED, Topics.IMPORTED, Topics.RED_LEDGER, Topics.RED_VERDICTS, Topics.PROJECTION, Topics.AUDIT_CHECKPOINTS));
      return TopicAdmin.partitions(admin, plan.name(Topics.CAPTURED));
    }
  }

  public SyncMetrics metrics() {
    return metrics;
  }

  public KafkaStreams.State state() {
    return streams == null ? KafkaStreams.State.CREATED : streams.state();
  }

  public boolean isHealthy() {
    KafkaStreams.State s = state();
    return s == KafkaStreams.State.RUNNING || s == KafkaStreams.State.REBALANCING;
  }

  /**
   * For the management port: Kafka Streams' own state. ERROR, or NOT_RUNNING without a close, is a
   * failure for good (the process should end); REBALANCING and CREATED are starting.
   */
  public ComponentHealth health() {
    KafkaStreams.State s = state();
    Map<String, Object> details = Map.of("streamsState", s.name(), "applicationId", config.getString(SyncStreamsConfig.APPLICATION_ID));
    if (closing) {
      return new ComponentHealth(ComponentHealth.Status.STOPPED, s.name(), details);
    }
    return switch (s) {
      case RUNNING -> new ComponentHealth(ComponentHealth.Status.UP, s.name(), details);
      case CREATED, REBALANCING -> new ComponentHealth(ComponentHealth.Status.STARTING, s.name(),
          details);
      default -> new ComponentHealth(ComponentHealth.Status.FAILED, s.name(),
          Map.of("streamsState", s.name(), "failure", "Kafka Streams is " + s.name() + " without having been stopped; see the log"));
    };
  }

  @Override
  public synchronized void close() {
    closing = true;
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
    if (streams != null) {
      // Streams' consumers do not leave the group on close by default (to ride out a quick bounce);
      // a stopped instance leaves explicitly, so a restart does not wait out the old member's session
      streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
          .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
  }
}
