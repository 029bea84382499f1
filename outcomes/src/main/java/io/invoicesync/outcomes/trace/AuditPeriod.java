package io.invoicesync.outcomes.trace;

import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.audit.AuditExport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The audit entries recorded in a period, from the query store's copy of the audit topic
 * ({@code invoice_event}, every entry with its partition and offset), in the export format of
 * {@code invoice-sync audit export}: what the API's {@code GET /api/v1/audit/export} and the
 * console's audit page hand an auditor. A token that does not see every taxpayer gets only the
 * entries of invoices it may trace (seller or buyer is one of its taxpayers, by the same rule as
 * the per-invoice trail), and without the {@code operations} scope the failure entries' text withheld
 * as there. There is no index on {@code recorded_at}: an export reads the table once,
 * rather than every captured change paying for one more index entry.
 */
public final class AuditPeriod {

  /** What an export wrote: entries and the distinct invoices they belong to. */
  public record Summary(long entries, long invoices) {
  }

  private final DataSource store;

  public AuditPeriod(DataSource store) {
    this.store = store;
  }

  /**
   * Writes to {@code out} every entry recorded in [{@code from}, {@code to}) of the invoices
   * {@code tenant} may see (and, with {@code seller}, whose chain names that seller), in topic order.
   *
   * @param internalText whether the caller may read why a record failed (an operator): otherwise the
   *     detail of RETRIED and DEAD_LETTERED entries is {@link InternalText#WITHHELD}, as in the
   *     per-invoice trail, and those entries' hashes cannot be recomputed from the file
   */
  public Summary export(Tenant tenant, boolean internalText, Instant from, Instant to, String seller, AuditExport out) throws SQLException {
    Set<String> invoices = new HashSet<>();
    scan("*", tenant, from, to, seller, rs -> {
      io.invoicesync.schemas.AuditEntry entry = OutcomeTables.auditEntry(rs);
      if (!internalText && InternalText.FAILURE_EVENTS.contains(entry.getEvent()) && entry.getDetail() != null) {
        entry.setDetail(InternalText.WITHHELD);
      }
      out.write(entry, rs.getInt("audit_partition"), rs.getLong("audit_offset"));
      invoices.add(rs.getString("invoice_id"));
    });
    return new Summary(out.written(), invoices.size());
  }

  /** What {@link #export} would write for the same arguments, counted without reading the entries (the console's summary). */
  public Summary count(Tenant tenant, Instant from, Instant to, String seller) throws SQLException {
    long[] entries = {0};
    Set<String> invoices = new HashSet<>();
    scan("invoice_id", tenant, from, to, seller, rs -> {
      entries[0]++;
      invoices.add(rs.getString(1));
    });
    return new Summary(entries[0], invoices.size());
  }

  private interface Row {
    void accept(ResultSet rs) throws SQLException;
  }

  /** Each row ({@code columns} of invoice_event) of the period, in topic order, of the invoices {@code tenant} may see. */
  private void scan(String columns, Tenant tenant, Instant from, Instant to, String seller, Row row) throws SQLException {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from (" + from + ") must be before to (" + to + ")");
    }
    String sql = "SELECT " + columns + " FROM invoice_event WHERE recorded_at >= ? AND recorded_at < ?"
        + (seller == null ? "" : " AND invoice_id IN (SELECT invoice_id FROM invoice_event WHERE seller_tax_id = ?)")
        + " ORDER BY audit_partition, audit_offset";
    Map<String, Boolean> visible = new HashMap<>();
    try (Connection c = store.getConnection(); Connection owner = tenant.all() ? null : store.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false); // a cursor: pgJDBC streams fetchSize rows at a time only inside a transaction
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setFetchSize(1000);
        ps.setTimestamp(1, Timestamp.from(from));
        ps.setTimestamp(2, Timestamp.from(to));
        if (seller != null) {
          ps.setString(3, seller);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (owner != null) {
              String id = rs.getString("invoice_id");
              Boolean mine = visible.get(id);
              if (mine == null) {
                mine = TraceService.owns(owner, tenant, id);
                visible.put(id, mine);
              }
              if (!mine) {
                continue;
              }
            }
            row.accept(rs);
          }
        }
      } finally {
        c.rollback();
        c.setAutoCommit(autoCommit);
      }
    }
  }
}
