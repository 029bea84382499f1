package io.invoicesync.outcomes.reconcile;

import io.invoicesync.outcomes.Outcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * What the outcome tables tell a reconciliation: the invoices they explain, each differing
 * invoice's recorded outcome, and the pipeline's watermark. A store from before the outcome tables
 * (SQLState 42P01) explains nothing.
 */
final class RecordedOutcomes {

  private RecordedOutcomes() {
  }

  /** Invoices the store explains as rejected or dead-lettered and does not show, with that outcome (their source checksums are subtracted). */
  static Map<String, String> explainedNotVisible(DataSource store) throws SQLException {
    Map<String, String> out = new HashMap<>();
    String sql = "SELECT o.invoice_id, o.outcome FROM invoice_outcome o WHERE o.outcome IN (?, ?) "
        + "AND NOT EXISTS (SELECT 1 FROM invoice i WHERE i.id = o.invoice_id)";
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, Outcome.REJECTED.name());
      ps.setString(2, Outcome.DEAD_LETTERED.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getString(2));
        }
      }
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) { // a store from before the outcome tables: nothing explained
        throw e;
      }
    }
    return out;
  }

  /** The recorded outcome of each of {@code ids}, and the commit time of the newest change decided on. */
  static void of(DataSource store, Set<String> ids, Map<String, String> out, Map<String, Instant> commits) throws SQLException {
    if (ids.isEmpty()) {
      return;
    }
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT invoice_id, outcome, latest_commit_ts FROM invoice_outcome WHERE invoice_id = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getString(2));
          OffsetDateTime t = rs.getObject(3, OffsetDateTime.class);
          if (t != null) {
            commits.put(rs.getString(1), t.toInstant());
          }
        }
      }
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) {
        throw e;
      }
    }
  }

  /** The pipeline's watermark: the older of the newest commits sync-streams and the projector have handled. */
  static Instant watermark(DataSource store) throws SQLException {
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT min(source_commit_ts) FROM pipeline_watermark WHERE stage IN ('sync', 'projection')");
         ResultSet rs = ps.executeQuery()) {
      rs.next();
      OffsetDateTime t = rs.getObject(1, OffsetDateTime.class);
      return t == null ? null : t.toInstant();
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return null;
      }
      throw e;
    }
  }
}
