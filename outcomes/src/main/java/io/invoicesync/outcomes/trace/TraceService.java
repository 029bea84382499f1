package io.invoicesync.outcomes.trace;

import io.invoicesync.outcomes.Outcome;
import io.invoicesync.schemas.AuditEvent;
import java.util.EnumMap;
import java.time.Duration;
import io.invoicesync.schemas.Stage;
import io.invoicesync.outcomes.Sql;
import io.invoicesync.outcomes.Tenant;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.outcomes.trace.TraceVerdict;
import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.SourcePosition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
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
 * recomputed ({@link #history}), which invoices carry a printed number ({@link #idsByNumber}), and
 * the pipeline's freshness ({@link #status}). Reads the query store (visible invoices and the
 * outcome recorder's tables) and, when configured, the issuing database read-only. Shared by the
 * HTTP API and the {@code invoice-sync trace} command, so both say the same.
 *
 * <p>Size: over 400 lines because trace, history, status and the number lookup read the same outcome tables with one set of SQL and row mappers; splitting them would spread that SQL over several classes.
 */
public final class TraceService {

  /** Last events of an invoice in flight that park it (retried by the projector, a red invoice awaiting its blue one). */
  private static final Set<String> PARKED_BY = Set.of(AuditEvent.RETRIED.name(), AuditEvent.AWAITING_RED.name());

  private static final Logger log = LoggerFactory.getLogger(TraceService.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DataSource store;
  private final DataSource counts;
  private final SourceProbe source;

  /** @param source the issuing database's probe, or null when source access is not configured */
  public TraceService(DataSource store, SourceProbe source) {
    this(store, store, source);
  }

  /**
   * @param store the pool for reads of one invoice
   * @param counts the pool for {@link #status}'s counts, which scan (the API's search pool)
   * @param source the issuing database's probe, or null when source access is not configured
   */
  public TraceService(DataSource store, DataSource counts, SourceProbe source) {
    this.store = store;
    this.counts = counts;
    this.source = source;
  }

  /**
   * The trace of {@code id}. For {@link Tenant#ALL} always an answer, UNKNOWN when nothing knows the
   * invoice; for a tenant, empty unless a row of the store or the issuing database names one of its
   * tax ids as seller or buyer (an invoice of another taxpayer is answered like one nobody knows).
   */
  public Optional<Map<String, Object>> trace(Tenant tenant, String id) throws SQLException {
    Map<String, Object> out = new LinkedHashMap<>();
    TraceVerdict.Visible visible = null;
    String code = null;
    String number = null;
    TraceVerdict.Recorded recorded = null;
    List<Map<String, Object>> history;
    Map<String, Object> rejection;
    List<Map<String, Object>> deadLetters;
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
            recorded = new TraceVerdict.Recorded(Outcome.valueOf(rs.getString(1)), rs.getString(2), (Integer) rs.getObject(3), (Integer) rs.getObject(4),
                instant(rs, 5));
            if (number == null) {
              code = rs.getString(6);
              number = rs.getString(7);
            }
          }
        }
      }
      history = events(c, id);
      rejection = rejection(c, id);
      deadLetters = deadLetters(c, id);
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
    boolean sourceOwned = Boolean.TRUE.equals(sourceView.remove("tenantsOwn"));
    if (!owned && !sourceOwned) {
      return Optional.empty();
    }
    if (number == null && sourceView.get("invoiceNumber") != null) {
      code = (String) sourceView.get("invoiceCode");
      number = (String) sourceView.get("invoiceNumber");
    }
    if (recorded == null && visible == null && deadLetters.isEmpty() == false) {
      recorded = new TraceVerdict.Recorded(Outcome.DEAD_LETTERED, AuditEvent.DEAD_LETTERED.name(), null, null, null);
    }
    TraceVerdict verdict = TraceVerdict.decide(visible, recorded, src, Instant.now());

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
    out.put("source", sourceView);
    Map<String, Object> links = new LinkedHashMap<>();
    links.put("invoice", visible == null ? null : "/api/v1/invoices/" + id);
    links.put("audit", "/api/v1/invoices/" + id + "/audit");
    out.put("links", links);
    return Optional.of(out);
  }

  /**
   * Whether {@code id} is an invoice of one of the tenant's taxpayers, judged by its current state:
   * the visible invoice when there is one, else its rejection, else the outcome recorder's row, else
   * its audit trail (a seller named by an earlier, corrected state does not keep access). The outcome
   * and audit tables record the seller only. Always true for {@link Tenant#ALL}.
   */
  private static boolean owns(Connection c, Tenant tenant, String id) throws SQLException {
    if (tenant.all()) {
      return true;
    }
    List<Object> args = new ArrayList<>();
    StringBuilder sql = new StringBuilder("SELECT CASE");
    String[][] tables = {{"invoice", "id", "buyer_tax_id"}, {"invoice_rejection", "invoice_id", "buyer_tax_id"},
        {"invoice_outcome", "invoice_id", null}};
    for (String[] t : tables) {
      sql.append(" WHEN EXISTS (SELECT 1 FROM ").append(t[0]).append(" WHERE ").append(t[1]).append(" = ?) THEN EXISTS (SELECT 1 FROM ")
          .append(t[0]).append(" WHERE ").append(t[1]).append(" = ?").append(tenant.sql("seller_tax_id", t[2])).append(")");
      args.add(id);
      args.add(id);
      tenant.bind(args, t[2] != null);
    }
    sql.append(" ELSE EXISTS (SELECT 1 FROM invoice_event WHERE invoice_id = ?").append(tenant.sql("seller_tax_id", null))
        .append(" AND audit_offset = (SELECT max(audit_offset) FROM invoice_event WHERE invoice_id = ?)) END");
    args.add(id);
    tenant.bind(args, false);
    args.add(id);
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      Sql.bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** Source commit, capture, sync and projection times of the newest change seen. */
  private static Map<String, Object> timeline(List<Map<String, Object>> history, TraceVerdict.Visible visible) {
    Map<String, Object> t = new LinkedHashMap<>();
    Object commit = null;
    Object captured = null;
    Object decided = null;
    Object synced = null;
    Object projected = null;
    for (Map<String, Object> e : history) {
      String event = (String) e.get("event");
      if (Stage.SYNC_STREAMS.id().equals(e.get("stage")) && e.get("sourceLsn") instanceof Long lsn && lsn >= 0 && !AuditEvent.DEDUPLICATED.name().equals(event)) {
        commit = e.get("sourceCommitTs");
        captured = e.get("capturedAt");
        decided = e.get("recordedAt");
        synced = AuditEvent.APPLIED.name().equals(event) ? e.get("recordedAt") : null;
        projected = null;
      }
      if (AuditEvent.PROJECTED.name().equals(event)) {
        projected = e.get("decidedAt");
      }
    }
    if (commit == null && visible != null) {
      commit = str(visible.sourceCommitTs());
      projected = str(visible.projectedAt());
    }
    t.put("sourceCommit", commit);
    t.put("captured", captured);
    t.put("decided", decided);
    t.put("synced", synced);
    t.put("projected", projected);
    return t;
  }

  /** What the issuing database says of {@code id}; {@code view} gets "tenantsOwn" (for the caller to remove) when the row is the tenant's. */
  private TraceVerdict.Source probeSource(Tenant tenant, String id, Instant newestHandled, Map<String, Object> view) {
    view.put("checked", false);
    if (source == null) {
      view.put("note", "no source access configured (api.source.jdbc.url)");
      return TraceVerdict.Source.UNCHECKED;
    }
    try {
      Optional<SourceProbe.SourceInvoice> inv = source.invoice(id).filter(i -> i.visibleTo(tenant));
      SourceProbe.Capture capture = source.capture();
      view.put("tenantsOwn", inv.isPresent());
      view.put("checked", true);
      view.put("present", inv.isPresent());
      inv.ifPresent(i -> {
        view.put("status", i.status());
        view.put("invoiceCode", i.invoiceCode());
        view.put("invoiceNumber", i.invoiceNumber());
        view.put("createdAt", str(i.createdAt()));
        view.put("changedAt", str(i.updatedAt()));
      });
      view.put("captureBehindBytes", capture.behindBytes());
      view.put("newestHandledCommit", str(newestHandled));
      return new TraceVerdict.Source(true, inv.isPresent(), inv.map(SourceProbe.SourceInvoice::status).orElse(null),
          inv.map(SourceProbe.SourceInvoice::updatedAt).orElse(null), capture.behindBytes(), newestHandled);
    } catch (SQLException e) {
      log.warn("issuing database not reachable for a trace: {}", e.getMessage());
      view.put("note", "the issuing database is not reachable");
      return TraceVerdict.Source.UNCHECKED;
    }
  }

  /** The invoice's audit trail as recorded, oldest first. */
  private static List<Map<String, Object>> events(Connection c, String id) throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice_event WHERE invoice_id = ? ORDER BY audit_offset")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> e = new LinkedHashMap<>();
          e.put("event", rs.getString("event"));
          e.put("stage", Stage.idOf(rs.getString("stage")));
          e.put("version", rs.getObject("version"));
          e.put("detail", rs.getString("detail"));
          e.put("sourceLsn", rs.getLong("source_lsn"));
          e.put("sourceCommitTs", str(instant(rs, "source_commit_ts")));
          e.put("capturedAt", str(instant(rs, "captured_at")));
          e.put("decidedAt", str(instant(rs, "decided_at")));
          e.put("recordedAt", str(instant(rs, "recorded_at")));
          e.put("auditPartition", rs.getInt("audit_partition"));
          e.put("auditOffset", rs.getLong("audit_offset"));
          e.put("hash", rs.getString("hash"));
          e.put("prevHash", rs.getString("prev_hash"));
          out.add(e);
        }
      }
    }
    return out;
  }

  private static Map<String, Object> rejection(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT rejected_at, source_commit_ts, codes, violations::text FROM invoice_rejection "
        + "WHERE invoice_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("rejectedAt", str(instant(rs, 1)));
        r.put("sourceCommitTs", str(instant(rs, 2)));
        r.put("codes", List.of(rs.getString(3).split(",")));
        try {
          r.put("violations", io.invoicesync.outcomes.trace.RuleMessages.ordered(JSON.readValue(rs.getString(4), List.class)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException("invoice_rejection.violations of " + id + " is not JSON", e);
        }
        return r;
      }
    }
  }

  private static List<Map<String, Object>> deadLetters(Connection c, String id) throws SQLException {
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
          d.put("firstFailureAt", str(instant(rs, "first_failure_at")));
          d.put("deadLetteredAt", str(instant(rs, "dead_lettered_at")));
          out.add(d);
        }
      }
    }
    return out;
  }

  /**
   * The audit trail of {@code id} as the query store recorded it, with {@code verified}: every
   * hash recomputed ({@link AuditChain}) and every link to its predecessor checked. A broken entry
   * is named. (The topic itself is verified by {@code invoice-sync audit verify}.)
   */
  public Map<String, Object> history(Tenant tenant, String id) throws SQLException {
    List<Map<String, Object>> entries = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice_event WHERE invoice_id = ? AND ? ORDER BY audit_offset")) {
      ps.setString(1, id);
      ps.setBoolean(2, owns(c, tenant, id)); // another taxpayer's trail reads as empty, like an unknown invoice's
      String previous = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          AuditEntry e = AuditEntry.newBuilder().setInvoiceId(rs.getString("invoice_id")).setEvent(rs.getString("event"))
              .setVersion((Integer) rs.getObject("version"))
              .setSource(SourcePosition.newBuilder().setLsn(rs.getLong("source_lsn"))
                  .setCommitTs(instant(rs, "source_commit_ts") == null ? Instant.EPOCH : instant(rs, "source_commit_ts")).build())
              .setDigest(rs.getString("digest")).setDetail(rs.getString("detail")).setPrevHash(rs.getString("prev_hash"))
              .setHash(rs.getString("hash")).setRecordedAt(instant(rs, "recorded_at")).setStage(rs.getString("stage"))
              .setCapturedAt(instant(rs, "captured_at")).setDecidedAt(instant(rs, "decided_at"))
              .setInvoiceCode(rs.getString("invoice_code")).setInvoiceNumber(rs.getString("invoice_number"))
              .setSellerTaxId(rs.getString("seller_tax_id")).build();
          String where = "offset " + rs.getLong("audit_offset") + " (" + e.getEvent() + ")";
          if (!AuditChain.hash(e).equals(e.getHash())) {
            problems.add(where + ": hash does not match the entry's content");
          }
          if (!java.util.Objects.equals(previous, e.getPrevHash())) {
            problems.add(where + ": prevHash does not link to the previous entry");
          }
          previous = e.getHash();
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("event", e.getEvent());
          m.put("stage", Stage.idOf(e));
          m.put("version", e.getVersion());
          m.put("detail", e.getDetail());
          m.put("sourceLsn", e.getSource().getLsn());
          m.put("recordedAt", str(e.getRecordedAt()));
          m.put("auditPartition", rs.getInt("audit_partition"));
          m.put("auditOffset", rs.getLong("audit_offset"));
          m.put("prevHash", e.getPrevHash());
          m.put("hash", e.getHash());
          entries.add(m);
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("invoiceId", id);
    out.put("verified", !entries.isEmpty() && problems.isEmpty());
    out.put("problems", problems);
    out.put("entries", entries);
    return out;
  }

  /** Ids of invoices with this printed number (and code), visible or not, newest first; at most 20. */
  public List<String> idsByNumber(Tenant tenant, String number, String code) throws SQLException {
    Set<String> ids = new LinkedHashSet<>();
    try (Connection c = store.getConnection()) {
      String match = " WHERE invoice_number = ? AND (?::text IS NULL OR invoice_code = ?)";
      for (String[] q : new String[][] {
          {"SELECT id FROM invoice" + match + tenant.sql("seller_tax_id", "buyer_tax_id") + " ORDER BY issue_date DESC, id DESC LIMIT 20", "b"},
          {"SELECT invoice_id FROM invoice_outcome" + match + tenant.sql("seller_tax_id", null) + " LIMIT 20", ""},
          {"SELECT invoice_id FROM invoice_rejection" + match + tenant.sql("seller_tax_id", "buyer_tax_id") + " LIMIT 20", "b"}}) {
        try (PreparedStatement ps = c.prepareStatement(q[0])) {
          List<Object> args = new ArrayList<>(java.util.Arrays.asList(number, code, code));
          tenant.bind(args, !q[1].isEmpty());
          Sql.bind(ps, args);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getString(1));
            }
          }
        }
      }
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

  /**
   * The pipeline's freshness: per stage the newest source position and commit time handled, the
   * source's current WAL position (when configured), the commit-to-visible lag now, and counts of
   * invoices by outcome.
   */
  public Map<String, Object> status(Tenant tenant) throws SQLException {
    Map<String, Object> out = new LinkedHashMap<>();
    Instant now = Instant.now();
    try (Connection c = counts.getConnection()) {
      Map<String, Object> stages = new LinkedHashMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT stage, source_lsn, source_commit_ts, updated_at FROM pipeline_watermark ORDER BY stage");
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("sourceLsn", rs.getLong(2));
          s.put("sourceCommitTs", str(instant(rs, 3)));
          s.put("handledAt", str(instant(rs, 4)));
          stages.put(rs.getString(1), s);
        }
      }
      Map<String, Object> visible = new LinkedHashMap<>();
      // the newest visible state by source position: the invoice the projection watermark names, by primary key (no scan)
      try (PreparedStatement ps = c.prepareStatement("SELECT i.source_lsn, i.source_commit_ts, i.projected_at FROM invoice i "
          + "WHERE i.id = (SELECT invoice_id FROM pipeline_watermark WHERE stage = 'projection')"); ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          visible.put("sourceLsn", rs.getLong(1));
          visible.put("sourceCommitTs", str(instant(rs, 2)));
          visible.put("projectedAt", str(instant(rs, 3)));
          visible.put("commitToVisibleSeconds", Duration.between(instant(rs, 2), instant(rs, 3)).toMillis() / 1000.0);
        }
      }
      stages.put("visible", visible);
      if (tenant.all()) {
        out.put("stages", stages); // positions and times of the newest invoices, whoever's: only for a caller who sees them all
      }

      Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
      for (Outcome o : Outcome.RECORDED) {
        counts.put(o, 0L);
      }
      long parked = 0;
      List<Object> tenantArgs = new ArrayList<>();
      tenant.bind(tenantArgs, false);
      try (PreparedStatement ps = c.prepareStatement("SELECT outcome, last_event, count(*) FROM invoice_outcome WHERE true"
          + tenant.sql("seller_tax_id", null) + " GROUP BY outcome, last_event")) {
        Sql.bind(ps, tenantArgs);
        ResultSet rs = ps.executeQuery();
        while (rs.next()) {
          counts.merge(Outcome.valueOf(rs.getString(1)), rs.getLong(3), Long::sum);
          if (Outcome.IN_FLIGHT.name().equals(rs.getString(1)) && PARKED_BY.contains(rs.getString(2))) {
            parked += rs.getLong(3);
          }
        }
      }
      Map<String, Object> c2 = new LinkedHashMap<>();
      c2.put("visible", counts.get(Outcome.VISIBLE));
      c2.put("inFlight", counts.get(Outcome.IN_FLIGHT));
      c2.put("parked", parked);
      c2.put("rejected", counts.get(Outcome.REJECTED));
      c2.put("deadLettered", counts.get(Outcome.DEAD_LETTERED));
      try (PreparedStatement ps = c.prepareStatement(tenant.all() ? "SELECT count(*) FROM dead_letter"
          : "SELECT count(*) FROM dead_letter d JOIN invoice_outcome o ON o.invoice_id = d.invoice_id WHERE true" + tenant.sql("o.seller_tax_id", null))) {
        Sql.bind(ps, tenantArgs);
        ResultSet rs = ps.executeQuery();
        rs.next();
        c2.put("deadLetterRecords", rs.getLong(1));
      }
      out.put("counts", c2);

      Object syncCommit = stages.get("sync") instanceof Map<?, ?> m ? m.get("sourceCommitTs") : null;
      Object projectionCommit = stages.get("projection") instanceof Map<?, ?> m ? m.get("sourceCommitTs") : null;
      Map<String, Object> lag = new LinkedHashMap<>();
      lag.put("commitToVisibleSeconds", tenant.all() ? visible.get("commitToVisibleSeconds") : null);
      lag.put("projectionBehindSyncSeconds", syncCommit == null || projectionCommit == null || !tenant.all() ? null
          : Math.max(0, Duration.between(Instant.parse((String) projectionCommit), Instant.parse((String) syncCommit)).toMillis()) / 1000.0);
      lag.put("inFlight", counts.get(Outcome.IN_FLIGHT));
      out.put("lag", lag);
    }
    Map<String, Object> src = new LinkedHashMap<>();
    if (!tenant.all()) {
      src.put("checked", false); // the issuing database's position is the pipeline's, not shown to a tenant
    } else if (source == null) {
      src.put("checked", false);
      src.put("note", "no source access configured (api.source.jdbc.url)");
    } else {
      try {
        SourceProbe.Capture cap = source.capture();
        src.put("checked", true);
        src.put("slot", cap.slot());
        src.put("slotExists", cap.slotExists());
        src.put("slotActive", cap.slotActive());
        src.put("currentWalLsn", cap.currentWalLsn());
        src.put("confirmedFlushLsn", cap.confirmedFlushLsn());
        src.put("captureBehindBytes", cap.behindBytes());
      } catch (SQLException e) {
        src.put("checked", false);
        src.put("note", "the issuing database is not reachable");
      }
    }
    if (tenant.all()) {
      out.put("source", src); // the issuing database's WAL position and slot: the pipeline's, not a tenant's
    }
    out.put("at", now.toString());
    return out;
  }

  /** The newest recorded reconciliation report (JSON), if any. */
  public Optional<String> lastReconcile() throws SQLException {
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT report::text FROM reconcile_report ORDER BY id DESC LIMIT 1");
         ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return Optional.empty(); // a store migrated before V3
      }
      throw e;
    }
  }

  private static Instant instant(ResultSet rs, String col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  private static Instant instant(ResultSet rs, int col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  private static String str(Instant t) {
    return t == null ? null : t.toString();
  }
}
