package io.invoicesync.projector;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.projector.internal.InvoiceOutcome;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Violation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
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
 * <p>One poll is one database transaction; offsets are committed after it. A re-read after a crash
 * changes nothing: events and dead letters are keyed by their topic coordinates, outcomes remember
 * the newest audit offset folded in, rejections keep the newest source position. While the query
 * store is unreachable, the same transaction is retried in place with capped exponential back-off.
 */
public final class OutcomeRecorder implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OutcomeRecorder.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProjectorConfig config;
  private final MeterRegistry registry;
  private final String auditTopic;
  private final String rejectedTopic;
  private final Set<String> dltTopics;
  private final Deserializer<AuditEntry> auditDeserializer;
  private final Deserializer<InvoiceRejected> rejectedDeserializer;
  private final Map<String, Counter> eventCounters = new ConcurrentHashMap<>();
  private final Counter undecodable;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong outageSince = new AtomicLong();
  private HikariDataSource dataSource;
  private KafkaConsumer<String, byte[]> consumer;
  private Thread thread;
  private volatile Throwable failure;

  public OutcomeRecorder(ProjectorConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    this.auditTopic = config.getString(ProjectorConfig.AUDIT_TOPIC);
    this.rejectedTopic = config.getString(ProjectorConfig.REJECTED_TOPIC);
    this.dltTopics = Set.of(config.getString(ProjectorConfig.SYNCED_DLT_TOPIC), config.getString(ProjectorConfig.CAPTURED_DLT_TOPIC));
    SerdeFactory serdes = SerdeFactory.of(config.getString(ProjectorConfig.SCHEMA_REGISTRY_URL));
    this.auditDeserializer = serdes.valueSerde(AuditEntry.class).deserializer();
    this.rejectedDeserializer = serdes.valueSerde(InvoiceRejected.class).deserializer();
    this.undecodable = Counter.builder("invoicesync.outcomes.undecodable")
        .description("audit or rejection records the outcome recorder could not decode (left on their topic)").register(registry);
    registry.gauge("invoicesync.outcomes.outage", outageSince, a -> a.get() == 0 ? 0 : 1);
  }

  public synchronized void start() {
    dataSource = config.queryStorePool("outcomes", 1);

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.getString(ProjectorConfig.BOOTSTRAP_SERVERS));
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, config.getString(ProjectorConfig.OUTCOMES_GROUP_ID));
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.getInt(ProjectorConfig.MAX_POLL_RECORDS));
    consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer());
    List<String> topics = new ArrayList<>(List.of(auditTopic, rejectedTopic));
    topics.addAll(dltTopics);
    consumer.subscribe(topics);
    running.set(true);
    thread = new Thread(this::loop, "invoice-sync-outcomes");
    thread.start();
    log.info("outcome recorder started: {} -> {}", topics, config.getString(ProjectorConfig.JDBC_URL));
  }

  private void loop() {
    try {
      while (running.get()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        Batch batch = decode(records);
        if (!writeOrBackOff(batch)) {
          break;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
          List<ConsumerRecord<String, byte[]>> rs = records.records(tp);
          offsets.put(tp, new OffsetAndMetadata(rs.get(rs.size() - 1).offset() + 1));
        }
        try {
          consumer.commitSync(offsets);
        } catch (org.apache.kafka.clients.consumer.CommitFailedException | org.apache.kafka.common.errors.RebalanceInProgressException e) {
          // the partitions moved during the write; their new owner re-reads these records, and re-reading changes nothing
          log.info("offsets not committed after a rebalance; the records are re-read: {}", e.getMessage());
        }
        batch.events.forEach(e -> eventCounters.computeIfAbsent(e.entry.getEvent(), k -> Counter.builder("invoicesync.outcomes")
            .description("audit events recorded in the query store, by event").tag("event", k).register(registry)).increment());
      }
    } catch (WakeupException e) {
      if (running.get()) {
        failure = e;
      }
    } catch (Throwable t) {
      failure = t;
      log.error("outcome recorder stopped on an unexpected error; the failed poll's offsets were not committed", t);
    } finally {
      consumer.close();
    }
  }

  record AuditRecord(int partition, long offset, AuditEntry entry) {
  }

  record DeadLetterRecord(ConsumerRecord<String, byte[]> record) {
  }

  static final class Batch {
    final List<AuditRecord> events = new ArrayList<>();
    final Map<String, InvoiceRejected> rejections = new LinkedHashMap<>();
    final List<ConsumerRecord<String, byte[]>> deadLetters = new ArrayList<>();
  }

  private Batch decode(ConsumerRecords<String, byte[]> records) {
    Batch b = new Batch();
    for (ConsumerRecord<String, byte[]> r : records) {
      try {
        if (r.topic().equals(auditTopic)) {
          b.events.add(new AuditRecord(r.partition(), r.offset(), auditDeserializer.deserialize(r.topic(), r.headers(), r.value())));
        } else if (r.topic().equals(rejectedTopic)) {
          InvoiceRejected rej = rejectedDeserializer.deserialize(r.topic(), r.headers(), r.value());
          b.rejections.merge(rej.getInvoiceId(), rej, (a, n) -> n.getSource().getLsn() >= a.getSource().getLsn() ? n : a);
        } else if (dltTopics.contains(r.topic())) {
          b.deadLetters.add(r);
        }
      } catch (RuntimeException e) {
        undecodable.increment();
        log.error("cannot decode {}-{}@{}; it stays on its topic and is not in the query store: {}", r.topic(), r.partition(), r.offset(),
            e.getMessage());
      }
    }
    return b;
  }

  /** Writes the batch; while the store is unreachable retries it in place. False when stopping interrupted it. */
  private boolean writeOrBackOff(Batch batch) throws SQLException, InterruptedException {
    ExponentialBackoff backoff = new ExponentialBackoff(config.getLong(ProjectorConfig.BACKOFF_INITIAL_MS), 2,
        config.getLong(ProjectorConfig.BACKOFF_MAX_MS), 0.2);
    int attempt = 0;
    Set<TopicPartition> paused = new HashSet<>();
    try {
      while (running.get()) {
        try {
          write(batch);
          if (outageSince.getAndSet(0) != 0) {
            log.info("query store reachable again, outcome recording resumed");
          }
          return true;
        } catch (SQLException | RuntimeException e) {
          if (ProjectorErrorClassifier.classify(e) != ProjectorErrorClassifier.Kind.OUTAGE) {
            throw e;
          }
          if (outageSince.compareAndSet(0, System.currentTimeMillis())) {
            log.warn("query store unreachable, outcome recording paused and retried in place: {}", e.getMessage());
          }
          Set<TopicPartition> toPause = new HashSet<>(consumer.assignment());
          toPause.removeAll(consumer.paused());
          consumer.pause(toPause);
          paused.addAll(toPause);
          consumer.poll(Duration.ofMillis(backoff.backoff(attempt++))); // keeps group membership; paused, returns nothing
        }
      }
      return false;
    } finally {
      paused.retainAll(consumer.assignment());
      consumer.resume(paused);
    }
  }

  void write(Batch batch) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        insertEvents(c, batch.events);
        foldOutcomes(c, batch.events);
        upsertRejections(c, batch.rejections.values());
        insertDeadLetters(c, batch.deadLetters);
        advanceWatermarks(c, batch.events);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static void insertEvents(Connection c, List<AuditRecord> events) throws SQLException {
    if (events.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO invoice_event (audit_partition, audit_offset, invoice_id, event, stage, "
        + "version, source_lsn, source_commit_ts, captured_at, decided_at, recorded_at, detail, digest, prev_hash, hash, invoice_code, "
        + "invoice_number, seller_tax_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING")) {
      for (AuditRecord a : events) {
        AuditEntry e = a.entry();
        int i = 1;
        ps.setInt(i++, a.partition());
        ps.setLong(i++, a.offset());
        ps.setString(i++, e.getInvoiceId());
        ps.setString(i++, e.getEvent());
        ps.setString(i++, e.getStage());
        ps.setObject(i++, e.getVersion(), Types.INTEGER);
        ps.setLong(i++, e.getSource().getLsn());
        ps.setObject(i++, ts(e.getSource().getCommitTs()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(i++, ts(e.getCapturedAt()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(i++, ts(e.getDecidedAt()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(i++, ts(e.getRecordedAt()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setString(i++, e.getDetail());
        ps.setString(i++, e.getDigest());
        ps.setString(i++, e.getPrevHash());
        ps.setString(i++, e.getHash());
        ps.setString(i++, e.getInvoiceCode());
        ps.setString(i++, e.getInvoiceNumber());
        ps.setString(i, e.getSellerTaxId());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void foldOutcomes(Connection c, List<AuditRecord> events) throws SQLException {
    if (events.isEmpty()) {
      return;
    }
    Map<String, InvoiceOutcome> current = new HashMap<>();
    Object[] ids = events.stream().map(a -> a.entry().getInvoiceId()).distinct().toArray();
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice_outcome WHERE invoice_id = ANY (?) FOR UPDATE")) {
      ps.setArray(1, c.createArrayOf("varchar", ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          current.put(rs.getString("invoice_id"), new InvoiceOutcome(rs.getString("invoice_id"), rs.getString("outcome"),
              rs.getString("last_event"), (Integer) rs.getObject("latest_version"), (Integer) rs.getObject("visible_version"),
              (Long) rs.getObject("latest_lsn"), instant(rs, "latest_commit_ts"), rs.getString("invoice_code"),
              rs.getString("invoice_number"), rs.getString("seller_tax_id"), instant(rs, "first_seen_at"), instant(rs, "updated_at"),
              rs.getInt("audit_partition"), rs.getLong("audit_offset")));
        }
      }
    }
    Map<String, InvoiceOutcome> changed = new LinkedHashMap<>();
    for (AuditRecord a : events) {
      String id = a.entry().getInvoiceId();
      InvoiceOutcome before = current.get(id);
      if (before != null && before.hasSeen(a.partition(), a.offset())) {
        continue;
      }
      InvoiceOutcome after = InvoiceOutcome.after(before, a.entry(), a.partition(), a.offset());
      current.put(id, after);
      changed.put(id, after);
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO invoice_outcome (invoice_id, outcome, last_event, latest_version, "
        + "visible_version, latest_lsn, latest_commit_ts, invoice_code, invoice_number, seller_tax_id, first_seen_at, updated_at, "
        + "audit_partition, audit_offset) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (invoice_id) DO UPDATE SET "
        + "outcome = EXCLUDED.outcome, last_event = EXCLUDED.last_event, latest_version = EXCLUDED.latest_version, "
        + "visible_version = EXCLUDED.visible_version, latest_lsn = EXCLUDED.latest_lsn, latest_commit_ts = EXCLUDED.latest_commit_ts, "
        + "invoice_code = EXCLUDED.invoice_code, invoice_number = EXCLUDED.invoice_number, seller_tax_id = EXCLUDED.seller_tax_id, "
        + "updated_at = EXCLUDED.updated_at, audit_partition = EXCLUDED.audit_partition, audit_offset = EXCLUDED.audit_offset")) {
      for (InvoiceOutcome o : changed.values()) {
        int i = 1;
        ps.setString(i++, o.invoiceId());
        ps.setString(i++, o.outcome());
        ps.setString(i++, o.lastEvent());
        ps.setObject(i++, o.latestVersion(), Types.INTEGER);
        ps.setObject(i++, o.visibleVersion(), Types.INTEGER);
        ps.setObject(i++, o.latestLsn(), Types.BIGINT);
        ps.setObject(i++, ts(o.latestCommitTs()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setString(i++, o.invoiceCode());
        ps.setString(i++, o.invoiceNumber());
        ps.setString(i++, o.sellerTaxId());
        ps.setObject(i++, ts(o.firstSeenAt()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(i++, ts(o.updatedAt()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setInt(i++, o.auditPartition());
        ps.setLong(i, o.auditOffset());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void upsertRejections(Connection c, java.util.Collection<InvoiceRejected> rejections) throws SQLException {
    if (rejections.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO invoice_rejection (invoice_id, source_lsn, source_commit_ts, rejected_at, "
        + "codes, violations, invoice_code, invoice_number, invoice_type, issue_date, status, seller_name, seller_tax_id, buyer_name, "
        + "buyer_tax_id, total_amount, total_tax, grand_total) VALUES (?,?,?,?,?,?::jsonb,?,?,?,?,?,?,?,?,?,?,?,?) "
        + "ON CONFLICT (invoice_id) DO UPDATE SET source_lsn = EXCLUDED.source_lsn, source_commit_ts = EXCLUDED.source_commit_ts, "
        + "rejected_at = EXCLUDED.rejected_at, codes = EXCLUDED.codes, violations = EXCLUDED.violations, invoice_code = EXCLUDED.invoice_code, "
        + "invoice_number = EXCLUDED.invoice_number, invoice_type = EXCLUDED.invoice_type, issue_date = EXCLUDED.issue_date, "
        + "status = EXCLUDED.status, seller_name = EXCLUDED.seller_name, seller_tax_id = EXCLUDED.seller_tax_id, "
        + "buyer_name = EXCLUDED.buyer_name, buyer_tax_id = EXCLUDED.buyer_tax_id, total_amount = EXCLUDED.total_amount, "
        + "total_tax = EXCLUDED.total_tax, grand_total = EXCLUDED.grand_total WHERE invoice_rejection.source_lsn <= EXCLUDED.source_lsn")) {
      for (InvoiceRejected r : rejections) {
        Invoice inv = r.getInvoice();
        List<Map<String, Object>> violations = new ArrayList<>();
        for (Violation v : r.getViolations()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("code", v.getCode());
          m.put("field", v.getField());
          m.put("value", v.getValue());
          m.put("expected", v.getExpected());
          m.put("message", v.getMessage());
          violations.add(m);
        }
        int i = 1;
        ps.setString(i++, r.getInvoiceId());
        ps.setLong(i++, r.getSource().getLsn());
        ps.setObject(i++, ts(r.getSource().getCommitTs()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(i++, ts(r.getRejectedAt()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setString(i++, truncate(String.join(",", r.getViolations().stream().map(Violation::getCode).distinct().toList()), 500));
        try {
          ps.setString(i++, JSON.writeValueAsString(violations));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException(e);
        }
        ps.setString(i++, inv == null ? null : inv.getInvoiceCode());
        ps.setString(i++, inv == null ? null : inv.getInvoiceNumber());
        ps.setString(i++, inv == null ? null : inv.getInvoiceType());
        ps.setObject(i++, inv == null || inv.getIssueDate() == null ? null : java.sql.Date.valueOf(inv.getIssueDate()), Types.DATE);
        ps.setString(i++, inv == null ? null : inv.getStatus());
        ps.setString(i++, inv == null || inv.getSeller() == null ? null : inv.getSeller().getName());
        ps.setString(i++, inv == null || inv.getSeller() == null ? null : inv.getSeller().getTaxId());
        ps.setString(i++, inv == null || inv.getBuyer() == null ? null : inv.getBuyer().getName());
        ps.setString(i++, inv == null || inv.getBuyer() == null ? null : inv.getBuyer().getTaxId());
        ps.setBigDecimal(i++, inv == null ? null : inv.getTotalAmount());
        ps.setBigDecimal(i++, inv == null ? null : inv.getTotalTax());
        ps.setBigDecimal(i, inv == null ? null : inv.getGrandTotal());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void insertDeadLetters(Connection c, List<ConsumerRecord<String, byte[]>> deadLetters) throws SQLException {
    if (deadLetters.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO dead_letter (dlt_topic, dlt_partition, dlt_offset, invoice_id, "
        + "original_topic, original_partition, original_offset, stage, exception_class, cause_class, message, attempts, "
        + "first_failure_at, dead_lettered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING")) {
      for (ConsumerRecord<String, byte[]> r : deadLetters) {
        String message = header(r, DeadLetterHeaders.EXCEPTION_MESSAGE);
        if (message != null && message.indexOf('\n') >= 0) {
          message = message.substring(0, message.indexOf('\n')).strip(); // PostgreSQL's "Detail:" line carries the row
        }
        Long firstFailure = longOrNull(header(r, DeadLetterHeaders.FIRST_FAILURE_TIMESTAMP));
        int i = 1;
        ps.setString(i++, r.topic());
        ps.setInt(i++, r.partition());
        ps.setLong(i++, r.offset());
        ps.setString(i++, r.key() == null ? null : r.key());
        ps.setString(i++, header(r, DeadLetterHeaders.ORIGINAL_TOPIC));
        ps.setObject(i++, intOrNull(header(r, DeadLetterHeaders.ORIGINAL_PARTITION)), Types.INTEGER);
        ps.setObject(i++, longOrNull(header(r, DeadLetterHeaders.ORIGINAL_OFFSET)), Types.BIGINT);
        ps.setString(i++, truncate(header(r, DeadLetterHeaders.STAGE), 16));
        ps.setString(i++, truncate(header(r, DeadLetterHeaders.EXCEPTION_CLASS), 300));
        ps.setString(i++, truncate(header(r, DeadLetterHeaders.EXCEPTION_CAUSE_CLASS), 300));
        ps.setString(i++, message);
        ps.setObject(i++, intOrNull(header(r, DeadLetterHeaders.ATTEMPTS)), Types.INTEGER);
        ps.setObject(i++, firstFailure == null ? null : ts(Instant.ofEpochMilli(firstFailure)), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(i, ts(Instant.ofEpochMilli(r.timestamp())), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** 'sync': the newest change sync-streams decided on; 'projection': the newest state made visible. */
  private static void advanceWatermarks(Connection c, List<AuditRecord> events) throws SQLException {
    Map<String, AuditEntry> newest = new HashMap<>();
    for (AuditRecord a : events) {
      AuditEntry e = a.entry();
      if (e.getSource().getLsn() < 0) {
        continue;
      }
      String stage = "PROJECTED".equals(e.getEvent()) ? "projection" : "projector".equals(e.getStage()) ? null : "sync";
      if (stage != null) {
        newest.merge(stage, e, (x, y) -> y.getSource().getLsn() > x.getSource().getLsn() ? y : x);
      }
    }
    if (newest.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO pipeline_watermark (stage, source_lsn, source_commit_ts, invoice_id, "
        + "updated_at) VALUES (?,?,?,?,clock_timestamp()) ON CONFLICT (stage) DO UPDATE SET source_lsn = EXCLUDED.source_lsn, "
        + "source_commit_ts = EXCLUDED.source_commit_ts, invoice_id = EXCLUDED.invoice_id, updated_at = EXCLUDED.updated_at "
        + "WHERE pipeline_watermark.source_lsn <= EXCLUDED.source_lsn")) {
      for (Map.Entry<String, AuditEntry> e : newest.entrySet()) {
        ps.setString(1, e.getKey());
        ps.setLong(2, e.getValue().getSource().getLsn());
        ps.setObject(3, ts(e.getValue().getSource().getCommitTs()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setString(4, e.getValue().getInvoiceId());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static String header(ConsumerRecord<String, byte[]> r, String key) {
    Header h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static Long longOrNull(String s) {
    try {
      return s == null || s.isBlank() ? null : Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Integer intOrNull(String s) {
    Long l = longOrNull(s);
    return l == null ? null : l.intValue();
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

  private static OffsetDateTime ts(Instant t) {
    return t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  private static Instant instant(ResultSet rs, String col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /** False while the query store is unreachable or after the loop stopped on an error. */
  public boolean isHealthy() {
    return running.get() && failure == null && outageSince.get() == 0;
  }

  public Throwable failure() {
    return failure;
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
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
