package io.invoicesync.api.console;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** What the console's operations page reads from the query store: the last hour minute by minute, and the dead letters that wait. */
final class OperationsData {

  /** One minute of the last hour: invoices made visible, their commit-to-visible p95 (seconds, null without any), rejections, dead letters. */
  record Minute(Instant start, long visible, Double p95Seconds, long rejected, long deadLettered) {
  }

  /** A dead letter whose invoice is still dead-lettered: where it is, why, and whose invoice. */
  record Waiting(String coordinates, String invoiceId, String invoiceNumber, String stage, String error, String message, Integer attempts,
                 Instant at) {
  }

  /** At most this many of the newest visible invoices feed the chart: the page stays fast on a busy store. */
  private static final int SAMPLE = 20_000;

  private final DataSource store;

  OperationsData(DataSource store) {
    this.store = store;
  }

  /** The 60 minutes before {@code now}, oldest first, every minute present. */
  List<Minute> lastHour(Instant now) throws SQLException {
    Instant end = now.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
    Instant start = end.minus(60, ChronoUnit.MINUTES);
    long[] visible = new long[60];
    Double[] p95 = new Double[60];
    long[] rejected = new long[60];
    long[] dead = new long[60];
    try (Connection c = store.getConnection()) {
      // the outcome index (outcome, updated_at DESC) bounds this to the last hour's newest; the invoice by its key gives the times
      try (PreparedStatement ps = c.prepareStatement("""
          SELECT date_trunc('minute', o.updated_at) AS m, count(*),
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM i.projected_at - i.source_commit_ts))
          FROM (SELECT invoice_id, updated_at FROM invoice_outcome WHERE outcome = 'VISIBLE' AND updated_at >= ? AND updated_at < ?
                ORDER BY updated_at DESC LIMIT ?) o
          JOIN invoice i ON i.id = o.invoice_id
          GROUP BY 1""")) {
        ps.setTimestamp(1, Timestamp.from(start));
        ps.setTimestamp(2, Timestamp.from(end));
        ps.setInt(3, SAMPLE);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int i = index(start, rs.getTimestamp(1).toInstant());
            if (i >= 0) {
              visible[i] = rs.getLong(2);
              double p = rs.getDouble(3);
              p95[i] = rs.wasNull() ? null : p;
            }
          }
        }
      }
      count(c, "SELECT date_trunc('minute', rejected_at), count(*) FROM invoice_rejection WHERE rejected_at >= ? AND rejected_at < ? GROUP BY 1",
          start, end, rejected);
      count(c, "SELECT date_trunc('minute', dead_lettered_at), count(*) FROM dead_letter WHERE dead_lettered_at >= ? AND dead_lettered_at < ? "
          + "GROUP BY 1", start, end, dead);
    }
    List<Minute> out = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      out.add(new Minute(start.plus(i, ChronoUnit.MINUTES), visible[i], p95[i], rejected[i], dead[i]));
    }
    return out;
  }

  /** The newest {@code limit} dead letters of invoices whose outcome is still DEAD_LETTERED. */
  List<Waiting> waiting(int limit) throws SQLException {
    List<Waiting> out = new ArrayList<>();
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("""
             SELECT d.dlt_topic, d.dlt_partition, d.dlt_offset, d.invoice_id, o.invoice_number, d.stage,
                    coalesce(d.cause_class, d.exception_class), d.message, d.attempts, d.dead_lettered_at
             FROM dead_letter d JOIN invoice_outcome o ON o.invoice_id = d.invoice_id AND o.outcome = 'DEAD_LETTERED'
             ORDER BY d.dead_lettered_at DESC LIMIT ?""")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String error = rs.getString(7);
          out.add(new Waiting(rs.getString(1) + ":" + rs.getInt(2) + ":" + rs.getLong(3), rs.getString(4), rs.getString(5), rs.getString(6),
              error == null ? "" : error.substring(error.lastIndexOf('.') + 1), rs.getString(8), (Integer) rs.getObject(9),
              rs.getTimestamp(10).toInstant()));
        }
      }
    }
    return out;
  }

  /** Of {@code coordinates} (topic:partition:offset), those the store recorded as dead letters, in the order given. */
  List<String> known(List<String> coordinates) throws SQLException {
    if (coordinates.isEmpty()) {
      return List.of();
    }
    java.util.Set<String> found = new java.util.HashSet<>();
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT dlt_topic || ':' || dlt_partition || ':' || dlt_offset FROM dead_letter "
             + "WHERE dlt_topic || ':' || dlt_partition || ':' || dlt_offset = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", coordinates.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
    }
    return coordinates.stream().filter(found::contains).toList();
  }

  private static void count(Connection c, String sql, Instant start, Instant end, long[] into) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setTimestamp(1, Timestamp.from(start));
      ps.setTimestamp(2, Timestamp.from(end));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int i = index(start, rs.getTimestamp(1).toInstant());
          if (i >= 0) {
            into[i] = rs.getLong(2);
          }
        }
      }
    }
  }

  private static int index(Instant start, Instant minute) {
    long i = ChronoUnit.MINUTES.between(start, minute);
    return i >= 0 && i < 60 ? (int) i : -1;
  }
}
