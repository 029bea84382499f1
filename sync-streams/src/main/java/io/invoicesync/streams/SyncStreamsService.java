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
    streams = new KafkaStreams(SyncTopology.buildTopology(config, metrics), config.streamsProperties());
    streams.setUncaughtExceptionHandler(e -> {
      log.error("sync-streams thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.start();
    log.info("sync-streams started: application.id={}", config.getString(SyncStreamsConfig.APPLICATION_ID));
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
