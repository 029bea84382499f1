package io.invoicesync.outcomes.recorder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.outcomes.Outcome;
import io.invoicesync.runtime.Transactions;
import io.invoicesync.runtime.UnnestRows;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.Positions;
import io.invoicesync.schemas.Stage;
import io.invoicesync.schemas.Violation;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The outcome recorder's writes: one poll's audit events, rejections and dead letters in one
 * query-store transaction, idempotent on re-read (events and dead letters keyed by their topic
 * coordinates, outcomes remembering the newest audit offset folded in, rejections and watermarks
 * keeping the newest source position). Tables: V2__outcomes.sql.
 */
final class OutcomeStore {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** An audit entry and where it sits on the audit topic. */
  record AuditRecord(int partition, long offset, AuditEntry entry) {
  }

  /** An audit checkpoint and where it sits on the checkpoint topic. */
  record AnchorRecord(int partition, long offset, AuditCheckpoint checkpoint) {
  }

  /** What one poll brought. */
  static final class Batch {
    final List<AuditRecord> events = new ArrayList<>();
    final List<AnchorRecord> anchors = new ArrayList<>();
    final Map<String, InvoiceRejected> rejections = new LinkedHashMap<>();
    final List<ConsumerRecord<String, byte[]>> deadLetters = new ArrayList<>();
  }

  private static final String[][] EVENT_COLUMNS = {{"audit_partition", "integer"}, {"audit_offset", "bigint"}, {"invoice_id", "text"},
      {"event", "text"}, {"stage", "text"}, {"version", "integer"}, {"source_lsn", "bigint"}, {"source_commit_ts", "timestamptz"},
      {"captured_at", "timestamptz"}, {"decided_at", "timestamptz"}, {"recorded_at", "timestamptz"}, {"detail", "text"},
      {"digest", "text"}, {"prev_hash", "text"}, {"hash", "text"}, {"invoice_code", "text"}, {"invoice_number", "text"},
      {"seller_tax_id", "text"}, {"source_tx_id", "bigint"}, {"source_epoch", "bigint"}, {"source_snapshot", "boolean"},
      {"key_id", "text"}, {"mac", "text"}, {"source_name", "text"}, {"source_file", "text"}};
  /** A poll's audit entries in one statement; a re-read entry (same coordinates) changes nothing. */
  private static final String INSERT_EVENTS = "INSERT INTO invoice_event (" + UnnestRows.names(EVENT_COLUMNS) + ") SELECT "
      + UnnestRows.names(EVENT_COLUMNS) + " FROM " + UnnestRows.unnest(EVENT_COLUMNS) + " ON CONFLICT DO NOTHING";

  private static final String[][] ANCHOR_COLUMNS = {{"checkpoint_partition", "integer"}, {"checkpoint_offset", "bigint"},
      {"input_partition", "integer"}, {"partitions", "integer"}, {"checkpoint_at", "timestamptz"}, {"checkpoint_at_ms", "bigint"},
      {"chains", "bigint"}, {"root", "text"}, {"key_id", "text"}, {"mac", "text"}, {"anchored_at", "timestamptz"}};
  /** A poll's checkpoints, anchored; a re-read one (same coordinates) changes nothing (the table refuses updates anyway). */
  private static final String INSERT_ANCHORS = "INSERT INTO audit_anchor (" + UnnestRows.names(ANCHOR_COLUMNS) + ") SELECT "
      + UnnestRows.names(ANCHOR_COLUMNS) + " FROM " + UnnestRows.unnest(ANCHOR_COLUMNS) + " ON CONFLICT DO NOTHING";

