package io.invoicesync.webhooks;

import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.runtime.ConsumerLoop;
import io.invoicesync.runtime.Commits;
import io.invoicesync.runtime.StoreOutage;
import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.webhooks.internal.DeliveryPolicy;
import io.invoicesync.webhooks.internal.Dispatcher;
import io.invoicesync.webhooks.internal.FanOut;
import io.invoicesync.webhooks.internal.LagProbe;
import io.invoicesync.webhooks.internal.StallDetector;
import io.invoicesync.schemas.KafkaClients;
import java.util.HashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 * The webhooks component: a fan-out consumer (group {@code webhooks.group.id}) turns the projector's
 * reports and the rejections into messages, one per matching endpoint, stored in the query store in
 * the poll's transaction before its offsets are committed; a {@link Dispatcher} sends them. Several
 * instances share both: the partitions by the consumer group, the messages by leases in the store.
 */
public final class WebhookService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WebhookService.class);

  private final WebhooksConfig config;
  private java.util.concurrent.ScheduledExecutorService retentionRunner;
  private final MeterRegistry registry;
  private final ConsumerLoop<String, byte[]> loop;
  private final Deserializer<ProjectionEvent> projectionDeserializer;
  private final Deserializer<InvoiceRejected> rejectedDeserializer;
  private final Counter undecodable;
  private final Counter superseded;
  private final Counter enqueued;
  private final io.micrometer.core.instrument.Timer fanOutBatch;
  private HikariDataSource pool;
  private Endpoints endpoints;
  private Messages messages;
  private Dispatcher dispatcher;
  private ScheduledExecutorService gauges;
  private volatile List<Endpoint> endpointCache = List.of();
  private volatile LagProbe lagProbe;
  private volatile StallDetector stalls;

  public WebhookService(WebhooksConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    SerdeFactory serdes = SerdeFactory.of(config.getString(WebhooksConfig.SCHEMA_REGISTRY_URL), config.originals());
    this.projectionDeserializer = serdes.valueSerde(ProjectionEvent.class).deserializer();
    this.rejectedDeserializer = serdes.valueSerde(InvoiceRejected.class).deserializer();
    this.undecodable = Counter.builder("invoicesync.webhooks.undecodable").description("input records the fan-out could not decode (skipped)")
        .register(registry);
    this.superseded = Counter.builder("invoicesync.webhooks.superseded")
        .description("visible reports whose version the store had already replaced (the newer one is sent)").register(registry);
    this.fanOutBatch = io.micrometer.core.instrument.Timer.builder("invoicesync.webhooks.fanout.batch")
        .description("the fan-out's work on one poll: decode, read the visible invoices, enqueue their messages, commit").register(registry);
    this.enqueued = Counter.builder("invoicesync.webhooks.enqueued").description("messages enqueued for endpoints").register(registry);
    this.loop = new ConsumerLoop<>("webhooks", "webhook fan-out", log, new ExponentialBackoff(config.getLong(WebhooksConfig.BACKOFF_INITIAL_MS), 2,
        config.getLong(WebhooksConfig.BACKOFF_MAX_MS), 0.2));
  }

  public synchronized WebhookService start() {
    pool = config.pool("webhooks", 6, registry);
    endpoints = new Endpoints(pool);
    messages = new Messages(pool);
    for (WebhooksConfig.ConfiguredEndpoint c : config.configuredEndpoints()) {
      try {
        endpoints.upsertConfigured(c);
      } catch (SQLException e) {
        throw new IllegalStateException("could not store the configured webhook endpoint '" + c.name() + "': " + e.getMessage(), e);
      }
    }
    DeliveryPolicy policy = new DeliveryPolicy(config.schedule(), config.getDouble(WebhooksConfig.RETRY_JITTER),
        Duration.ofMillis(config.getLong(WebhooksConfig.DISABLE_AFTER_MS)), Duration.ofMillis(config.getLong(WebhooksConfig.RETRY_AFTER_MAX_MS)),
        () -> ThreadLocalRandom.current().nextDouble());
    dispatcher = new Dispatcher(messages, policy, this::disable, registry, Duration.ofMillis(config.getLong(WebhooksConfig.ATTEMPT_TIMEOUT_MS)),
        Duration.ofMillis(config.getLong(WebhooksConfig.CONNECT_TIMEOUT_MS)), config.getInt(WebhooksConfig.MAX_IN_FLIGHT),
        config.getInt(WebhooksConfig.MAX_IN_FLIGHT_PER_ENDPOINT), Duration.ofMillis(config.getLong(WebhooksConfig.POLL_INTERVAL_MS)),
        config.getString(WebhooksConfig.INSTANCE_ID).isBlank() ? null : config.getString(WebhooksConfig.INSTANCE_ID));
    dispatcher.start();
    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config.consumerProperties(), new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(config.getString(WebhooksConfig.PROJECTION_TOPIC), config.getString(WebhooksConfig.REJECTED_TOPIC)));
    loop.start(consumer, this::fanOut);
    startGauges();
    startStallMonitor();
    log.info("webhooks started: {} and {} -> endpoints in the query store", config.getString(WebhooksConfig.PROJECTION_TOPIC),
        config.getString(WebhooksConfig.REJECTED_TOPIC));
    return this;
  }

  private Map<TopicPartition, OffsetAndMetadata> fanOut(ConsumerRecords<String, byte[]> records) throws SQLException, StoreOutage.Stopped {
    long started = System.nanoTime();
    try {
      return enqueueMessages(records);
    } finally {
      fanOutBatch.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }
  }

  private Map<TopicPartition, OffsetAndMetadata> enqueueMessages(ConsumerRecords<String, byte[]> records) throws SQLException, StoreOutage.Stopped {
    List<Endpoint> all = loop.ride(this::endpointsNow);
    if (all.isEmpty()) {
      return Commits.after(records); // nobody to tell: not even decoded
    }
    List<FanOut.Input> inputs = new ArrayList<>();
    String projectionTopic = config.getString(WebhooksConfig.PROJECTION_TOPIC);
    for (ConsumerRecord<String, byte[]> r : records) {
      try {
        inputs.add(r.topic().equals(projectionTopic) ? new FanOut.Projected(projectionDeserializer.deserialize(r.topic(), r.headers(), r.value()))
            : new FanOut.Rejected(rejectedDeserializer.deserialize(r.topic(), r.headers(), r.value())));
      } catch (RuntimeException e) {
        undecodable.increment(); // the recorder and the trace answer for the invoice; a webhook cannot be made of what does not decode
        log.warn("webhook fan-out skipped an undecodable record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
      }
    }
    int added = loop.ride(() -> {
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try {
          FanOut.Batch batch = FanOut.messages(c, inputs, all);
          int n = messages.enqueue(c, batch.messages());
          c.commit();
          superseded.increment(batch.superseded());
          return n;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        }
      }
    });
    if (added > 0) {
      enqueued.increment(added);
      dispatcher.wake();
      messages.grew(added); // a burst: the claim is planned from fresh statistics
    }
    return Commits.after(records);
  }

  /**
   * Every endpoint (disabled ones get their messages as FAILED, for recover), read for each batch after its poll: an endpoint
   * registered before an invoice became visible is never missed (a cache would miss what follows a registration closely).
   */
  private List<Endpoint> endpointsNow() throws SQLException {
    List<Endpoint> all = endpoints.all();
    endpointCache = all;
    return all;
  }

  /** Disables an endpoint and tells the endpoints that subscribed to {@code endpoint.disabled} by name and may see it. */
  private void disable(String endpointId, String reason) throws SQLException {
    if (!messages.disable(endpointId, reason)) {
      return;
    }
    log.warn("webhook endpoint {} disabled: {}; 'webhooks recover' enables it and sends what it missed", endpointId, reason);
    List<Endpoint> all = endpoints.all();
    Endpoint gone = all.stream().filter(e -> e.id().equals(endpointId)).findFirst().orElse(null);
    if (gone == null) {
      return;
    }
    Instant now = Instant.now();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("endpointId", endpointId);
    data.put("reason", reason);
    data.put("disabledAt", now.toString());
    String body = envelope(EventType.ENDPOINT_DISABLED, now, data);
    String id = FanOut.messageId(EventType.ENDPOINT_DISABLED, endpointId, Long.toString(now.toEpochMilli()));
    List<Messages.New> out = new ArrayList<>();
    for (Endpoint e : all) {
      // as the API would let it see the disabled endpoint: holding all of its taxpayers
      boolean sees = e.tenant().all() || (!gone.tenant().all() && e.tenant().taxIds().containsAll(gone.tenant().taxIds()));
      if (e.enabled() && !e.id().equals(endpointId) && e.eventTypes().contains(EventType.ENDPOINT_DISABLED) && sees) {
        out.add(new Messages.New(id, e.id(), EventType.ENDPOINT_DISABLED, "endpoint:" + endpointId, null, null, body, now,
            e.pull() ? Messages.Initial.FEED : Messages.Initial.PENDING));
      }
    }
    try (Connection c = pool.getConnection()) {
      messages.enqueue(c, out);
    }
    dispatcher.wake();
  }

  /**
   * Every {@code stall.check.interval.ms}: the scheduled reconciliations' findings, and (unless the threshold is 0) the watched
   * stages' progress, announcing a stall and its end.
   */
  private void startStallMonitor() {
    long every = config.getLong(WebhooksConfig.STALL_CHECK_INTERVAL_MS);
    long threshold = config.getLong(WebhooksConfig.STALL_THRESHOLD_MS);
    if (threshold == 0) {
      gauges.scheduleWithFixedDelay(this::watch, every, every, TimeUnit.MILLISECONDS);
      return;
    }
    Map<String, Object> common = KafkaClients.common(config.getString(WebhooksConfig.BOOTSTRAP_SERVERS), config.originals());
    Map<String, Object> consumer = new HashMap<>(common);
    consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
    consumer.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
    Map<String, Object> admin = new HashMap<>(common);
    admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    lagProbe = new LagProbe(Admin.create(admin), new KafkaConsumer<>(consumer, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
        config.getList(WebhooksConfig.STALL_WATCH).stream().map(LagProbe.Watch::parse).toList(), Duration.ofSeconds(5));
    stalls = new StallDetector(Duration.ofMillis(threshold));
    gauges.scheduleWithFixedDelay(this::watch, every, every, TimeUnit.MILLISECONDS);
  }

  private void watch() {
    checkReconcile();
    if (stalls != null) {
      checkStall();
    }
  }

  /** The newest scheduled reconciliation already looked at; null until the first look. */
  private Long reconcileSeen;

  /**
   * Announces each scheduled reconciliation (reconcile.interval.ms, table reconcile_report) that found invoices MISSING,
   * STALE or EXTRA, with its counts only (the differences themselves name every taxpayer's invoices: GET
   * /api/v1/reconcile/last, scope operations). At start it looks back ten minutes; the message id is the report's, so
   * an instance started again, or a second one, announces nothing twice.
   */
  private void checkReconcile() {
    try (Connection c = pool.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(reconcileSeen == null
        ? "SELECT id, started_at, counts::text FROM reconcile_report WHERE started_at > now() - interval '10 minutes' ORDER BY id"
        : "SELECT id, started_at, counts::text FROM reconcile_report WHERE id > ? ORDER BY id")) {
      if (reconcileSeen != null) {
        ps.setLong(1, reconcileSeen);
      }
      long newest = reconcileSeen == null ? 0 : reconcileSeen;
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          newest = Math.max(newest, rs.getLong(1));
          Map<String, Object> counts = FanOut.JSON.readValue(rs.getString(3), new com.fasterxml.jackson.core.type.TypeReference<>() { });
          Map<String, Object> found = new LinkedHashMap<>();
          for (String k : List.of("MISSING", "STALE", "EXTRA")) {
            if (counts.get(k) instanceof Number n && n.longValue() > 0) {
              found.put(k, n.longValue());
            }
          }
          if (!found.isEmpty()) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("reportId", rs.getLong(1));
            data.put("startedAt", rs.getObject(2, java.time.OffsetDateTime.class).toInstant().toString());
            data.put("found", found);
            data.put("report", "/api/v1/reconcile/last");
            announce(EventType.RECONCILE_FOUND, "reconcile", Long.toString(rs.getLong(1)), data);
          }
        }
      }
      reconcileSeen = reconcileSeen == null ? maxReportId(c) : newest;
    } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
      log.debug("reconciliations not looked at this time: {}", e.toString());
    }
  }

  private static long maxReportId(Connection c) throws SQLException {
    try (java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM reconcile_report")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void checkStall() {
    Instant now = Instant.now();
    List<StallDetector.Lag> lags = List.of();
    String error = null;
    try {
      lags = lagProbe.measure(now);
    } catch (Exception e) {
      error = e instanceof java.util.concurrent.TimeoutException ? "Kafka did not answer in time" : e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
    try {
      stalls.observe(now, lags, error).ifPresent(this::announce);
    } catch (RuntimeException e) {
      log.warn("the stall monitor could not announce a change: {}", e.toString());
    }
  }

  /** A stall or its end, told as {@link #announce(EventType, String, String, Map)} does. */
  private void announce(StallDetector.Change change) {
    EventType type = change instanceof StallDetector.Stalled ? EventType.SYNC_STALLED : EventType.SYNC_RESUMED;
    Map<String, Object> data = new LinkedHashMap<>();
    Instant since;
    if (change instanceof StallDetector.Stalled st) {
      since = st.since();
      data.put("since", st.since().toString());
      data.put("reason", st.reason());
      log.warn("sync stalled since {}: {}", st.since(), st.reason());
    } else {
      StallDetector.Resumed r = (StallDetector.Resumed) change;
      since = r.stalledSince();
      data.put("stalledSince", r.stalledSince().toString());
      data.put("resumedAt", r.resumedAt().toString());
      log.info("sync resumed at {} (stalled since {})", r.resumedAt(), r.stalledSince());
    }
    data.put("thresholdSeconds", config.getLong(WebhooksConfig.STALL_THRESHOLD_MS) / 1000);
    data.put("status", "/api/v1/status");
    announce(type, "sync", Long.toString(since.toEpochMilli()), data);
  }

  /**
   * Tells every enabled endpoint that named {@code type} (any taxpayer's: what it says concerns everyone and names no
   * invoice): through the store when it takes the messages, else straight from memory, since a store refusing writes
   * may be what is announced. The id derives from {@code type} and {@code about}: said again, it is the same message.
   */
  private void announce(EventType type, String orderKey, String about, Map<String, Object> data) {
    Instant now = Instant.now();
    String body = envelope(type, now, data);
    String id = FanOut.messageId(type, orderKey, about);
    List<Endpoint> known;
    try {
      known = endpoints.all();
      endpointCache = known;
    } catch (SQLException e) {
      known = endpointCache;
    }
    List<Endpoint> targets = known.stream().filter(e -> e.enabled() && e.eventTypes().contains(type)).toList();
    List<Messages.New> out = targets.stream().map(e -> new Messages.New(id, e.id(), type, orderKey, null, null, body, now,
        e.pull() ? Messages.Initial.FEED : Messages.Initial.PENDING)).toList();
    try (Connection c = pool.getConnection()) {
      messages.enqueue(c, out);
      dispatcher.wake();
    } catch (SQLException e) {
      log.warn("{} goes to {} endpoint(s) straight from memory: the query store does not take it ({})", type.wire(), targets.size(), e.toString());
      targets.stream().filter(t -> !t.pull()).forEach(t -> dispatcher.sendDirect(t, id, body)); // a feed learns it once the store is back
    }
  }

  private static String envelope(EventType type, Instant at, Map<String, Object> data) {
    Map<String, Object> envelope = new LinkedHashMap<>();
    envelope.put("type", type.wire());
    envelope.put("timestamp", at.toString());
    envelope.put("data", data);
    try {
      return FanOut.JSON.writeValueAsString(envelope);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("an operational body did not serialize", e);
    }
  }

  /** Whether the last thing the stall monitor announced was a stall (false when it is off). */
  public boolean stalled() {
    return stalls != null && stalls.isStalled();
  }

  /** Backlog and oldest undelivered age per endpoint, read every 10 s into gauges. */
  private void startGauges() {
    MultiGauge backlog = MultiGauge.builder("invoicesync.webhooks.backlog").description("messages not yet delivered, per endpoint").register(registry);
    MultiGauge oldest = MultiGauge.builder("invoicesync.webhooks.oldest.undelivered.seconds")
        .description("age of the oldest message not yet delivered, per endpoint").register(registry);
    gauges = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "invoice-sync-webhooks-gauges");
      t.setDaemon(true);
      return t;
    });
    gauges.scheduleWithFixedDelay(() -> {
      try {
        List<Messages.Backlog> b = messages.backlog();
        backlog.register(b.stream().map(x -> MultiGauge.Row.of(Tags.of("endpoint", x.endpointId()), x.pending())).toList(), true);
        oldest.register(b.stream().map(x -> MultiGauge.Row.of(Tags.of("endpoint", x.endpointId()), x.oldest().toMillis() / 1000.0)).toList(), true);
      } catch (SQLException | RuntimeException e) {
        log.debug("webhook backlog gauges not refreshed: {}", e.toString());
      }
    }, 0, 10, TimeUnit.SECONDS);
    long retention = config.getLong(WebhooksConfig.RETENTION_MS);
    if (retention > 0) {
      long every = config.getLong(WebhooksConfig.RETENTION_CHECK_INTERVAL_MS);
      // its own thread: a long first purge must not hold up the stall monitor and the gauges
      retentionRunner = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "invoice-sync-webhooks-retention");
        t.setDaemon(true);
        return t;
      });
      retentionRunner.scheduleWithFixedDelay(() -> {
        try {
          long n = messages.deleteBefore(java.time.Instant.now().minusMillis(retention), 5_000);
          if (n > 0) {
            log.info("webhooks: {} messages older than webhooks.retention.ms ({} ms) deleted", n, retention);
          }
        } catch (SQLException | RuntimeException e) {
          log.warn("webhooks: messages past retention not deleted this time: {}", e.toString());
        }
      }, every, every, TimeUnit.MILLISECONDS);
    }
  }

  public Endpoints endpoints() {
    return endpoints;
  }

  public Messages messages() {
    return messages;
  }

  /** Up while the fan-out runs (riding out an outage is not ready) and the dispatcher lives. */
  public ComponentHealth health() {
    Dispatcher d = dispatcher;
    if (d != null && d.failure() != null) {
      return ComponentHealth.failed("FAILED", d.failure());
    }
    return loop.health(Map.of("inFlight", d == null ? 0 : d.inFlight()));
  }

  public boolean isHealthy() {
    return health().ready();
  }

  @Override
  public synchronized void close() {
    loop.close();
    if (dispatcher != null) {
      dispatcher.close();
    }
    if (retentionRunner != null) {
      retentionRunner.shutdownNow();
    }
    if (gauges != null) {
      gauges.shutdownNow();
      try {
        gauges.awaitTermination(10, TimeUnit.SECONDS); // the lag probe's consumer is closed on this thread, after its last use
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (lagProbe != null) {
      lagProbe.close();
    }
    if (pool != null) {
      pool.close();
    }
  }
}
