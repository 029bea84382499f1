package io.invoicesync.outcomes.imports;

import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.Where;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The files imported lately, as the pipeline decided their invoices: for the console's import page.
 * Read from the audit entries sync-streams recorded for source {@code import} (each names its file
 * and the file's SHA-256), counted per file; only the invoices a tenant may see count.
 */
public final class ImportHistory {

  /** One file: its name and SHA-256, when its invoices were first and last decided, and how. */
  public record ImportedFile(String file, String sha256, Instant firstDecidedAt, Instant lastDecidedAt, long applied, long deduplicated,
                             long rejected) {
  }

  private ImportHistory() {
  }

  /** How many files (name and SHA-256) had invoices decided within {@code within}, of every taxpayer: the operations page's count. */
  public static long count(DataSource store, Duration within) throws SQLException {
    Where where = imported(Tenant.ALL, within);
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT count(DISTINCT (e.source_file::jsonb ->> "
        + "'file', e.source_file::jsonb ->> 'sha256')) FROM invoice_event e WHERE " + where.sql())) {
      where.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** sync-streams' decisions about imported invoices within {@code within} that {@code tenant} may see ({@code e}; {@code i}: the invoice). */
  private static Where imported(Tenant tenant, Duration within) {
    Where where = Where.always().and("e.source_name = ?", ImportDecisions.SOURCE)
        .and("e.recorded_at >= ?", Timestamp.from(Instant.now().minus(within))).and("e.stage = ?", "sync-streams")
        .and("e.source_file IS NOT NULL");
    if (!tenant.all()) {
      String[] ids = tenant.taxIds().toArray(String[]::new);
      where = where.and("(e.seller_tax_id = ANY (?) OR i.buyer_tax_id = ANY (?))", ids, ids);
    }
    return where;
  }

  /** The {@code limit} files whose invoices were decided most recently within {@code within}, newest first. */
  public static List<ImportedFile> recent(DataSource store, Tenant tenant, Duration within, int limit) throws SQLException {
    Where where = imported(tenant, within);
    String sql = "SELECT e.source_file::jsonb ->> 'file', e.source_file::jsonb ->> 'sha256', min(e.recorded_at), max(e.recorded_at), "
        + "count(*) FILTER (WHERE e.event = 'APPLIED'), count(*) FILTER (WHERE e.event = 'DEDUPLICATED'), "
        + "count(*) FILTER (WHERE e.event = 'REJECTED') FROM invoice_event e LEFT JOIN invoice i ON i.id = e.invoice_id WHERE "
        + where.sql() + " GROUP BY 1, 2 ORDER BY 4 DESC LIMIT ?";
    List<ImportedFile> out = new ArrayList<>();
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      int next = where.bind(ps);
      ps.setInt(next, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new ImportedFile(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getTimestamp(4).toInstant(),
              rs.getLong(5), rs.getLong(6), rs.getLong(7)));
        }
      }
    }
    return out;
  }
}