  private static final String[][] OUTCOME_COLUMNS = {{"invoice_id", "text"}, {"outcome", "text"}, {"last_event", "text"},
      {"latest_version", "integer"}, {"visible_version", "integer"}, {"latest_lsn", "bigint"}, {"latest_commit_ts", "timestamptz"},
      {"invoice_code", "text"}, {"invoice_number", "text"}, {"seller_tax_id", "text"}, {"first_seen_at", "timestamptz"},
      {"updated_at", "timestamptz"}, {"audit_partition", "integer"}, {"audit_offset", "bigint"}};
  /** The outcomes a poll moved, in one statement (each invoice once: the fold keeps its newest outcome). */
  private static final String UPSERT_OUTCOMES = "INSERT INTO invoice_outcome (" + UnnestRows.names(OUTCOME_COLUMNS) + ") SELECT "
      + UnnestRows.names(OUTCOME_COLUMNS) + " FROM " + UnnestRows.unnest(OUTCOME_COLUMNS) + " ON CONFLICT (invoice_id) DO UPDATE SET "
      + "outcome = EXCLUDED.outcome, last_event = EXCLUDED.last_event, latest_version = EXCLUDED.latest_version, "
      + "visible_version = EXCLUDED.visible_version, latest_lsn = EXCLUDED.latest_lsn, latest_commit_ts = EXCLUDED.latest_commit_ts, "
      + "invoice_code = EXCLUDED.invoice_code, invoice_number = EXCLUDED.invoice_number, seller_tax_id = EXCLUDED.seller_tax_id, "
      + "updated_at = EXCLUDED.updated_at, audit_partition = EXCLUDED.audit_partition, audit_offset = EXCLUDED.audit_offset";

  private final DataSource dataSource;

  OutcomeStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** One transaction; rolled back and thrown on any failure. */
  void write(Batch batch) throws SQLException {
    Transactions.inTransaction(dataSource, c -> {
      insertEvents(c, batch.events);
      insertAnchors(c, batch.anchors);
      foldOutcomes(c, batch.events);
      upsertRejections(c, batch.rejections.values());
      insertDeadLetters(c, batch.deadLetters);
      advanceWatermarks(c, batch.events);
      return batch;
    });
  }

