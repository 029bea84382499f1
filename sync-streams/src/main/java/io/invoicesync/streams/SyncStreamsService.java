package io.invoicesync.streams;

import io.micrometer.core.instrument.MeterRegistry;
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
    ensureInternalTopics();
    streams = new KafkaStreams(SyncTopology.buildTopology(config, metrics), config.streamsProperties());
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
  private void ensureInternalTopics() {
    String captured = config.getString(SyncStreamsConfig.CAPTURED_TOPIC);
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
        java.util.Map.of("bootstrap.servers", config.getString(SyncStreamsConfig.BOOTSTRAP_SERVERS)))) {
      int partitions = partitions(admin, captured);
      java.util.Set<String> existing = admin.listTopics().names().get();
      java.util.List<org.apache.kafka.clients.admin.NewTopic> create = new java.util.ArrayList<>();
      for (String name : java.util.List.of(config.redLedgerTopic(), config.redVerdictTopic())) {
        if (!existing.contains(name)) {
          create.add(new org.apache.kafka.clients.admin.NewTopic(name, java.util.Optional.of(partitions), java.util.Optional.empty()));
        }
      }
      if (!create.isEmpty()) {
        admin.createTopics(create).all().get();
      }
      int verdictPartitions = partitions(admin, config.redVerdictTopic());
      if (verdictPartitions != partitions) {
        throw new IllegalStateException("topic " + config.redVerdictTopic() + " has " + verdictPartitions + " partitions but " + captured
            + " has " + partitions + "; they must be co-partitioned (same count)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot create sync-streams' red-letter topics: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * Partition count of a topic; a topic created a moment ago may not be known to the broker yet
   * (metadata propagates after creation), so that one error is retried for up to 30 s.
   */
  private static int partitions(org.apache.kafka.clients.admin.Admin admin, String topic)
      throws InterruptedException, java.util.concurrent.ExecutionException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long backoff = 50;
    while (true) {
      try {
        return admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(backoff); // bounded retry of metadata propagation, doubling to 1 s
        backoff = Math.min(1000, backoff * 2);
      }
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
