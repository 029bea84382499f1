package io.invoicesync.projector;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code invoices.synced} and applies it to the query store in batches.
 *
 * <p>Order of effects per poll: undecodable records go to the DLT; the rest are written in one
 * transaction; only then are the offsets committed. While the query store is unreachable the
 * partitions are paused and the same batch is retried with bounded exponential back-off, skipping
 * nothing and dead-lettering nothing; {@link #isHealthy()} is false meanwhile. A failure that
 * belongs to a record (see {@link ProjectorErrorClassifier}) is isolated by writing the batch's
 * records one by one; the record that still fails is dead-lettered with its provenance.
 */
public final class ProjectorService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ProjectorService.class);
  public static final String STAGE = "projector";
  private static final int RECORD_TRANSIENT_ATTEMPTS = 3;

  private final ProjectorConfig config;
  private final Counter applied;
  private final Counter skippedOlder;
  private final Counter deadLettered;
  private final Timer batchTimer;
  private final AtomicLong outageSince = new AtomicLong(0);
  private final AtomicBoolean running = new AtomicBoolean();
  private final Deserializer<InvoiceState> stateDeserializer;

  private HikariDataSource dataSource;
  private QueryStoreWriter writer;
  private KafkaConsumer<String, byte[]> consumer;
  private KafkaProducer<byte[], byte[]> dltProducer;
  private Thread thread;
  private volatile Throwable failure;

  public ProjectorService(ProjectorConfig config, MeterRegistry registry) {
    this.config = config;
    this.applied = Counter.builder("invoicesync.projector.applied").description("invoice states applied to the query store").register(registry);
    this.skippedOlder = Counter.builder("invoicesync.projector.skipped.older")
        .description("states not applied because the store already held the same or a newer source position").register(registry);
    this.deadLettered = Counter.builder("invoicesync.projector.dead.lettered").description("records sent to the DLT").register(registry);
    this.batchTimer = Timer.builder("invoicesync.projector.batch").description("time to write one batch").register(registry);
    registry.gauge("invoicesync.projector.outage", outageSince, a -> a.get() == 0 ? 0 : 1);
    this.stateDeserializer = SerdeFactory.of(config.getString(ProjectorConfig.SCHEMA_REGISTRY_URL)).valueSerde(InvoiceState.class).deserializer();
  }

  public synchronized void start() {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(config.getString(ProjectorConfig.JDBC_URL));
    hc.setUsername(config.getString(ProjectorConfig.JDBC_USER));
    hc.setPassword(config.getPassword(ProjectorConfig.JDBC_PASSWORD).value());
    hc.setMaximumPoolSize(2);
    hc.setConnectionTimeout(2_000);
    hc.setInitializationFailTimeout(-1); // start even when the store is down; the loop backs off
    hc.setPoolName("projector");
    dataSource = new HikariDataSource(hc);
    if (config.getBoolean(ProjectorConfig.MIGRATE)) {
      QueryStoreSchema.migrate(dataSource);
    }
    writer = new QueryStoreWriter(dataSource);

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.getString(ProjectorConfig.BOOTSTRAP_SERVERS));
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, config.getString(ProjectorConfig.GROUP_ID));
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.getInt(ProjectorConfig.MAX_POLL_RECORDS));
    consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(config.getString(ProjectorConfig.SYNCED_TOPIC)));

    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.getString(ProjectorConfig.BOOTSTRAP_SERVERS));
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    dltProducer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());

    running.set(true);
    thread = new Thread(this::loop, "invoice-sync-projector");
    thread.start();
    log.info("projector started: {} -> {}", config.getString(ProjectorConfig.SYNCED_TOPIC), config.getString(ProjectorConfig.JDBC_URL));
  }

  private void loop() {
    try {
      while (running.get()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        if (process(records)) {
          Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
          for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> part = records.records(tp);
            offsets.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
          }
          consumer.commitSync(offsets);
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        failure = e;
      }
    } catch (Throwable t) {
      failure = t;
      log.error("projector stopped on an unexpected error; offsets of the failed batch were not committed", t);
    } finally {
      consumer.close();
    }
  }

  /** Returns false only when stopping interrupted the batch (its offsets must then not be committed). */
  private boolean process(ConsumerRecords<String, byte[]> records) throws InterruptedException, ExecutionException {
    List<ConsumerRecord<String, byte[]>> decodedRecords = new ArrayList<>();
    List<InvoiceState> states = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      try {
        InvoiceState s = stateDeserializer.deserialize(r.topic(), r.headers(), r.value());
        if (s == null) {
          throw new IllegalArgumentException("null value: invoices.synced never carries tombstones");
        }
        states.add(s);
        decodedRecords.add(r);
      } catch (RuntimeException e) {
        deadLetter(r, e, ProjectorErrorClassifier.Kind.POISON_PILL, 1);
      }
    }
    if (states.isEmpty()) {
      return true;
    }
    long backoff = config.getLong(ProjectorConfig.BACKOFF_INITIAL_MS);
    while (running.get()) {
      try {
        long t0 = System.nanoTime();
        QueryStoreWriter.WriteResult result = writer.write(states);
        batchTimer.record(Duration.ofNanos(System.nanoTime() - t0));
        applied.increment(result.applied());
        skippedOlder.increment(result.skippedOlder());
        endOutage();
        return true;
      } catch (SQLException | RuntimeException e) {
        ProjectorErrorClassifier.Kind kind = ProjectorErrorClassifier.classify(e);
        if (kind == ProjectorErrorClassifier.Kind.OUTAGE) {
          beginOutage(e);
          consumer.pause(consumer.assignment());
          consumer.poll(Duration.ofMillis(backoff)); // waits, keeps the group membership; paused: returns nothing
          backoff = Math.min(backoff * 2, config.getLong(ProjectorConfig.BACKOFF_MAX_MS));
          continue;
        }
        endOutage();
        writeOneByOne(decodedRecords, states);
        return true;
      }
    }
    return false;
  }

  /** Isolates the record(s) that fail: each is written alone; what still fails is dead-lettered. */
  private void writeOneByOne(List<ConsumerRecord<String, byte[]>> records, List<InvoiceState> states)
      throws InterruptedException, ExecutionException {
    for (int i = 0; i < states.size(); i++) {
      int attempt = 1;
      while (true) {
        try {
          QueryStoreWriter.WriteResult result = writer.write(List.of(states.get(i)));
          applied.increment(result.applied());
          skippedOlder.increment(result.skippedOlder());
          break;
        } catch (SQLException | RuntimeException e) {
          ProjectorErrorClassifier.Kind kind = ProjectorErrorClassifier.classify(e);
          if (kind == ProjectorErrorClassifier.Kind.RECORD_TRANSIENT && attempt < RECORD_TRANSIENT_ATTEMPTS) {
            attempt++;
            continue;
          }
          if (kind == ProjectorErrorClassifier.Kind.OUTAGE) {
            throw new IllegalStateException("query store became unreachable while isolating a failing record", e);
          }
          deadLetter(records.get(i), e, kind, attempt);
          break;
        }
      }
    }
  }

  private void deadLetter(ConsumerRecord<String, byte[]> r, Exception e, ProjectorErrorClassifier.Kind kind, int attempts)
      throws InterruptedException, ExecutionException {
    Headers h = new RecordHeaders(r.headers().toArray());
    long now = System.currentTimeMillis();
    put(h, DeadLetterHeaders.ORIGINAL_TOPIC, r.topic());
    put(h, DeadLetterHeaders.ORIGINAL_PARTITION, Integer.toString(r.partition()));
    put(h, DeadLetterHeaders.ORIGINAL_OFFSET, Long.toString(r.offset()));
    put(h, DeadLetterHeaders.ORIGINAL_TIMESTAMP, Long.toString(r.timestamp()));
    put(h, DeadLetterHeaders.ORIGINAL_KEY, r.key() == null ? "" : r.key());
    put(h, DeadLetterHeaders.EXCEPTION_CLASS, e.getClass().getName());
    put(h, DeadLetterHeaders.EXCEPTION_MESSAGE, kind + ": " + e.getMessage());
    put(h, DeadLetterHeaders.EXCEPTION_STACKTRACE, DeadLetterHeaders.boundedStackTrace(e));
    put(h, DeadLetterHeaders.STAGE, STAGE);
    put(h, DeadLetterHeaders.ATTEMPTS, Integer.toString(attempts));
    put(h, DeadLetterHeaders.FIRST_FAILURE_TIMESTAMP, Long.toString(now));
    byte[] key = r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8);
    dltProducer.send(new ProducerRecord<>(config.getString(ProjectorConfig.SYNCED_DLT_TOPIC), null, key, r.value(), h)).get();
    deadLettered.increment();
    log.warn("dead-lettered {}-{}@{} ({}): {}", r.topic(), r.partition(), r.offset(), kind, e.getMessage());
  }

  private static void put(Headers h, String key, String value) {
    h.remove(key);
    h.add(key, value.getBytes(StandardCharsets.UTF_8));
  }

  private void beginOutage(Exception e) {
    if (outageSince.compareAndSet(0, System.currentTimeMillis())) {
      log.warn("query store unreachable, pausing consumption and retrying in place: {}", e.getMessage());
    }
  }

  private void endOutage() {
    if (outageSince.getAndSet(0) != 0) {
      consumer.resume(consumer.paused());
      log.info("query store reachable again, consumption resumed");
    }
  }

  /** False while the query store is unreachable or after the loop stopped on an error. */
  public boolean isHealthy() {
    return running.get() && failure == null && outageSince.get() == 0;
  }

  public Throwable failure() {
    return failure;
  }

  public double appliedCount() {
    return applied.count();
  }

  @Override
  public synchronized void close() {
    running.set(false);
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (dltProducer != null) {
      dltProducer.close();
    }
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