  private static void insertEvents(Connection c, List<AuditRecord> events) throws SQLException {
    if (events.isEmpty()) {
      return;
    }
    UnnestRows rows = new UnnestRows(EVENT_COLUMNS, events.size());
    for (AuditRecord a : events) {
      AuditEntry e = a.entry();
      rows.add(a.partition(), a.offset(), e.getInvoiceId(), e.getEvent(), e.getStage(), e.getVersion(), e.getSource().getLsn(),
          e.getSource().getCommitTs(), e.getCapturedAt(), e.getDecidedAt(), e.getRecordedAt(), e.getDetail(), e.getDigest(),
          e.getPrevHash(), e.getHash(), e.getInvoiceCode(), e.getInvoiceNumber(), e.getSellerTaxId(), e.getSource().getTxId(),
          e.getSource().getEpoch(), e.getSource().getSnapshot(), e.getKeyId(), e.getMac(),
          e.getSource().getName() == null || e.getSource().getName().isEmpty() ? null : e.getSource().getName(),
          io.invoicesync.outcomes.view.FileView.json(e.getSource().getFile()));
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_EVENTS)) {
      rows.bind(c, ps, 1);
      ps.executeUpdate();
    }
  }

  private static void insertAnchors(Connection c, List<AnchorRecord> anchors) throws SQLException {
    if (anchors.isEmpty()) {
      return;
    }
    UnnestRows rows = new UnnestRows(ANCHOR_COLUMNS, anchors.size());
    Instant now = Instant.now();
    for (AnchorRecord a : anchors) {
      AuditCheckpoint cp = a.checkpoint();
      rows.add(a.partition(), a.offset(), cp.getPartition(), cp.getPartitions(), cp.getCheckpointAt(), cp.getCheckpointAt().toEpochMilli(),
          cp.getChains(), cp.getRoot(), cp.getKeyId(), cp.getMac(), now);
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_ANCHORS)) {
      rows.bind(c, ps, 1);
      ps.executeUpdate();
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
          current.put(rs.getString("invoice_id"), new InvoiceOutcome(rs.getString("invoice_id"), Outcome.valueOf(rs.getString("outcome")),
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
    if (changed.isEmpty()) {
      return;
    }
    UnnestRows rows = new UnnestRows(OUTCOME_COLUMNS, changed.size());
    for (InvoiceOutcome o : changed.values()) {
      rows.add(o.invoiceId(), o.outcome().name(), o.lastEvent(), o.latestVersion(), o.visibleVersion(), o.latestLsn(), o.latestCommitTs(),
          o.invoiceCode(), o.invoiceNumber(), o.sellerTaxId(), o.firstSeenAt(), o.updatedAt(), o.auditPartition(), o.auditOffset());
    }
    try (PreparedStatement ps = c.prepareStatement(UPSERT_OUTCOMES)) {
      rows.bind(c, ps, 1);
      ps.executeUpdate();
    }
  }

  private static void upsertRejections(Connection c, Collection<InvoiceRejected> rejections) throws SQLException {
    if (rejections.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO invoice_rejection (invoice_id, source_lsn, source_commit_ts, rejected_at, "
        + "codes, violations, invoice_code, invoice_number, invoice_type, issue_date, status, seller_name, seller_tax_id, buyer_name, "
        + "buyer_tax_id, total_amount, total_tax, grand_total, source_epoch, source_name) VALUES (?,?,?,?,?,?::jsonb,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        + "ON CONFLICT (invoice_id) DO UPDATE SET source_lsn = EXCLUDED.source_lsn, source_epoch = EXCLUDED.source_epoch, source_commit_ts = EXCLUDED.source_commit_ts, "
        + "source_name = EXCLUDED.source_name, "
        + "rejected_at = EXCLUDED.rejected_at, codes = EXCLUDED.codes, violations = EXCLUDED.violations, invoice_code = EXCLUDED.invoice_code, "
        + "invoice_number = EXCLUDED.invoice_number, invoice_type = EXCLUDED.invoice_type, issue_date = EXCLUDED.issue_date, "
        + "status = EXCLUDED.status, seller_name = EXCLUDED.seller_name, seller_tax_id = EXCLUDED.seller_tax_id, "
        + "buyer_name = EXCLUDED.buyer_name, buyer_tax_id = EXCLUDED.buyer_tax_id, total_amount = EXCLUDED.total_amount, "
        + "total_tax = EXCLUDED.total_tax, grand_total = EXCLUDED.grand_total WHERE "
        + "invoice_rejection.source_name IS DISTINCT FROM EXCLUDED.source_name OR " // positions of two sources do not compare
        + Positions.sql("invoice_rejection", "<=", "EXCLUDED"))) {
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
        } catch (JsonProcessingException e) {
          throw new IllegalStateException(e);
        }
        ps.setString(i++, inv == null ? null : inv.getInvoiceCode());
        ps.setString(i++, inv == null ? null : inv.getInvoiceNumber());
        ps.setString(i++, inv == null ? null : inv.getInvoiceType());
        ps.setObject(i++, inv == null || inv.getIssueDate() == null ? null : Date.valueOf(inv.getIssueDate()), Types.DATE);
        ps.setString(i++, inv == null ? null : inv.getStatus());
        ps.setString(i++, inv == null || inv.getSeller() == null ? null : inv.getSeller().getName());
        ps.setString(i++, inv == null || inv.getSeller() == null ? null : inv.getSeller().getTaxId());
        ps.setString(i++, inv == null || inv.getBuyer() == null ? null : inv.getBuyer().getName());
        ps.setString(i++, inv == null || inv.getBuyer() == null ? null : inv.getBuyer().getTaxId());
        ps.setBigDecimal(i++, inv == null ? null : inv.getTotalAmount());
        ps.setBigDecimal(i++, inv == null ? null : inv.getTotalTax());
        ps.setBigDecimal(i++, inv == null ? null : inv.getGrandTotal());
        ps.setLong(i++, r.getSource().getEpoch());
        ps.setString(i, r.getSource().getName() == null || r.getSource().getName().isEmpty() ? null : r.getSource().getName());
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
      String stage = AuditEvent.PROJECTED.is(e) ? "projection" : Stage.PROJECTOR.decided(e) ? null : "sync";
      if (stage != null) {
        newest.merge(stage, e, (x, y) -> Positions.compare(y.getSource(), x.getSource()) > 0 ? y : x);
      }
    }
    if (newest.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO pipeline_watermark (stage, source_lsn, source_commit_ts, invoice_id, "
        + "updated_at, source_epoch) VALUES (?,?,?,?,clock_timestamp(),?) ON CONFLICT (stage) DO UPDATE SET source_lsn = EXCLUDED.source_lsn, "
        + "source_epoch = EXCLUDED.source_epoch, source_commit_ts = EXCLUDED.source_commit_ts, invoice_id = EXCLUDED.invoice_id, "
        + "updated_at = EXCLUDED.updated_at WHERE " + Positions.sql("pipeline_watermark", "<=", "EXCLUDED"))) {
      for (Map.Entry<String, AuditEntry> e : newest.entrySet()) {
        ps.setString(1, e.getKey());
        ps.setLong(2, e.getValue().getSource().getLsn());
        ps.setObject(3, ts(e.getValue().getSource().getCommitTs()), Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setString(4, e.getValue().getInvoiceId());
        ps.setLong(5, e.getValue().getSource().getEpoch());
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

}
