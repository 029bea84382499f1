package io.invoicesync.outcomes.trace;

import static io.invoicesync.outcomes.trace.OutcomeTables.instant;

import io.invoicesync.outcomes.Outcome;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.Where;
import io.invoicesync.outcomes.audit.AuditVerifier;
import io.invoicesync.outcomes.view.AuditEntryView;
import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.Stage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers for one invoice: where it is and why ({@link #trace}), its audit trail with the chain
 * verified ({@link #history}), and which invoices carry a printed number ({@link #idsByNumber}).
 * Reads the query store (visible invoices and the outcome recorder's tables, through
 * {@link OutcomeTables}) and, when configured, the issuing database read-only. Shared by the HTTP API
 * and the {@code invoice-sync trace} command, so both say the same. The pipeline as a whole is
 * {@link PipelineStatus}'s.
 */
public final class TraceService {

  private static final Logger log = LoggerFactory.getLogger(TraceService.class);

  /**
   * Who an invoice belongs to now: the visible invoice when there is one, else its rejection, else the
   * outcome recorder's row, else its newest audit entry (the outcome and audit tables record the
   * seller only). Five parameters, each the invoice id.
   */
  private static final String CURRENT_PARTIES = "SELECT seller_tax_id, buyer_tax_id FROM ("
      + "SELECT 1 AS rank, seller_tax_id, buyer_tax_id FROM invoice WHERE id = ? "
      + "UNION ALL SELECT 2, seller_tax_id, buyer_tax_id FROM invoice_rejection WHERE invoice_id = ? "
      + "UNION ALL SELECT 3, seller_tax_id, NULL FROM invoice_outcome WHERE invoice_id = ? "
      + "UNION ALL SELECT 4, seller_tax_id, NULL FROM invoice_event WHERE invoice_id = ? "
      + "AND audit_offset = (SELECT max(audit_offset) FROM invoice_event WHERE invoice_id = ?)) known ORDER BY rank LIMIT 1";

  /** Where an audit entry is on the topic. */
  private record Position(int partition, long offset) {
  }

  /** The audit trail of one invoice, checked: the body of {@code GET /api/v1/invoices/{id}/audit}. */
  public record History(String invoiceId, boolean verified, List<String> problems, List<AuditEntryView> entries) {
  }

  private final DataSource store;
  private final SourceProbe source;

  /**
   * @param store the pool for reads of one invoice
   * @param source the issuing database's probe, or null when source access is not configured
   */
  public TraceService(DataSource store, SourceProbe source) {
    this.store = store;
    this.source = source;
  }

  /**
   * The trace of {@code id}. For {@link Tenant#ALL} always an answer, UNKNOWN when nothing knows the
   * invoice; for a tenant, empty unless a row of the store or the issuing database names one of its
   * tax ids as seller or buyer (an invoice of another taxpayer is answered like one nobody knows).
   */
  public Optional<Map<String, Object>> trace(Tenant tenant, String id) throws SQLException {
    TraceVerdict.Visible visible = null;
    String code = null;
    String number = null;
    TraceVerdict.Recorded recorded = null;
    List<AuditEntryView> history;
    Map<String, Object> rejection;
    List<Map<String, Object>> deadLetters;
    List<Map<String, Object>> webhooks;
    Instant newestHandled = null;
    // everything the store knows first, on one connection returned before the issuing database is asked (a slow source must
    // not hold the store's pool)
    boolean owned;
    try (Connection c = store.getConnection()) {
      owned = owns(c, tenant, id);
      try (PreparedStatement ps = c.prepareStatement("SELECT version, status, source_commit_ts, projected_at, synced_at, invoice_code, "
          + "invoice_number FROM invoice WHERE id = ?")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            visible = new TraceVerdict.Visible(rs.getInt(1), rs.getString(2), instant(rs, 3), instant(rs, 4));
            code = rs.getString(6);
            number = rs.getString(7);
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT outcome, last_event, latest_version, visible_version, updated_at, "
          + "invoice_code, invoice_number FROM invoice_outcome WHERE invoice_id = ?")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            recorded = new TraceVerdict.Recorded(Outcome.valueOf(rs.getString(1)), rs.getString(2), (Integer) rs.getObject(3),
                (Integer) rs.getObject(4), instant(rs, 5));
            if (number == null) {
              code = rs.getString(6);
              number = rs.getString(7);
            }
          }
        }
      }
      history = OutcomeTables.events(c, id);
      rejection = OutcomeTables.rejection(c, id);
      deadLetters = OutcomeTables.deadLetters(c, id);
      webhooks = OutcomeTables.webhookDeliveries(c, tenant, id);
      if (source != null) {
        try (PreparedStatement ps = c.prepareStatement("SELECT source_commit_ts FROM pipeline_watermark WHERE stage = 'sync'");
             ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            newestHandled = instant(rs, 1);
          }
        }
      }
    }
    Map<String, Object> sourceView = new LinkedHashMap<>();
    TraceVerdict.Source src = probeSource(tenant, id, newestHandled, sourceView);
    boolean sourceOwned = src.present(); // the probe sees only the tenant's rows
    if (!owned && !sourceOwned) {
      return Optional.empty();
    }
    if (number == null && sourceView.get("invoiceNumber") != null) {
      code = (String) sourceView.get("invoiceCode");
      number = (String) sourceView.get("invoiceNumber");
    }
    if (recorded == null && visible == null && !deadLetters.isEmpty()) {
      recorded = new TraceVerdict.Recorded(Outcome.DEAD_LETTERED, AuditEvent.DEAD_LETTERED.name(), null, null, null);
    }
    TraceVerdict verdict = TraceVerdict.decide(visible, recorded, src, Instant.now());

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("invoiceId", id);
    out.put("outcome", verdict.outcome().name());
    out.put("explanation", verdict.explanation());
    out.put("action", verdict.action());
    out.put("invoiceCode", code);
    out.put("invoiceNumber", number);
    out.put("visibleVersion", visible == null ? null : visible.version());
    out.put("latestVersionSeen", recorded != null && recorded.latestVersion() != null ? recorded.latestVersion()
        : visible == null ? null : visible.version());
    Map<String, Object> timeline = timeline(history, visible);
    if (timeline.get("sourceCommit") == null && sourceView.get("changedAt") != null) {
      timeline.put("sourceCommit", sourceView.get("changedAt")); // committed, not captured: the source's own time
    }
    out.put("timeline", timeline);
    out.put("rejection", rejection);
    out.put("deadLetters", deadLetters);
    out.put("history", history);
    out.put("webhooks", webhooks);
    out.put("source", sourceView);
    Map<String, Object> links = new LinkedHashMap<>();
    links.put("invoice", visible == null ? null : "/api/v1/invoices/" + id);
    links.put("audit", "/api/v1/invoices/" + id + "/audit");
    out.put("links", links);
    return Optional.of(out);
  }

  /**
   * Whether {@code id} is an invoice of one of the tenant's taxpayers, judged by its current state
   * ({@link #CURRENT_PARTIES}): a seller named by an earlier, corrected state does not keep access.
   * Always true for {@link Tenant#ALL}.
   */
  static boolean owns(Connection c, Tenant tenant, String id) throws SQLException {
    if (tenant.all()) {
      return true;
    }
    Where mine = tenant.where("seller_tax_id", "buyer_tax_id"); // the buyer is NULL where only the seller is recorded: no match
    try (PreparedStatement ps = c.prepareStatement("SELECT " + mine.sql() + " FROM (" + CURRENT_PARTIES + ") owner")) {
      int next = mine.bind(ps);
      for (int i = 0; i < 5; i++) {
        ps.setString(next + i, id);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1); // no row: nothing knows the invoice; NULL (only a buyer to match, none recorded): false
      }
    }
  }

  /** Source commit, capture, sync and projection times of the newest change seen. */
  private static Map<String, Object> timeline(List<AuditEntryView> history, TraceVerdict.Visible visible) {
    String commit = null;
    String captured = null;
    String decided = null;
    String synced = null;
    String projected = null;
    for (AuditEntryView e : history) {
      String event = e.event();
      if (Stage.SYNC_STREAMS.id().equals(e.stage()) && e.sourceLsn() >= 0 && !AuditEvent.DEDUPLICATED.name().equals(event)) {
        commit = e.sourceCommitTs();
        captured = e.capturedAt();
        decided = e.recordedAt();
        synced = AuditEvent.APPLIED.name().equals(event) ? e.recordedAt() : null;
        projected = null;
      }
      if (AuditEvent.PROJECTED.name().equals(event)) {
        projected = e.decidedAt();
      }
    }
    if (commit == null && visible != null) {
      commit = AuditEntryView.iso(visible.sourceCommitTs());
      projected = AuditEntryView.iso(visible.projectedAt());
    }
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("sourceCommit", commit);
    t.put("captured", captured);
    t.put("decided", decided);
    t.put("synced", synced);
    t.put("projected", projected);
    return t;
  }

  /** What the issuing database says of {@code id}, of the tenant's rows only (another taxpayer's invoice reads as not present). */
  private TraceVerdict.Source probeSource(Tenant tenant, String id, Instant newestHandled, Map<String, Object> view) {
    view.put("checked", false);
    if (source == null) {
      view.put("note", "no source access configured (api.source.jdbc.url)");
      return TraceVerdict.Source.UNCHECKED;
    }
    try {
      Optional<SourceProbe.SourceInvoice> inv = source.invoice(id).filter(i -> i.visibleTo(tenant));
      SourceProbe.Capture capture = source.capture();
      view.put("checked", true);
      view.put("present", inv.isPresent());
      inv.ifPresent(i -> {
        view.put("status", i.status());
        view.put("invoiceCode", i.invoiceCode());
        view.put("invoiceNumber", i.invoiceNumber());
        view.put("createdAt", AuditEntryView.iso(i.createdAt()));
        view.put("changedAt", AuditEntryView.iso(i.updatedAt()));
      });
      view.put("captureBehindBytes", capture.behindBytes());
      view.put("newestHandledCommit", AuditEntryView.iso(newestHandled));
      return new TraceVerdict.Source(true, inv.isPresent(), inv.map(SourceProbe.SourceInvoice::status).orElse(null),
          inv.map(SourceProbe.SourceInvoice::updatedAt).orElse(null), capture.behindBytes(), newestHandled);
    } catch (SQLException e) {
      log.warn("issuing database not reachable for a trace: {}", e.getMessage());
      view.put("note", "the issuing database is not reachable");
      return TraceVerdict.Source.UNCHECKED;
    }
  }

  /**
   * The audit trail of {@code id} as the query store recorded it, checked by {@link AuditVerifier}
   * (every hash recomputed, every link to its predecessor checked): {@code verified}, a sentence per
   * broken entry, and {@code hashOk} per entry. Another taxpayer's trail reads as empty, like an
   * unknown invoice's. (The topic itself is verified by {@code invoice-sync audit verify}.)
   */
  public History history(Tenant tenant, String id) throws SQLException {
    List<AuditEntryView> entries = new ArrayList<>();
    AuditVerifier verifier = new AuditVerifier(id, null, null);
    try (Connection c = store.getConnection()) {
      if (!owns(c, tenant, id)) {
        return new History(id, false, List.of(), List.of()); // another taxpayer's trail reads as an unknown invoice's
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice_event WHERE invoice_id = ? ORDER BY audit_offset")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            AuditEntryView view = OutcomeTables.entryView(rs);
            verifier.accept(view.auditPartition(), view.auditOffset(), OutcomeTables.auditEntry(rs));
            entries.add(view);
          }
        }
      }
    }
    Map<Position, AuditEntryView> byPosition = new HashMap<>();
    entries.forEach(e -> byPosition.put(new Position(e.auditPartition(), e.auditOffset()), e));
    List<String> problems = new ArrayList<>();
    Set<Position> altered = new HashSet<>();
    for (AuditVerifier.Problem p : verifier.finish(false)) {
      Position at = new Position(p.partition(), p.offset());
      boolean hash = "ALTERED".equals(p.kind()); // every other kind is a link that does not hold
      if (hash) {
        altered.add(at);
      }
      problems.add("offset " + p.offset() + " (" + byPosition.get(at).event() + "): "
          + (hash ? "hash does not match the entry's content" : "prevHash does not link to the previous entry"));
    }
    List<AuditEntryView> checked = entries.stream()
        .map(e -> e.checked(!altered.contains(new Position(e.auditPartition(), e.auditOffset())))).toList();
    return new History(id, !entries.isEmpty() && problems.isEmpty(), problems, checked);
  }

  /** Ids of invoices with this printed number (and code), visible or not, newest first; at most 20. */
  public List<String> idsByNumber(Tenant tenant, String number, String code) throws SQLException {
    Set<String> ids = new LinkedHashSet<>();
    try (Connection c = store.getConnection()) {
      Where visible = tenant.where("seller_tax_id", "buyer_tax_id").and("invoice_number = ?", number).andIfPresent("invoice_code = ?", code);
      Where recorded = tenant.where("seller_tax_id").and("invoice_number = ?", number).andIfPresent("invoice_code = ?", code);
      ids.addAll(ids(c, "SELECT id FROM invoice WHERE " + visible.sql() + " ORDER BY issue_date DESC, id DESC LIMIT 20", visible));
      ids.addAll(ids(c, "SELECT invoice_id FROM invoice_outcome WHERE " + recorded.sql() + " LIMIT 20", recorded));
      ids.addAll(ids(c, "SELECT invoice_id FROM invoice_rejection WHERE " + visible.sql() + " LIMIT 20", visible));
    }
    if (ids.isEmpty() && source != null) {
      try {
        ids.addAll(source.idsByNumber(tenant, number, code));
      } catch (SQLException e) {
        log.warn("issuing database not reachable for a number lookup: {}", e.getMessage());
      }
    }
    return new ArrayList<>(ids).subList(0, Math.min(20, ids.size()));
  }

  private static List<String> ids(Connection c, String sql, Where where) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      where.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
    }
    return ids;
  }
}
