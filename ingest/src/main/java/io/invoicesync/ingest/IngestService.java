package io.invoicesync.ingest;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.invoicesync.ingest.internal.IssuingDatabaseCheck;
import io.invoicesync.ingest.internal.SnapshotLineLoader;
import io.invoicesync.ingest.internal.TransactionAssembler;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.SerdeFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures invoices from the issuing database with Debezium's embedded engine (PostgreSQL
 * connector, pgoutput) and publishes one {@link InvoiceChange} per invoice per source transaction
 * to {@code invoices.captured}, keyed by invoice id, through an idempotent producer.
 *
 * <p>Delivery: a batch's source offsets are marked processed only after its changes are
 * acknowledged by Kafka, and never inside an open transaction; Debezium stores them in the offsets
 * topic. After a crash the engine re-reads from the last committed offset (at-least-once), and
 * sync-streams drops the redelivered changes by source position.
 *
 * <p>Size: about 400 lines: the engine's configuration (every Debezium key ingest relies on, in one
 * place, with the reason for each) and its lifecycle, health and notification relay; the
 * transaction assembly is in {@code TransactionAssembler}, the database checks in {@code IssuingDatabaseCheck}.
 */
public final class IngestService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(IngestService.class);

  private final IngestConfig config;
  private final Counter changesCaptured;
  private final Counter transactions;
  private final AtomicLong lastCommitTs = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  private KafkaProducer<String, InvoiceChange> producer;
  private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private ExecutorService executor;
  private TransactionAssembler assembler;
  private SnapshotLineLoader lineLoader;
  /** The issuing cluster's epoch the changes are published with; re-checked when positions go back (see {@link #followCluster}). */
  private volatile long epoch;
  private long maxLsnPublished = Long.MIN_VALUE;
  private Connection identity;
  private io.invoicesync.ingest.internal.OversizeGuard oversize;
  private volatile boolean running;
  private volatile boolean closing;
  /** Since when Kafka refuses the batch being published (epoch ms), 0 when it does not. */
  private final AtomicLong outageSince = new AtomicLong();
  private volatile String outageCause;
  private final org.apache.kafka.common.utils.ExponentialBackoff outageBackoff =
      new org.apache.kafka.common.utils.ExponentialBackoff(200, 2, 10_000, 0.2);
  private io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics producerMetrics;
  private final MeterRegistry registry;
  private static final com.fasterxml.jackson.databind.ObjectMapper NOTIFICATION_JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  private KafkaProducer<String, String> notificationProducer;
  private final Gauge lastCommitGauge;

  public IngestService(IngestConfig config, MeterRegistry registry) {
    this.config = config;
    this.changesCaptured = Counter.builder("invoicesync.ingest.changes").description("InvoiceChange records published").register(registry);
    this.transactions = Counter.builder("invoicesync.ingest.batches").description("Debezium batches handled").register(registry);
    this.registry = registry;
    // removed again on close: a restarted ingest on the same registry registers its own, instead of
    // Micrometer handing back the old gauge bound to the stopped service's (weakly held) value
    this.lastCommitGauge = Gauge.builder("invoicesync.ingest.last.commit.ts", lastCommitTs, AtomicLong::get)
        .description("source commit time (epoch ms) of the last transaction published").register(registry);
  }

  /** Checks the database, then starts the engine on its own thread. Returns once the engine runs. */
  /**
   * Guards start and close, and not the same monitor as {@link #handleBatch}: close waits for the
   * engine to stop, and the engine's thread may be about to hand over one more batch (a heartbeat, a
   * notification); holding the handler's monitor here made the two wait for each other until
   * Debezium's stop timeouts ran out, and a restart in the same JVM then found the old engine's
   * metrics still registered.
   */
  private final Object lifecycle = new Object();

  public void start() {
    synchronized (lifecycle) {
      doStart();
    }
  }

  private void doStart() {
    IssuingDatabaseCheck.verify(config);
    List<io.invoicesync.schemas.Topic<?>> own = new ArrayList<>();
    if (!config.getString(IngestConfig.NOTIFICATIONS_TOPIC).isBlank()) {
      own.add(io.invoicesync.schemas.Topics.INGEST_NOTIFICATIONS);
    }
    if (config.kafkaSignals()) {
      own.add(io.invoicesync.schemas.Topics.INGEST_SIGNALS);
    }
    if (!own.isEmpty()) {
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(config.kafkaCommon())) {
        io.invoicesync.schemas.TopicPlan.defaults()
            .named(io.invoicesync.schemas.Topics.INGEST_NOTIFICATIONS, config.getString(IngestConfig.NOTIFICATIONS_TOPIC))
            .named(io.invoicesync.schemas.Topics.INGEST_SIGNALS, config.getString(IngestConfig.SIGNALS_TOPIC))
            .ensure(admin, own);
      }
    }
    SerdeFactory serdes = SerdeFactory.of(config.getString(IngestConfig.SCHEMA_REGISTRY_URL), config.originals());
    Properties pp = new Properties();
    pp.putAll(config.kafkaCommon());
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    pp.put(ProducerConfig.CLIENT_ID_CONFIG, config.getString(IngestConfig.ENGINE_NAME) + "-producer");
    pp.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, io.invoicesync.schemas.Topics.MAX_RECORD_BYTES);
    pp.putAll(config.producerOverrides());
    org.apache.kafka.common.serialization.Serializer<InvoiceChange> valueSerializer = serdes.valueSerde(InvoiceChange.class).serializer();
    producer = new KafkaProducer<>(pp, serdes.keySerde().serializer(), valueSerializer);
    oversize = new io.invoicesync.ingest.internal.OversizeGuard(valueSerializer, config.getString(IngestConfig.CAPTURED_TOPIC),
        config.getInt(IngestConfig.MAX_CHANGE_BYTES));
    producerMetrics = new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(producer);
    producerMetrics.bindTo(registry);
    epoch = IssuingDatabaseCheck.epoch(config);
    maxLsnPublished = Long.MIN_VALUE;
    log.info("issuing cluster epoch {} (initdb {}, timeline {}): every position published carries it", epoch,
        java.time.Instant.ofEpochSecond(epoch / 1000), epoch % 1000);
    assembler = new TransactionAssembler(config.qualifiedInvoiceTable(), config.qualifiedLineTable(), Clock.systemUTC(), epoch);
    lineLoader = new SnapshotLineLoader(config.qualifiedLineTable());

    engine = DebeziumEngine.create(ChangeEventFormat.of(io.debezium.embedded.Connect.class))
        .using(engineProperties())
        .using((success, message, error) -> {
          if (!success && !closing) {
            failure.compareAndSet(null, error != null ? error : new IllegalStateException(message));
            log.error("ingest engine stopped: {}", message, error);
          }
          running = false;
          stopped.complete(null);
        })
        .notifying(this::handleBatch)
        .build();
    executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "invoice-sync-ingest"));
    executor.execute(engine);
    running = true;
    log.info("ingest started: {} -> {}", config.jdbcUrl(), config.getString(IngestConfig.CAPTURED_TOPIC));
  }

  /** The Debezium engine properties this service runs with (public so benchmarks measure the same engine). */
  public Properties engineProperties() {
    Properties p = new Properties();
    p.put("name", config.getString(IngestConfig.ENGINE_NAME));
    p.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.put("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
    p.put("offset.storage.topic", config.getString(IngestConfig.OFFSETS_TOPIC));
    p.put("offset.storage.partitions", "1");
    p.put("offset.storage.replication.factor", "-1");
    // the offset store's producer, consumer and admin take the worker's top-level settings: the shared security ones
    io.invoicesync.schemas.KafkaClients.security(config.originals()).forEach((k, v) -> p.put(k, String.valueOf(v)));
    p.put("bootstrap.servers", config.getString(IngestConfig.BOOTSTRAP_SERVERS));
    p.put("offset.flush.interval.ms", Long.toString(config.getLong(IngestConfig.OFFSET_FLUSH_INTERVAL_MS)));
    p.put("database.hostname", config.getString(IngestConfig.DATABASE_HOSTNAME));
    p.put("database.port", Integer.toString(config.getInt(IngestConfig.DATABASE_PORT)));
    p.put("database.user", config.getString(IngestConfig.DATABASE_USER));
    p.put("database.password", config.getPassword(IngestConfig.DATABASE_PASSWORD).value());
    p.put("database.dbname", config.getString(IngestConfig.DATABASE_DBNAME));
    p.put("topic.prefix", config.getString(IngestConfig.TOPIC_PREFIX));
    p.put("plugin.name", "pgoutput");
    p.put("slot.name", config.getString(IngestConfig.SLOT_NAME));
    p.put("publication.name", config.getString(IngestConfig.PUBLICATION_NAME));
    p.put("publication.autocreate.mode", "disabled"); // created or validated by IssuingDatabaseCheck
    List<String> tables = new ArrayList<>(List.of(config.qualifiedInvoiceTable(), config.qualifiedLineTable()));
    String heartbeatTable = config.qualifiedHeartbeatTable();
    if (heartbeatTable != null) {
      tables.add(heartbeatTable);
      p.put("heartbeat.action.query", "INSERT INTO " + heartbeatTable + " (id, ts) VALUES (1, now()) "
          + "ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts");
    }
    String signalTable = config.qualifiedSignalTable();
    if (config.kafkaSignals()) {
      p.put("signal.enabled.channels", "kafka");
      p.put("signal.kafka.topic", config.getString(IngestConfig.SIGNALS_TOPIC));
      p.put("signal.kafka.bootstrap.servers", config.getString(IngestConfig.BOOTSTRAP_SERVERS));
      p.put("signal.kafka.groupId", config.getString(IngestConfig.ENGINE_NAME) + "-signals");
      io.invoicesync.schemas.KafkaClients.security(config.originals()).forEach((k, v) -> p.put("signal.consumer." + k, String.valueOf(v)));
      p.put("read.only", "true"); // incremental snapshots without watermark writes to the issuing database
    } else if (signalTable != null) {
      tables.add(signalTable);
      p.put("signal.enabled.channels", "source");
      p.put("signal.data.collection", signalTable);
    }
    p.put("table.include.list", String.join(",", tables).replace(".", "\\."));
    if (!config.getString(IngestConfig.NOTIFICATIONS_TOPIC).isBlank()) {
      // Debezium's sink channel hands notifications to this engine's consumer as records of this topic; handleBatch publishes them
      p.put("notification.enabled.channels", "sink");
      p.put("notification.sink.topic.name", config.getString(IngestConfig.NOTIFICATIONS_TOPIC));
    }
    p.put("snapshot.mode", config.getString(IngestConfig.SNAPSHOT_MODE));
    p.put("snapshot.include.collection.list", config.qualifiedInvoiceTable().replace(".", "\\."));
    p.put("provide.transaction.metadata", "true");
    p.put("decimal.handling.mode", "precise");
    p.put("tombstones.on.delete", "false");
    p.put("heartbeat.interval.ms", Integer.toString(config.getInt(IngestConfig.HEARTBEAT_INTERVAL_MS)));
    p.put("slot.drop.on.stop", "false");
    p.put("errors.max.retries", "-1");
    // Debezium hands over a batch when it is full or this interval passed; its 500 ms default
    // dominated commit-to-visible latency at moderate rates
    p.put("poll.interval.ms", "50");
    for (Map.Entry<String, Object> e : config.debeziumOverrides().entrySet()) {
      p.put(e.getKey(), String.valueOf(e.getValue()));
    }
    return p;
  }

  private synchronized void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                                        DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    org.slf4j.MDC.put("component", "ingest"); // Debezium's thread: every log line of this batch says whose it is
    List<InvoiceChange> changes = new ArrayList<>();
    int safe = -1; // index of the last record after which no transaction is open
    String notifications = config.getString(IngestConfig.NOTIFICATIONS_TOPIC);
    for (int i = 0; i < records.size(); i++) {
      if (log.isDebugEnabled()) {
        log.debug("record topic={} key={}", records.get(i).record().topic(), records.get(i).record().key()); // not the value: buyer data
      }
      if (!notifications.isBlank() && notifications.equals(records.get(i).record().topic())) {
        publishNotification(notifications, records.get(i).record());
        if (!assembler.inTransaction()) {
          safe = i;
        }
        continue;
      }
      changes.addAll(assembler.accept(records.get(i).record()));
      if (!assembler.inTransaction()) {
        safe = i;
      }
    }
    if (!changes.isEmpty()) {
      followCluster(changes);
      loadSnapshotLines(changes);
      changes.replaceAll(oversize::guard);
      publishRidingOutOutages(changes, config.getString(IngestConfig.CAPTURED_TOPIC));
      changesCaptured.increment(changes.size());
      lastCommitTs.set(changes.get(changes.size() - 1).getSource().getCommitTs().toEpochMilli());
    }
    for (int i = 0; i <= safe; i++) {
      committer.markProcessed(records.get(i));
    }
    committer.markBatchFinished();
    transactions.increment();
  }

  /**
   * Keeps the epoch true while the engine runs: Debezium reconnects by itself after the issuing
   * database went away, and may come back to a restored or moved database (and re-snapshot it) without
   * ingest restarting. Positions going back below the highest one published is when that can have
   * happened (concurrent transactions do it too, harmlessly): the cluster is identified again, on a
   * kept-open replication connection, before the batch is published, and the batch carries the epoch
   * found. A cluster that cannot be identified stops ingest rather than publish under a wrong epoch.
   */
  private void followCluster(List<InvoiceChange> changes) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (InvoiceChange c : changes) {
      min = Math.min(min, c.getSource().getLsn());
      max = Math.max(max, c.getSource().getLsn());
    }
    if (min < maxLsnPublished) {
      long current = currentEpoch();
      if (current != epoch) {
        log.warn("the issuing database is another cluster now (epoch {} -> {}; positions back from {} to {}): restored from a backup or "
            + "moved; what is published from here on carries the new epoch", epoch, current, maxLsnPublished, min);
        epoch = current;
        maxLsnPublished = Long.MIN_VALUE;
      }
    }
    maxLsnPublished = Math.max(maxLsnPublished, max);
    long e = epoch;
    changes.replaceAll(c -> c.getSource().getEpoch() == e ? c : InvoiceChange.newBuilder(c)
        .setSource(io.invoicesync.schemas.SourcePosition.newBuilder(c.getSource()).setEpoch(e).build()).build());
  }

  private long currentEpoch() {
    for (int attempt = 1; ; attempt++) {
      try {
        if (identity == null || identity.isClosed()) {
          identity = IssuingDatabaseCheck.identityConnection(config);
        }
        return IssuingDatabaseCheck.epoch(identity);
      } catch (java.sql.SQLException e) {
        closeIdentity(); // a connection to the database that went away: open a new one, once
        if (attempt == 2) {
          throw new IllegalStateException("positions went back and the issuing cluster cannot be identified again (IDENTIFY_SYSTEM): "
              + e.getMessage() + "; ingest stops rather than publish under a wrong epoch", e);
        }
      }
    }
  }

  private void closeIdentity() {
    if (identity != null) {
      try {
        identity.close();
      } catch (java.sql.SQLException ignored) {
        // closing a connection to a database that went away
      }
      identity = null;
    }
  }

  /**
   * Publishes a batch's changes and waits for every acknowledgement. While Kafka is unreachable (a
   * retriable error: timeout, network, not enough replicas) the same changes are sent again after a
   * capped back-off, in place: the batch's offsets stay unmarked, readiness shows OUTAGE, and a
   * change that did reach Kafka before the error is dropped downstream as a redelivery (by source
   * position). Any other error (a record too large, authorization) stops the engine: the process
   * ends, naming it, and a restart re-reads the batch.
   */
  private void publishRidingOutOutages(List<InvoiceChange> changes, String topic) throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      if (attempt > 0 && closing) {
        throw new IllegalStateException("stopped while Kafka was unreachable; the unpublished batch is re-read on restart");
      }
      Exception error = publish(changes, topic);
      if (error == null) {
        if (outageSince.getAndSet(0) != 0) {
          log.info("Kafka reachable again: {} changes published to {}", changes.size(), topic);
        }
        return;
      }
      if (!(error instanceof org.apache.kafka.common.errors.RetriableException) || closing) {
        // offsets stay uncommitted: the engine stops, and a restart re-reads these changes
        throw new IllegalStateException("could not publish " + changes.size() + " changes to " + topic, error);
      }
      if (outageSince.compareAndSet(0, System.currentTimeMillis())) {
        log.warn("cannot publish to {} ({}); retrying the same {} changes with back-off until Kafka answers", topic, error.toString(),
            changes.size());
      }
      outageCause = error.toString();
      Thread.sleep(outageBackoff.backoff(attempt));
    }
  }

  /** Sends every change and flushes; the first send error, or null. */
  private Exception publish(List<InvoiceChange> changes, String topic) {
    AtomicReference<Exception> sendError = new AtomicReference<>();
    try {
      for (InvoiceChange change : changes) {
        producer.send(new ProducerRecord<>(topic, change.getInvoiceId(), change), (md, e) -> {
          if (e != null) {
            sendError.compareAndSet(null, e);
          }
        });
      }
      producer.flush();
    } catch (org.apache.kafka.common.KafkaException e) {
      sendError.compareAndSet(null, e); // send() itself times out waiting for metadata while the cluster is away
    }
    return sendError.get();
  }

  /** A Debezium notification (e.g. an incremental snapshot's progress) as JSON on the notifications topic, for operators' tools. */
  private void publishNotification(String topic, SourceRecord record) {
    if (!(record.value() instanceof org.apache.kafka.connect.data.Struct s)) {
      return;
    }
    Map<String, Object> n = new java.util.LinkedHashMap<>();
    for (org.apache.kafka.connect.data.Field f : s.schema().fields()) {
      n.put(f.name(), s.get(f) instanceof org.apache.kafka.connect.data.Struct inner ? inner.toString() : s.get(f));
    }
    try {
      if (notificationProducer == null) {
        Properties pp = new Properties();
        pp.putAll(config.kafkaCommon());
        pp.put(ProducerConfig.CLIENT_ID_CONFIG, config.getString(IngestConfig.ENGINE_NAME) + "-notifications");
        notificationProducer = new KafkaProducer<>(pp, new org.apache.kafka.common.serialization.StringSerializer(),
            new org.apache.kafka.common.serialization.StringSerializer());
      }
      notificationProducer.send(new ProducerRecord<>(topic, String.valueOf(n.get("aggregate_type")), NOTIFICATION_JSON.writeValueAsString(n)));
      log.info("debezium notification: {} {}", n.get("aggregate_type"), n.get("type"));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      log.warn("notification not published: {}", e.getMessage());
    }
  }

  private void loadSnapshotLines(List<InvoiceChange> changes) {
    List<String> ids = changes.stream().filter(TransactionAssembler::needsLines).map(InvoiceChange::getInvoiceId).toList();
    if (ids.isEmpty()) {
      return;
    }
    Properties props = config.jdbcProperties();
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), props)) {
      Map<String, List<InvoiceLine>> lines = lineLoader.load(c, ids);
      for (int i = 0; i < changes.size(); i++) {
        InvoiceChange ch = changes.get(i);
        if (TransactionAssembler.needsLines(ch)) {
          Invoice after = Invoice.newBuilder(ch.getAfter()).setLines(lines.getOrDefault(ch.getInvoiceId(), List.of())).build();
          changes.set(i, InvoiceChange.newBuilder(ch).setAfter(after).build());
        }
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("cannot load lines of " + ids.size() + " snapshot invoices from " + config.qualifiedLineTable(), e);
    }
  }

  /**
   * Waits until the engine streams from the replication slot (the slot is active), i.e. the initial
   * snapshot, if any, is done and every later commit will be captured from the WAL.
   *
   * @throws IllegalStateException when the engine failed or the timeout passed
   */
  public void awaitStreaming(java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Properties props = config.jdbcProperties();
    long backoffMs = 20;
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), props);
         java.sql.PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, config.getString(IngestConfig.SLOT_NAME));
      while (true) {
        if (failure.get() != null) {
          throw new IllegalStateException("ingest failed before streaming: " + failure.get().getMessage(), failure.get());
        }
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("ingest not streaming from slot " + config.getString(IngestConfig.SLOT_NAME) + " after " + timeout);
        }
        Thread.sleep(backoffMs); // bounded poll of an external condition, doubling up to 500 ms
        backoffMs = Math.min(500, backoffMs * 2);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("cannot query replication slot state on " + config.jdbcUrl(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for ingest to stream", e);
    }
  }

  public boolean isRunning() {
    return running;
  }

  /**
   * For the management port: capturing, starting, or failed for good (the engine stopped on an
   * error, or ended without being asked to): the process should then end, so that an orchestrator
   * restarts it and it resumes from the committed offsets.
   */
  public io.invoicesync.schemas.ComponentHealth health() {
    Throwable f = failure.get();
    if (f != null) {
      return io.invoicesync.schemas.ComponentHealth.failed("FAILED", f);
    }
    if (closing) {
      return new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.STOPPED, "STOPPED", Map.of());
    }
    if (engine == null) {
      return new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.STARTING, "CREATED", Map.of());
    }
    if (!running) {
      return io.invoicesync.schemas.ComponentHealth.failed("ENGINE_ENDED", null);
    }
    long last = lastCommitTs.get();
    long since = outageSince.get();
    if (since != 0) {
      return new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.OUTAGE, "OUTAGE",
          Map.of("outageSince", java.time.Instant.ofEpochMilli(since).toString(), "outage", "Kafka unreachable, retrying: " + outageCause));
    }
    return new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.UP, "CAPTURING",
        last == 0 ? Map.of() : Map.of("lastSourceCommit", java.time.Instant.ofEpochMilli(last).toString()));
  }

  /** Why the engine stopped, or null while it runs or after a clean stop. */
  public Throwable failure() {
    return failure.get();
  }

  @Override
  public void close() {
    synchronized (lifecycle) {
      doClose();
    }
  }

  private void doClose() {
    closing = true;
    try {
      if (engine != null) {
        engine.close();
        stopped.get(60, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      log.warn("ingest engine did not stop cleanly", e);
    } finally {
      if (executor != null) {
        executor.shutdownNow();
      }
      if (producerMetrics != null) {
        producerMetrics.close();
      }
      closeIdentity();
      if (producer != null) {
        producer.close(Duration.ofSeconds(10)); // not forever: during a broker outage unsent changes would hold the stop

      }
      if (notificationProducer != null) {
        notificationProducer.close(Duration.ofSeconds(10));
      }
      registry.remove(lastCommitGauge);
      running = false;
    }
  }
}
