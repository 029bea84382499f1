package io.invoicesync.outcomes.trace;

import io.invoicesync.outcomes.view.AuditEntryView;
import io.invoicesync.outcomes.view.FileView;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Stage;
import io.invoicesync.outcomes.Tenant;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Row readers of the outcome recorder's tables for one invoice: its audit trail, latest rejection and dead letters. */
final class OutcomeTables {


  private OutcomeTables() {
  }

  /** The invoice's audit trail as recorded, oldest first. */
  static List<AuditEntryView> events(Connection c, String id) throws SQLException {
    List<AuditEntryView> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice_event WHERE invoice_id = ? ORDER BY audit_offset")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(entryView(rs));
        }
      }
    }
    return out;
  }

  /** A row of {@code invoice_event} as the trail shows it (not yet checked). */
  static AuditEntryView entryView(ResultSet rs) throws SQLException {
    return new AuditEntryView(rs.getString("event"), Stage.idOf(rs.getString("stage")), (Integer) rs.getObject("version"),
        rs.getString("detail"), rs.getLong("source_lsn"), iso(rs, "source_commit_ts"), iso(rs, "captured_at"), iso(rs, "decided_at"),
        iso(rs, "recorded_at"), rs.getInt("audit_partition"), rs.getLong("audit_offset"), rs.getString("hash"), rs.getString("prev_hash"),
        null, rs.getString("source_name"), FileView.parse(rs.getString("source_file")));
  }

  /** A row of {@code invoice_event} as the entry that was hashed: every field the chain's formula covers, as the topic had it. */
  static AuditEntry auditEntry(ResultSet rs) throws SQLException {
    Instant commitTs = instant(rs, "source_commit_ts");
    FileView file = FileView.parse(rs.getString("source_file"));
    return AuditEntry.newBuilder().setInvoiceId(rs.getString("invoice_id")).setEvent(rs.getString("event"))
        .setVersion((Integer) rs.getObject("version"))
        .setSource(SourcePosition.newBuilder().setLsn(rs.getLong("source_lsn")).setCommitTs(commitTs == null ? Instant.EPOCH : commitTs)
            .setTxId((Long) rs.getObject("source_tx_id")).setEpoch(rs.getLong("source_epoch"))
            .setSnapshot(Boolean.TRUE.equals(rs.getObject("source_snapshot")))
            .setName(rs.getString("source_name") == null ? "" : rs.getString("source_name"))
            .setFile(file == null ? null : file.position()).build())
        .setDigest(rs.getString("digest")).setDetail(rs.getString("detail")).setPrevHash(rs.getString("prev_hash"))
        .setHash(rs.getString("hash")).setRecordedAt(instant(rs, "recorded_at")).setStage(rs.getString("stage"))
        .setCapturedAt(instant(rs, "captured_at")).setDecidedAt(instant(rs, "decided_at"))
        .setInvoiceCode(rs.getString("invoice_code")).setInvoiceNumber(rs.getString("invoice_number"))
        .setSellerTaxId(rs.getString("seller_tax_id")).setKeyId(rs.getString("key_id")).setMac(rs.getString("mac")).build();
  }

  /** The invoice's latest rejection with every violation (contract order), or null. */
  static Map<String, Object> rejection(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT rejected_at, source_commit_ts, codes, violations::text FROM invoice_rejection "
        + "WHERE invoice_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("rejectedAt", AuditEntryView.iso(instant(rs, 1)));
        r.put("sourceCommitTs", AuditEntryView.iso(instant(rs, 2)));
        r.put("codes", List.of(rs.getString(3).split(",")));
        r.put("violations", RuleMessages.stored(rs.getString(4), id));
        return r;
      }
    }
  }

  /** The invoice's dead letters, oldest first: coordinates and provenance, no payload. */
  /**
   * The webhook messages about the invoice, per endpoint the tenant may see (an endpoint registered for
   * another taxpayer, say the buyer's, is not shown to the seller), oldest first.
   */
  static List<Map<String, Object>> webhookDeliveries(Connection c, Tenant tenant, String id) throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT m.* FROM webhook_message m JOIN webhook_endpoint e ON e.id = m.endpoint_id "
        + "WHERE m.invoice_id = ?" + (tenant.all() ? "" : " AND e.tenant_tax_ids IS NOT NULL AND e.tenant_tax_ids <@ ?")
        + " ORDER BY m.endpoint_id, m.seq")) {
      ps.setString(1, id);
      if (!tenant.all()) {
        ps.setArray(2, c.createArrayOf("text", tenant.taxIds().toArray()));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("endpointId", rs.getString("endpoint_id"));
          d.put("messageId", rs.getString("id"));
          d.put("eventType", rs.getString("event_type"));
          d.put("version", rs.getObject("version"));
          d.put("status", rs.getString("status"));
          d.put("attempts", rs.getInt("attempts"));
          d.put("lastResponseStatus", rs.getObject("last_status"));
          d.put("lastError", rs.getString("last_error"));
          d.put("createdAt", iso(rs, "created_at"));
          d.put("deliveredAt", iso(rs, "delivered_at"));
          out.add(d);
        }
      }
    }
    return out;
  }

  static List<Map<String, Object>> deadLetters(Connection c, String id) throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM dead_letter WHERE invoice_id = ? ORDER BY dead_lettered_at")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("topic", rs.getString("dlt_topic"));
          d.put("partition", rs.getInt("dlt_partition"));
          d.put("offset", rs.getLong("dlt_offset"));
          d.put("originalTopic", rs.getString("original_topic"));
          d.put("originalPartition", rs.getObject("original_partition"));
          d.put("originalOffset", rs.getObject("original_offset"));
          d.put("stage", rs.getString("stage"));
          d.put("exceptionClass", rs.getString("exception_class"));
          d.put("causeClass", rs.getString("cause_class"));
          d.put("message", rs.getString("message"));
          d.put("attempts", rs.getObject("attempts"));
          d.put("firstFailureAt", iso(rs, "first_failure_at"));
          d.put("deadLetteredAt", iso(rs, "dead_lettered_at"));
          out.add(d);
        }
      }
    }
    return out;
  }

  static Instant instant(ResultSet rs, String col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static Instant instant(ResultSet rs, int col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  private static String iso(ResultSet rs, String col) throws SQLException {
    return AuditEntryView.iso(instant(rs, col));
  }
}
