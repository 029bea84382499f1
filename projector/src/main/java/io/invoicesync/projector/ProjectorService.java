package io.invoicesync.projector;

import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.projector.internal.ProjectionPolicy;
import io.invoicesync.projector.internal.RetryState;
import io.invoicesync.runtime.ConsumerLoop;
import io.invoicesync.runtime.ErrorClassifier;
import io.invoicesync.runtime.StoreOutage;
import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Stage;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code invoices.synced} and applies it to the query store in batches (ARCHITECTURE.md,
 * error taxonomy; see {@link ErrorClassifier}). This class wires the projector's parts, by role:
 *
 * <ul>
 *   <li>{@link ConsumerLoop} (module {@code runtime}, shared with the outcome recorder): the thread
 *       that polls, commits after the write, rides out an <b>outage</b> in place (partitions paused,
 *       the same write retried with capped exponential back-off; nothing skipped, nothing
 *       dead-lettered; {@link #isHealthy()} false meanwhile) and captures a failure;</li>
 *   <li>{@link RecordProjector}: what a poll's records become, as the pure {@link ProjectionPolicy}
 *       decides: applied, or on a <b>record-specific transient</b> failure sent to
 *       {@code invoices.synced.retry} with its invoice <i>parked</i> (its later records follow it
 *       there, so the store never applies them out of order; other invoices flow on), or on a
 *       <b>non-retriable, exhausted, poison pill</b> failure sent to {@code invoices.synced.dlt}
 *       ({@link FailedRecords}); every decision reported ({@link ProjectionReports});</li>
 *   <li>{@link RetryState}: what this instance knows of the records waiting on its retry partitions
 *       (parked invoices, heads' attempts, partitions held until due), its invariants in one place;</li>
 *   <li>{@link RetryPartitions}: the retry partitions on the consumer's side: held (paused) until
 *       their head is due, restored after a rebalance, expired records answered.</li>
 * </ul>
 *
 * <p>Both topics are consumed by one consumer with the range assignor, and the retry topic has the
 * synced topic's partition count (the topic plan checks it at start): a key's main and retry
 * partitions are always owned by the same instance, which is what lets parking be a local decision.
 * Offsets are committed only after the database commit and after every record sent to the retry
 * topic or DLT, and every {@link ProjectionEvent}, was acknowledged.
 */
public final class ProjectorService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ProjectorService.class);
  public static final String STAGE = Stage.PROJECTOR.id();

  private final ProjectorConfig config;
  private final MeterRegistry registry;
  private final String syncedTopic;
  private final String retryTopic;
  private final ProjectorMetrics metrics;
  private final SerdeFactory serdes;
  private final Deserializer<InvoiceState> states;
  private final ProjectionPolicy policy;
  private final RetryState retryState = new RetryState();
  private final ConsumerLoop<String, byte[]> loop;

  private HikariDataSource dataSource;
  private KafkaConsumer<String, byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private KafkaClientMetrics consumerMetrics;
  private KafkaClientMetrics producerMetrics;
  /** Records behind the end of the assigned partitions, as of the last poll (-1 before the first). */
  private volatile long lag = -1;
  private long lagMeasuredAt;

  public ProjectorService(ProjectorConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    this.syncedTopic = config.getString(ProjectorConfig.SYNCED_TOPIC);
    this.retryTopic = config.getString(ProjectorConfig.SYNCED_RETRY_TOPIC);
    this.metrics = new ProjectorMetrics(registry);
    this.policy = new ProjectionPolicy(config.getInt(ProjectorConfig.RETRY_MAX_ATTEMPTS),
        ProjectionPolicy.doubling(config.getLong(ProjectorConfig.RETRY_BACKOFF_INITIAL_MS), config.getLong(ProjectorConfig.RETRY_BACKOFF_MAX_MS)));
    this.loop = new ConsumerLoop<>(STAGE, "projector", log, new ExponentialBackoff(config.getLong(ProjectorConfig.BACKOFF_INITIAL_MS), 2,
        config.getLong(ProjectorConfig.BACKOFF_MAX_MS), 0.2));
    registry.gauge("invoicesync.projector.outage", loop.outage().since(), a -> a.get() == 0 ? 0 : 1);
    registry.gauge("invoicesync.projector.parked.invoices", retryState, RetryState::parkedInvoices);
    this.serdes = SerdeFactory.of(config.getString(ProjectorConfig.SCHEMA_REGISTRY_URL), config.originals());
    this.states = serdes.valueSerde(InvoiceState.class).deserializer();
  }

  /**
   * The query store's connection pool, and its schema migrated when {@code migrate} is on: what every other reader and
   * writer of the store needs first. Called by {@link #start()}; a caller that starts other stages may call it earlier
   * (and wait for it only where the store is needed). Once.
   */
  public synchronized void prepareQueryStore() {
    if (dataSource != null) {
      return;
    }
    dataSource = config.queryStorePool("projector", 2, registry);
    if (config.getBoolean(ProjectorConfig.MIGRATE)) {
      QueryStoreSchema.migrate(dataSource);
    }
  }

  public synchronized void start() {
    prepareQueryStore();
    QueryStoreWriter writer = new QueryStoreWriter(dataSource);
    try (Admin admin = Admin.create(config.adminProperties())) {
      // the retry topic takes the synced topic's partition count, so a key's two partitions go to one instance
      config.topicPlan().ensure(admin, List.of(Topics.SYNCED, Topics.SYNCED_RETRY, Topics.PROJECTION));
    }

    Properties cp = config.consumerProperties(config.getString(ProjectorConfig.GROUP_ID));
    cp.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName()); // co-locates synced p and retry p
    consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer());
    RetryPartitions retryPartitions = new RetryPartitions(config, consumer, retryState, loop.outage(), metrics);
    consumer.subscribe(List.of(syncedTopic, retryTopic), retryPartitions);

    producer = new KafkaProducer<>(config.producerProperties("invoice-sync-projector"), new ByteArraySerializer(), new ByteArraySerializer());
    consumerMetrics = new KafkaClientMetrics(consumer);
    consumerMetrics.bindTo(registry);
    producerMetrics = new KafkaClientMetrics(producer);
    producerMetrics.bindTo(registry);
    FailedRecords failedRecords = new FailedRecords(producer, retryTopic, config.getString(ProjectorConfig.SYNCED_DLT_TOPIC));
    ProjectionReports reports = new ProjectionReports(producer, config.getString(ProjectorConfig.PROJECTION_TOPIC),
        serdes.valueSerde(ProjectionEvent.class).serializer(), metrics.commitToVisible, metrics.watermarkLagMs);
    RecordProjector projector = new RecordProjector(
        new RecordProjector.Inputs(syncedTopic, retryTopic, states), policy, loop, retryState,
        retryPartitions, new RecordProjector.Outputs(writer, failedRecords, reports), metrics);

    loop.start(consumer, new ConsumerLoop.Handler<>() {
      @Override
      public void beforePoll() {
        retryPartitions.resumeDue();
      }

      @Override
      public Duration pollTimeout() {
        return retryPartitions.pollTimeout();
      }

      @Override
      public void polled(ConsumerRecords<String, byte[]> records) {
        measureLag();
        if (records.isEmpty()) {
          metrics.watermarkLagMs.set(0);
        }
      }

      @Override
      public Map<TopicPartition, OffsetAndMetadata> write(ConsumerRecords<String, byte[]> records) throws StoreOutage.Stopped {
        return projector.project(records);
      }
    });
    log.info("projector started: {} (+ {}) -> {}", syncedTopic, retryTopic, config.getString(ProjectorConfig.JDBC_URL).replaceAll("\\?.*", ""));
  }

  /** At most once a second, on the poll thread: the records behind the end of the assigned partitions. */
  private void measureLag() {
    long now = System.currentTimeMillis();
    if (now - lagMeasuredAt < 1000) {
      return;
    }
    lagMeasuredAt = now;
    long sum = 0;
    for (TopicPartition tp : consumer.assignment()) {
      sum += consumer.currentLag(tp).orElse(0);
    }
    lag = sum;
  }

  /** False while the query store is unreachable or after the loop stopped on an error. */
  public boolean isHealthy() {
    return health().ready();
  }

  /** For the management port: up, riding out a query-store outage, or failed for good (the process should end). */
  public ComponentHealth health() {
    return loop.health(Map.of("lag", lag, "parkedInvoices", retryState.parkedInvoices()));
  }

  public Throwable failure() {
    return loop.failure();
  }

  public double appliedCount() {
    return metrics.applied.count();
  }

  /** States not applied because the store held the same or a newer source position (replays, redeliveries). */
  public double skippedOlderCount() {
    return metrics.skippedOlder.count();
  }

  public double retriedCount() {
    return metrics.retried.count();
  }

  public double deadLetteredCount() {
    return metrics.deadLettered.count();
  }

  @Override
  public synchronized void close() {
    loop.close();
    if (consumerMetrics != null) {
      consumerMetrics.close();
      producerMetrics.close();
    }
    if (producer != null) {
      producer.close();
    }
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
