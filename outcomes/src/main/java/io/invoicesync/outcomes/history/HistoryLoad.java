package io.invoicesync.outcomes.history;

import io.invoicesync.outcomes.reconcile.Resyncer;
import io.invoicesync.schemas.Stage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The initial load of an issuing platform's existing invoices, while new ones keep flowing: a
 * Debezium incremental snapshot of the header table (all rows, or those {@code --where} selects),
 * requested under a signal id {@code history-<uuid>}. Debezium reads it in chunks between the
 * stream's events and keeps its place in the offsets, so a killed or restarted ingest resumes it;
 * ingest tells its reads from a resync's by that id and publishes them as first reads (an invoice
 * already in the store is not applied again). Progress is what sync-streams decided on: its audit
 * entries about snapshot reads since the load started, against the rows counted at its start; each
 * measurement is kept in {@code history_load} for {@code /status} and the console.
 */
public final class HistoryLoad {

  /** Where a load stands. */
  public record Progress(String id, String source, String condition, Instant startedAt, long total, long loaded, Double ratePerSecond,
                         Long etaSeconds, String status, Instant updatedAt, Instant finishedAt) {

    public boolean done() {
      return "DONE".equals(status);
    }

    /** The one JSON shape: {@code history load --output json} and {@code /status}'s {@code history}. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", id);
      m.put("source", source);
      m.put("condition", condition);
      m.put("status", status);
      m.put("total", total);
      m.put("loaded", loaded);
      m.put("percent", total == 0 ? 100.0 : Math.min(100.0, Math.round(loaded * 1000.0 / total) / 10.0));
      m.put("ratePerSecond", ratePerSecond == null ? null : Math.round(ratePerSecond * 10) / 10.0);
      m.put("etaSeconds", etaSeconds);
      m.put("startedAt", startedAt.toString());
      m.put("updatedAt", updatedAt.toString());
      m.put("finishedAt", finishedAt == null ? null : finishedAt.toString());
      return m;
    }
  }

  private final Resyncer signals;
  private final DataSource store;
  private final String source;

  /**
   * @param signals how ingest is asked (its signal table or Kafka channel, for this source's tables)
   * @param source  the issuing source's name when several feed the store, else null
   */
  public HistoryLoad(Resyncer signals, DataSource store, String source) {
    this.signals = signals;
    this.store = store;
    this.source = source;
  }

  /** Counts the rows to load, asks ingest for them, and records the load; {@code condition} on the header table's own columns, or null. */
  public Progress start(String condition) throws SQLException {
    long total = signals.count(condition);
    Instant started = Instant.now();
    String id = "history-" + UUID.randomUUID();
    Progress p = new Progress(id, source, condition, started, total, 0, null, null, total == 0 ? "DONE" : "RUNNING", started,
        total == 0 ? started : null);
    save(p, true);
    if (total > 0) {
      signals.signalWhole(id, condition);
    }
    return p;
  }

  /** This source's newest load, if any: what {@code history load --follow} follows. */
  public Optional<Progress> latest() throws SQLException {
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT * FROM history_load WHERE source_name IS NOT DISTINCT FROM ? "
             + "ORDER BY started_at DESC LIMIT 1")) {
      ps.setString(1, source);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(row(rs)) : Optional.empty();
      }
    }
  }

  /** Measures the load now (invoices decided since it started), records it, and returns it; DONE once every row was decided. */
  public Progress measure(Progress p) throws SQLException {
    if (p.done()) {
      return p;
    }
    long loaded;
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT count(DISTINCT invoice_id) FROM invoice_event WHERE source_snapshot AND stage = ? "
             + "AND recorded_at >= ? AND source_name IS NOT DISTINCT FROM ?")) {
      ps.setString(1, Stage.SYNC_STREAMS.id());
      ps.setObject(2, OffsetDateTime.ofInstant(p.startedAt().minusSeconds(2), ZoneOffset.UTC)); // tolerance for the two clocks
      ps.setString(3, source);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        loaded = Math.min(p.total(), rs.getLong(1));
      }
    }
    Instant now = Instant.now();
    double seconds = Math.max(0.001, Duration.between(p.startedAt(), now).toMillis() / 1000.0);
    Double rate = loaded == 0 ? null : loaded / seconds;
    Long eta = rate == null ? null : (long) Math.ceil((p.total() - loaded) / rate);
    boolean done = loaded >= p.total();
    Progress next = new Progress(p.id(), p.source(), p.condition(), p.startedAt(), p.total(), loaded, rate, done ? Long.valueOf(0) : eta,
        done ? "DONE" : "RUNNING", now, done ? now : null);
    save(next, false);
    return next;
  }

  private void save(Progress p, boolean insert) throws SQLException {
    try (Connection c = writable(store.getConnection());
         PreparedStatement ps = c.prepareStatement(insert
             ? "INSERT INTO history_load (id, source_name, condition, started_at, total, loaded, rate_per_second, eta_seconds, status, "
                 + "updated_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
             : "UPDATE history_load SET loaded = ?, rate_per_second = ?, eta_seconds = ?, status = ?, updated_at = ?, finished_at = ? "
                 + "WHERE id = ?")) {
      int i = 1;
      if (insert) {
        ps.setString(i++, p.id());
        ps.setString(i++, p.source());
        ps.setString(i++, p.condition());
        ps.setObject(i++, OffsetDateTime.ofInstant(p.startedAt(), ZoneOffset.UTC));
        ps.setLong(i++, p.total());
      }
      ps.setLong(i++, p.loaded());
      ps.setObject(i++, p.ratePerSecond());
      ps.setObject(i++, p.etaSeconds());
      ps.setString(i++, p.status());
      ps.setObject(i++, OffsetDateTime.ofInstant(p.updatedAt(), ZoneOffset.UTC));
      ps.setObject(i++, p.finishedAt() == null ? null : OffsetDateTime.ofInstant(p.finishedAt(), ZoneOffset.UTC));
      if (!insert) {
        ps.setString(i, p.id());
      }
      ps.executeUpdate();
    }
  }

  /** The command's connections are read-only sessions unless they say otherwise: this one records the load. */
  private static Connection writable(Connection c) throws SQLException {
    c.setReadOnly(false);
    return c;
  }

  /** The newest load of each source, for {@code /status}. */
  public static List<Progress> newestPerSource(Connection c) throws SQLException {
    List<Progress> out = new java.util.ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT ON (coalesce(source_name, '')) * FROM history_load "
        + "ORDER BY coalesce(source_name, ''), started_at DESC"); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(row(rs));
      }
    }
    return out;
  }

  private static Progress row(ResultSet rs) throws SQLException {
    return new Progress(rs.getString("id"), rs.getString("source_name"), rs.getString("condition"), instant(rs, "started_at"),
        rs.getLong("total"), rs.getLong("loaded"), (Double) rs.getObject("rate_per_second"), (Long) rs.getObject("eta_seconds"),
        rs.getString("status"), instant(rs, "updated_at"), instant(rs, "finished_at"));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }
}
