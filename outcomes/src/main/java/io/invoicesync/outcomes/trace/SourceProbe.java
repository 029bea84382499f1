package io.invoicesync.outcomes.trace;

import io.invoicesync.outcomes.IssuingTables;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.Where;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Read-only look at the issuing database, for the questions only the source can answer: was this
 * invoice committed there, when was it last changed, and how far behind is capture (the replication
 * slot's confirmed position against the server's current WAL position). Off unless configured.
 */
public final class SourceProbe {

  /** The invoice as the issuing database holds it now. */
  public record SourceInvoice(String status, Instant createdAt, Instant updatedAt, String invoiceCode, String invoiceNumber, String sellerTaxId,
                              String buyerTaxId) {

    /** Whether the tenant may see this invoice: its seller or buyer is one of the tenant's. */
    public boolean visibleTo(Tenant tenant) {
      return tenant.all() || tenant.taxIds().contains(sellerTaxId) || tenant.taxIds().contains(buyerTaxId);
    }
  }

  /** How far the replication slot trails the server: bytes of WAL not yet confirmed by ingest. */
  public record Capture(String slot, boolean slotExists, Boolean slotActive, String currentWalLsn, String confirmedFlushLsn, Long behindBytes) {
  }

  private final DataSource source;
  private final String table;
  private final String slot;

  public SourceProbe(DataSource source, String schema, String slot) {
    this(source, IssuingTables.reference(schema, "invoice", "invoice_line"), slot);
  }

  /** The issuing tables as the mapping reads them (a customer's own tables): the probe asks them through it. */
  public SourceProbe(DataSource source, IssuingTables tables, String slot) {
    this.source = source;
    this.table = tables.invoices();
    this.slot = slot;
  }

  public Optional<SourceInvoice> invoice(String id) throws SQLException {
    try (Connection c = source.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT status, created_at, updated_at, invoice_code, invoice_number, seller_tax_id, "
             + "buyer_tax_id FROM " + table + " h WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new SourceInvoice(rs.getString(1), instant(rs, 2), instant(rs, 3), rs.getString(4), rs.getString(5),
            rs.getString(6), rs.getString(7)));
      }
    }
  }

  /** Ids of invoices with this number (and code, when given) in the issuing database, of the tenant's taxpayers. */
  public List<String> idsByNumber(Tenant tenant, String number, String code) throws SQLException {
    Where w = tenant.where("seller_tax_id", "buyer_tax_id").and("invoice_number = ?", number).andIfPresent("invoice_code = ?", code);
    try (Connection c = source.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT id FROM " + table + " h WHERE " + w.sql() + " LIMIT 10")) {
      w.bind(ps);
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    }
  }

  public Capture capture() throws SQLException {
    try (Connection c = source.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT pg_current_wal_lsn()::text, s.active, s.confirmed_flush_lsn::text, "
             + "pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint "
             + "FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        boolean exists = rs.getString(3) != null || rs.getObject(2) != null;
        return new Capture(slot, exists, (Boolean) rs.getObject(2), rs.getString(1), rs.getString(3),
            rs.getObject(4) == null ? null : Math.max(0, rs.getLong(4)));
      }
    }
  }

  private static Instant instant(ResultSet rs, int col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
