package io.invoicesync.ingest;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.invoicesync.ingest.internal.ChangePublisher;
import io.invoicesync.ingest.internal.ClusterEpochFollower;
import io.invoicesync.ingest.internal.EngineProperties;
import io.invoicesync.ingest.internal.IssuingDatabaseCheck;
import io.invoicesync.ingest.internal.NotificationRelay;
import io.invoicesync.ingest.internal.SnapshotLineLoader;
import io.invoicesync.ingest.internal.TransactionAssembler;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.ComponentHealth.Status;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topic;
import io.invoicesync.schemas.TopicPlan;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

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
 * <p>This class is the shell: the engine's lifecycle, the batch handler that ties the roles
 * together, readiness and health. The roles are in {@code internal}: the engine's configuration in
 * {@code EngineProperties}, the transaction assembly in {@code TransactionAssembler}, the snapshot
 * reads' lines in {@code SnapshotLineLoader}, the cluster's epoch in {@code ClusterEpochFollower},
 * publishing through Kafka outages in {@code ChangePublisher}, Debezium's notifications in
 * {@code NotificationRelay}, the database checks in {@code IssuingDatabaseCheck}.
 */
public final class IngestService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(IngestService.class);

  private final IngestConfig config;
  private final MeterRegistry registry;
  private final Counter changesCaptured;
  private final Counter transactions;
  private final AtomicLong lastCommitTs = new AtomicLong();
  private final Gauge lastCommitGauge;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  /**
   * Guards start and close, and not the same monitor as {@link #handleBatch}: close waits for the
   * engine to stop, and the engine's thread may be about to hand over one more batch (a heartbeat, a
   * notification); holding the handler's monitor here made the two wait for each other until
   * Debezium's stop timeouts ran out, and a restart in the same JVM then found the old engine's
   * metrics still registered.
   */
  private final Object lifecycle = new Object();

  private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private ExecutorService executor;
  private TransactionAssembler assembler;
  private SnapshotLineLoader lineLoader;
  private ClusterEpochFollower cluster;
  private ChangePublisher publisher;
  private NotificationRelay notifications;
  private volatile boolean running;
  private volatile boolean closing;

  public IngestService(IngestConfig config, MeterRegistry registry) {
    this.config = config;
    // several sources in one process: each engine's meters carry its source's name
    String source = config.getString(IngestConfig.SOURCE_NAME);
    io.micrometer.core.instrument.Tags tags = source.isEmpty() ? io.micrometer.core.instrument.Tags.empty()
        : io.micrometer.core.instrument.Tags.of("source", source);
    this.changesCaptured = Counter.builder("invoicesync.ingest.changes").tags(tags).description("InvoiceChange records published").register(registry);
    this.transactions = Counter.builder("invoicesync.ingest.batches").tags(tags).description("Debezium batches handled").register(registry);
    this.registry = registry;
    // removed again on close: a restarted ingest on the same registry registers its own, instead of
    // Micrometer handing back the old gauge bound to the stopped service's (weakly held) value
    this.lastCommitGauge = Gauge.builder("invoicesync.ingest.last.commit.ts", lastCommitTs, AtomicLong::get).tags(tags)
        .description("source commit time (epoch ms) of the last transaction published").register(registry);
  }

  /** Checks the database, then starts the engine on its own thread. Returns once the engine runs. */
  public void start() {
    synchronized (lifecycle) {
      doStart();
    }
  }

  private void doStart() {
    IssuingDatabaseCheck.verify(config);
    ensureOwnTopics();
    SerdeFactory serdes = SerdeFactory.of(config.getString(IngestConfig.SCHEMA_REGISTRY_URL), config.originals());
    publisher = new ChangePublisher(config, serdes, registry, () -> closing);
    cluster = ClusterEpochFollower.identify(config);
    Mapping mapping = config.mapping();
    assembler = new TransactionAssembler(mapping, Clock.systemUTC(), cluster.epoch()).named(config.getString(IngestConfig.SOURCE_NAME));
    lineLoader = new SnapshotLineLoader(config, mapping);
    notifications = new NotificationRelay(config);

    engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
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

  /** Creates the notifications and signals topics ingest uses, when they are missing; Debezium's offsets topic it creates itself. */
  private void ensureOwnTopics() {
    List<Topic<?>> own = new ArrayList<>();
    if (!config.getString(IngestConfig.NOTIFICATIONS_TOPIC).isBlank()) {
      own.add(Topics.INGEST_NOTIFICATIONS);
    }
    if (config.kafkaSignals()) {
      own.add(Topics.INGEST_SIGNALS);
    }
    if (!own.isEmpty()) {
      try (Admin admin = Admin.create(config.kafkaCommon())) {
        TopicPlan.defaults()
            .named(Topics.INGEST_NOTIFICATIONS, config.getString(IngestConfig.NOTIFICATIONS_TOPIC))
            .named(Topics.INGEST_SIGNALS, config.getString(IngestConfig.SIGNALS_TOPIC))
            .ensure(admin, own);
      }
    }
  }

  /** The Debezium engine properties this service runs with (public so benchmarks measure the same engine). */
  public Properties engineProperties() {
    return EngineProperties.of(config);
  }

  private synchronized void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                                        DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    MDC.put("component", "ingest"); // Debezium's thread: every log line of this batch says whose it is
    List<InvoiceChange> changes = new ArrayList<>();
    int safe = -1; // index of the last record after which no transaction is open
    for (int i = 0; i < records.size(); i++) {
      SourceRecord record = records.get(i).record();
      if (log.isDebugEnabled()) {
        log.debug("record topic={} key={}", record.topic(), record.key()); // not the value: buyer data
      }
      if (notifications.isNotification(record)) {
        notifications.relay(record);
      } else {
        changes.addAll(assembler.accept(record));
      }
      if (!assembler.inTransaction()) {
        safe = i;
      }
    }
    if (!changes.isEmpty()) {
      cluster.follow(changes);
      lineLoader.addLines(changes, assembler::joinValuesOf);
      assembler.forgetReads();
      publisher.publish(changes);
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
   * Waits until the engine streams from the replication slot (the slot is active), i.e. the initial
   * snapshot, if any, is done and every later commit will be captured from the WAL.
   *
   * @throws IllegalStateException when the engine failed or the timeout passed
   */
  public void awaitStreaming(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Properties props = config.jdbcProperties();
    long backoffMs = 20;
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), props);
         PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, config.getString(IngestConfig.SLOT_NAME));
      while (true) {
        if (failure.get() != null) {
          throw new IllegalStateException("ingest failed before streaming: " + failure.get().getMessage(), failure.get());
        }
        try (ResultSet rs = ps.executeQuery()) {
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
    } catch (SQLException e) {
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
  public ComponentHealth health() {
    Throwable f = failure.get();
    if (f != null) {
      return ComponentHealth.failed("FAILED", f);
    }
    if (closing) {
      return new ComponentHealth(Status.STOPPED, "STOPPED", Map.of());
    }
    if (engine == null) {
      return new ComponentHealth(Status.STARTING, "CREATED", Map.of());
    }
    if (!running) {
      return ComponentHealth.failed("ENGINE_ENDED", null);
    }
    Optional<ChangePublisher.Outage> outage = publisher.outage();
    if (outage.isPresent()) {
      return new ComponentHealth(Status.OUTAGE, "OUTAGE", Map.of("outageSince", outage.get().since().toString(),
          "outage", "Kafka unreachable, retrying: " + outage.get().cause()));
    }
    long last = lastCommitTs.get();
    return new ComponentHealth(Status.UP, "CAPTURING", last == 0 ? Map.of() : Map.of("lastSourceCommit", Instant.ofEpochMilli(last).toString()));
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
      if (cluster != null) {
        cluster.close();
      }
      if (publisher != null) {
        publisher.close();
      }
      if (notifications != null) {
        notifications.close();
      }
      registry.remove(lastCommitGauge);
      running = false;
    }
  }
}
