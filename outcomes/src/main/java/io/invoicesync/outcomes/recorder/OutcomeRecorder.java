package io.invoicesync.outcomes.recorder;

import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.runtime.Commits;
import io.invoicesync.runtime.ConsumerLoop;
import io.invoicesync.runtime.StoreOutage;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.SerdeFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the pipeline decided about every invoice into the query store, from the topics: the
 * audit trail ({@code invoices.audit}, every decision of every stage) into {@code invoice_event}
 * and the per-invoice {@code invoice_outcome}; the latest rejection with every violation
 * ({@code invoices.rejected}) into {@code invoice_rejection}; dead letters of both DLTs, their
 * provenance without payload, into {@code dead_letter}; and per stage the newest source position
 * handled into {@code pipeline_watermark}. Trace, rejection search, status and reconcile read them.
 *
 * <p>The loop is the shared {@link ConsumerLoop} (module {@code runtime}); one poll is one database
 * transaction; offsets are committed after it. A re-read after a crash
 * changes nothing: events and dead letters are keyed by their topic coordinates, outcomes remember
 * the newest audit offset folded in, rejections keep the newest source position. While the query
 * store is unreachable, the same transaction is retried in place with capped exponential back-off.
 */
public final class OutcomeRecorder implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OutcomeRecorder.class);

  /**
   * What the recorder reads and where it writes, as the process's configuration says (the
   * projector's {@code projector.topic.*}, {@code projector.outcomes.group.id}, its query store and
   * outage back-off: the recorder runs beside the projector).
   *
   * @param checkpointsTopic the audit checkpoints, each anchored in the query store ({@code audit_anchor})
   * @param anchorDir        where each checkpoint is also appended as a JSON line, or null
   * @param deadLetterTopics both dead-letter topics, whose provenance is recorded without payload
   * @param consumer         the consumer's properties, group id included (read_committed)
   * @param pool             opens the recorder's connection pool to the query store
   * @param storeName        the query store, for the start-up log line (no credentials)
   */
  public record Settings(String auditTopic, String rejectedTopic, String checkpointsTopic, Path anchorDir, Set<String> deadLetterTopics,
                         SerdeFactory serdes, Properties consumer,
                         Supplier<HikariDataSource> pool, String storeName, long backoffInitialMs, long backoffMaxMs) {

    public Settings {
      deadLetterTopics = Set.copyOf(deadLetterTopics);
    }
  }

  private final Settings settings;
  private final MeterRegistry registry;
  private final Deserializer<AuditEntry> auditDeserializer;
  private final Deserializer<InvoiceRejected> rejectedDeserializer;
  private final Deserializer<AuditCheckpoint> checkpointDeserializer;
  private final AnchorFiles anchorFiles;
  private final Map<String, Counter> eventCounters = new ConcurrentHashMap<>();
  private final Counter undecodable;
  private final ConsumerLoop<String, byte[]> loop;
  private HikariDataSource dataSource;
  private OutcomeStore store;

  public OutcomeRecorder(Settings settings, MeterRegistry registry) {
    this.settings = settings;
    this.registry = registry;
    this.auditDeserializer = settings.serdes().valueSerde(AuditEntry.class).deserializer();
    this.rejectedDeserializer = settings.serdes().valueSerde(InvoiceRejected.class).deserializer();
    this.checkpointDeserializer = settings.serdes().valueSerde(AuditCheckpoint.class).deserializer();
    this.anchorFiles = settings.anchorDir() == null ? null : new AnchorFiles(settings.anchorDir());
    this.undecodable = Counter.builder("invoicesync.outcomes.undecodable")
        .description("audit or rejection records the outcome recorder could not decode (left on their topic)").register(registry);
    this.loop = new ConsumerLoop<>("outcomes", "outcome recorder", log, new ExponentialBackoff(settings.backoffInitialMs(), 2,
        settings.backoffMaxMs(), 0.2));
    registry.gauge("invoicesync.outcomes.outage", loop.outage().since(), a -> a.get() == 0 ? 0 : 1);
  }

  public synchronized void start() {
    dataSource = settings.pool().get();
    store = new OutcomeStore(dataSource);

    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer(), new StringDeserializer(), new ByteArrayDeserializer());
    List<String> topics = new ArrayList<>(List.of(settings.auditTopic(), settings.rejectedTopic(), settings.checkpointsTopic()));
    topics.addAll(settings.deadLetterTopics());
    consumer.subscribe(topics);
    loop.start(consumer, this::record);
    log.info("outcome recorder started: {} -> {}", topics, settings.storeName());
  }

  /** One poll in one transaction; the offsets after it, to commit. */
  private Map<TopicPartition, OffsetAndMetadata> record(ConsumerRecords<String, byte[]> records) throws SQLException, StoreOutage.Stopped {
    // a schema registry outage is ridden out like the store's: decoded again until the registry answers
    OutcomeStore.Batch batch = loop.ride(() -> decode(records));
    loop.ride(() -> store.write(batch));
    if (anchorFiles != null && !batch.anchors.isEmpty()) {
      anchorFiles.append(batch.anchors); // after the store's commit: a crash before the offsets' commit repeats lines, never loses one
    }
    batch.events.forEach(e -> eventCounters.computeIfAbsent(e.entry().getEvent(), k -> Counter.builder("invoicesync.outcomes")
        .description("audit events recorded in the query store, by event").tag("event", k).register(registry)).increment());
    return Commits.after(records);
  }

  private OutcomeStore.Batch decode(ConsumerRecords<String, byte[]> records) {
    OutcomeStore.Batch b = new OutcomeStore.Batch();
    for (ConsumerRecord<String, byte[]> r : records) {
      try {
        if (r.topic().equals(settings.auditTopic())) {
          b.events.add(new OutcomeStore.AuditRecord(r.partition(), r.offset(), auditDeserializer.deserialize(r.topic(), r.headers(), r.value())));
        } else if (r.topic().equals(settings.rejectedTopic())) {
          InvoiceRejected rej = rejectedDeserializer.deserialize(r.topic(), r.headers(), r.value());
          b.rejections.merge(rej.getInvoiceId(), rej, (a, n) -> n.getSource().getLsn() >= a.getSource().getLsn() ? n : a);
        } else if (r.topic().equals(settings.checkpointsTopic())) {
          b.anchors.add(new OutcomeStore.AnchorRecord(r.partition(), r.offset(),
              checkpointDeserializer.deserialize(r.topic(), r.headers(), r.value())));
        } else if (settings.deadLetterTopics().contains(r.topic())) {
          b.deadLetters.add(r);
        }
      } catch (RuntimeException e) {
        if (SerdeFactory.unreachable(e)) {
          throw e; // the registry, not the record
        }
        undecodable.increment();
        log.error("cannot decode {}-{}@{}; it stays on its topic and is not in the query store: {}", r.topic(), r.partition(), r.offset(),
            e.getMessage());
      }
    }
    return b;
  }

  /** False while the query store is unreachable or after the loop stopped on an error. */
  public boolean isHealthy() {
    return health().ready();
  }

  public Throwable failure() {
    return loop.failure();
  }

  /** For the management port: up, riding out a query-store outage, or failed for good. */
  public ComponentHealth health() {
    return loop.health(Map.of());
  }

  @Override
  public synchronized void close() {
    loop.close();
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
