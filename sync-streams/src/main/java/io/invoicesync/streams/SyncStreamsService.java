package io.invoicesync.streams;

import io.invoicesync.schemas.TopicAdmin;
import io.invoicesync.schemas.TopicPlan;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
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
   * The red-letter topics are ours, not Streams' (the Processor API has no repartition topics), and
   * so are the projection and checkpoint topics' co-partitioning: created or checked through the
   * topic plan, the verdict and projection topics with the captured topic's partition count.
   */
  private int ensureInternalTopics() {
    TopicPlan plan = config.topicPlan();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", config.getString(SyncStreamsConfig.BOOTSTRAP_SERVERS)))) {
      plan.ensure(admin, List.of(Topics.CAPTURED, Topics.RED_LEDGER, Topics.RED_VERDICTS, Topics.PROJECTION, Topics.AUDIT_CHECKPOINTS));
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

  @Override
  public synchronized void close() {
    if (streams != null) {
      // Streams' consumers do not leave the group on close by default (to ride out a quick bounce);
      // a stopped instance leaves explicitly, so a restart does not wait out the old member's session
      streams.close(org.apache.kafka.streams.CloseOptions.timeout(Duration.ofSeconds(30))
          .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
  }
}
