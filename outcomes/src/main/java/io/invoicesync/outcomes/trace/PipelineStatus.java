package io.invoicesync.outcomes.trace;

import static io.invoicesync.outcomes.trace.OutcomeTables.instant;

import io.invoicesync.outcomes.Outcome;
import io.invoicesync.outcomes.history.HistoryLoad;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.Where;
import io.invoicesync.outcomes.view.AuditEntryView;
import io.invoicesync.schemas.AuditEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * How the pipeline is doing, from the query store (and the issuing database when configured): the
 * freshness per stage, the lag, counts of invoices by outcome ({@link #status}), and the newest
 * scheduled reconciliation ({@link #lastReconcile}). Served by {@code GET /api/v1/status} and
 * {@code GET /api/v1/reconcile/last}.
 */
public final class PipelineStatus {

  /** Last events of an invoice in flight that park it (retried by the projector, a red invoice awaiting its blue one). */
  private static final Set<String> PARKED_BY = Set.of(AuditEvent.RETRIED.name(), AuditEvent.AWAITING_RED.name());

  private final DataSource lookups;
  private final DataSource scans;
  private final SourceProbe source;

  /**
   * @param lookups the pool for single-row reads (the last report)
   * @param scans the pool for {@link #status}'s counts, which scan (the API's search pool)
   * @param source the issuing database's probe, or null when source access is not configured
   */
  public PipelineStatus(DataSource lookups, DataSource scans, SourceProbe source) {
    this.lookups = lookups;
    this.scans = scans;
    this.source = source;
  }

  /**
   * The pipeline's freshness: per stage the newest source position and commit time handled, the
   * source's current WAL position (when configured), the commit-to-visible lag now, and counts of
   * invoices by outcome. Positions, times and the source are the pipeline's, not a tenant's: only a
   * caller who sees every taxpayer gets them; counts are the tenant's.
   */
  public Map<String, Object> status(Tenant tenant) throws SQLException {
    Map<String, Object> out = new LinkedHashMap<>();
    Instant now = Instant.now();
    try (Connection c = scans.getConnection()) {
      Map<String, Object> stages = stages(c);
      if (tenant.all()) {
        out.put("stages", stages); // positions and times of the newest invoices, whoever's: only for a caller who sees them all
      }
      Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
      for (Outcome o : Outcome.RECORDED) {
        counts.put(o, 0L);
      }
      long parked = 0;
      Where mine = tenant.where("seller_tax_id");
      try (PreparedStatement ps = c.prepareStatement("SELECT outcome, last_event, count(*) FROM invoice_outcome WHERE " + mine.sql()
          + " GROUP BY outcome, last_event")) {
        mine.bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            counts.merge(Outcome.valueOf(rs.getString(1)), rs.getLong(3), Long::sum);
            if (Outcome.IN_FLIGHT.name().equals(rs.getString(1)) && PARKED_BY.contains(rs.getString(2))) {
              parked += rs.getLong(3);
            }
          }
        }
      }
      Map<String, Object> c2 = new LinkedHashMap<>();
      c2.put("visible", counts.get(Outcome.VISIBLE));
      c2.put("inFlight", counts.get(Outcome.IN_FLIGHT));
      c2.put("parked", parked);
      c2.put("rejected", counts.get(Outcome.REJECTED));
      c2.put("deadLettered", counts.get(Outcome.DEAD_LETTERED));
      Where theirs = tenant.where("o.seller_tax_id");
      try (PreparedStatement ps = c.prepareStatement(tenant.all() ? "SELECT count(*) FROM dead_letter"
          : "SELECT count(*) FROM dead_letter d JOIN invoice_outcome o ON o.invoice_id = d.invoice_id WHERE " + theirs.sql())) {
        if (!tenant.all()) {
          theirs.bind(ps);
        }
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          c2.put("deadLetterRecords", rs.getLong(1));
        }
      }
      out.put("counts", c2);

      Object syncCommit = stages.get("sync") instanceof Map<?, ?> m ? m.get("sourceCommitTs") : null;
      Object projectionCommit = stages.get("projection") instanceof Map<?, ?> m ? m.get("sourceCommitTs") : null;
      Map<String, Object> lag = new LinkedHashMap<>();
      lag.put("commitToVisibleSeconds", tenant.all() && stages.get("visible") instanceof Map<?, ?> v ? v.get("commitToVisibleSeconds") : null);
      lag.put("projectionBehindSyncSeconds", syncCommit == null || projectionCommit == null || !tenant.all() ? null
          : Math.max(0, Duration.between(Instant.parse((String) projectionCommit), Instant.parse((String) syncCommit)).toMillis()) / 1000.0);
      lag.put("inFlight", counts.get(Outcome.IN_FLIGHT));
      out.put("lag", lag);
      if (tenant.all()) {
        // the initial loads of existing invoices ('invoice-sync history load'): the pipeline's, not a tenant's
        List<Map<String, Object>> history = new java.util.ArrayList<>();
        for (HistoryLoad.Progress h : HistoryLoad.newestPerSource(c)) {
          Map<String, Object> m = h.toJson();
          // a load the command stopped following: its progress here is as of updatedAt ('history load --follow' measures it again)
          m.put("stale", !h.done() && h.updatedAt().isBefore(now.minusSeconds(60)));
          history.add(m);
        }
        out.put("history", history);
      }
    }
    if (tenant.all()) {
      out.put("source", capture()); // the issuing database's WAL position and slot: the pipeline's, not a tenant's
    }
    out.put("at", now.toString());
    return out;
  }

  /** Per stage ({@code sync}, {@code projection}, {@code visible}) the newest source position and times handled. */
  private static Map<String, Object> stages(Connection c) throws SQLException {
    Map<String, Object> stages = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT stage, source_lsn, source_commit_ts, updated_at FROM pipeline_watermark ORDER BY stage");
         ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("sourceLsn", rs.getLong(2));
        s.put("sourceCommitTs", AuditEntryView.iso(instant(rs, 3)));
        s.put("handledAt", AuditEntryView.iso(instant(rs, 4)));
        stages.put(rs.getString(1), s);
      }
    }
    Map<String, Object> visible = new LinkedHashMap<>();
    // the newest visible state by source position: the invoice the projection watermark names, by primary key (no scan)
    try (PreparedStatement ps = c.prepareStatement("SELECT i.source_lsn, i.source_commit_ts, i.projected_at FROM invoice i "
        + "WHERE i.id = (SELECT invoice_id FROM pipeline_watermark WHERE stage = 'projection')"); ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        visible.put("sourceLsn", rs.getLong(1));
        visible.put("sourceCommitTs", AuditEntryView.iso(instant(rs, 2)));
        visible.put("projectedAt", AuditEntryView.iso(instant(rs, 3)));
        visible.put("commitToVisibleSeconds", Duration.between(instant(rs, 2), instant(rs, 3)).toMillis() / 1000.0);
      }
    }
    stages.put("visible", visible);
    return stages;
  }

  /** The replication slot against the issuing database's WAL, or why it is not known. */
  private Map<String, Object> capture() {
    Map<String, Object> src = new LinkedHashMap<>();
    if (source == null) {
      src.put("checked", false);
      src.put("note", "no source access configured (api.source.jdbc.url)");
      return src;
    }
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
    return src;
  }

  /** The newest recorded reconciliation report (JSON), if any. */
  public Optional<String> lastReconcile() throws SQLException {
    try (Connection c = lookups.getConnection();
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
}
