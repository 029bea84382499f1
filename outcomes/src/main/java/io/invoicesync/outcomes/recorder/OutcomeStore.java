package io.invoicesync.outcomes.recorder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.outcomes.Outcome;
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

  /** What one poll brought. */
  static final class Batch {
    final List<AuditRecord> events = new ArrayList<>();
    final Map<String, InvoiceRejected> rejections = new LinkedHashMap<>();
    final List<ConsumerRecord<String, byte[]>> deadLetters = new ArrayList<>();
  }

  private final DataSource dataSource;

  OutcomeStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** One transaction; rolled back and thrown on any failure. */
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
        try {
          c.rollback();
        } catch (SQLException rollbackFailed) {
          e.addSuppressed(rollbackFailed); // a dead connection cannot roll back; what failed the write is what the caller classifies
        }
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
        ps.setString(i++, o.outcome().name());
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

  private static void upsertRejections(Connection c, Collection<InvoiceRejected> rejections) throws SQLException {
    if (rejections.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO invoice_rejection (invoice_id, source_lsn, source_commit_ts, rejected_at, "
        + "codes, violations, invoice_code, invoice_number, invoice_type, issue_date, status, seller_name, seller_tax_id, buyer_name, "
        + "buyer_tax_id, total_amount, total_tax, grand_total, source_epoch) VALUES (?,?,?,?,?,?::jsonb,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        + "ON CONFLICT (invoice_id) DO UPDATE SET source_lsn = EXCLUDED.source_lsn, source_epoch = EXCLUDED.source_epoch, source_commit_ts = EXCLUDED.source_commit_ts, "
        + "rejected_at = EXCLUDED.rejected_at, codes = EXCLUDED.codes, violations = EXCLUDED.violations, invoice_code = EXCLUDED.invoice_code, "
        + "invoice_number = EXCLUDED.invoice_number, invoice_type = EXCLUDED.invoice_type, issue_date = EXCLUDED.issue_date, "
        + "status = EXCLUDED.status, seller_name = EXCLUDED.seller_name, seller_tax_id = EXCLUDED.seller_tax_id, "
        + "buyer_name = EXCLUDED.buyer_name, buyer_tax_id = EXCLUDED.buyer_tax_id, total_amount = EXCLUDED.total_amount, "
        + "total_tax = EXCLUDED.total_tax, grand_total = EXCLUDED.grand_total WHERE "
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
        ps.setLong(i, r.getSource().getEpoch());
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
