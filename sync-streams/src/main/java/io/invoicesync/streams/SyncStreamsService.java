package io.invoicesync.streams;

import io.invoicesync.schemas.TopicAdmin;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import java.time.Duration;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the sync-streams topology: start, state, stop. The topology itself is {@link SyncTopology}. */
public final class SyncStreamsService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SyncStreamsService.class);

  private final SyncStreamsConfig config;
  private final SyncMetrics metrics;
  private KafkaStreams streams;

  public SyncStreamsService(SyncStreamsConfig config, MeterRegistry registry) {
    this.config = config;
    this.metrics = new SyncMetrics(registry);
  }

  public synchronized void start() {
    int partitions = ensureInternalTopics();
    streams = new KafkaStreams(SyncTopology.buildTopology(config, metrics, partitions), config.streamsProperties());
    streams.setUncaughtExceptionHandler(e -> {
      log.error("sync-streams thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.start();
    log.info("sync-streams started: application.id={}", config.getString(SyncStreamsConfig.APPLICATION_ID));
  }

  /**
   * The red-letter topics are ours, not Streams' (the Processor API has no repartition topics):
   * create them, the verdict topic with the captured topic's partition count so the two are
   * co-partitioned by invoice id.
   */
  private int ensureInternalTopics() {
    String captured = config.getString(SyncStreamsConfig.CAPTURED_TOPIC);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", config.getString(SyncStreamsConfig.BOOTSTRAP_SERVERS)))) {
      int partitions = TopicAdmin.partitions(admin, captured);
      TopicAdmin.createMissing(admin, List.of(
          new NewTopic(config.redLedgerTopic(), Optional.of(partitions), Optional.empty()),
          new NewTopic(config.redVerdictTopic(), Optional.of(partitions), Optional.empty()),
          new NewTopic(config.getString(SyncStreamsConfig.PROJECTION_TOPIC), Optional.of(partitions), Optional.empty())
              .configs(Topics.PROJECTION.configs())));
      for (String coPartitioned : List.of(config.redVerdictTopic(), config.getString(SyncStreamsConfig.PROJECTION_TOPIC))) {
        int n = TopicAdmin.partitions(admin, coPartitioned);
        if (n != partitions) {
          throw new IllegalStateException("topic " + coPartitioned + " has " + n + " partitions but " + captured
              + " has " + partitions + "; they must be co-partitioned (same count)");
        }
      }
      TopicAdmin.createMissing(admin, List.of(new NewTopic(config.getString(SyncStreamsConfig.AUDIT_CHECKPOINTS_TOPIC),
          Optional.of(Topics.AUDIT_CHECKPOINTS.partitions()), Optional.empty()).configs(Topics.AUDIT_CHECKPOINTS.configs())));
      return partitions;
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

  @Override
  public synchronized void close() {
    if (streams != null) {
      // Streams' consumers do not leave the group on close by default (to ride out a quick bounce);
      // a stopped instance leaves explicitly, so a restart does not wait out the old member's session
      streams.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(30)).leaveGroup(true));
    }
  }
}
