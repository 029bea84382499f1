package io.invoicesync.outcomes.view;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The query store's {@code invoice} and {@code invoice_line} rows as {@link InvoiceView}s: one mapping,
 * read by the API's lookups and searches and by the webhooks' {@code invoice.visible} bodies, so an
 * ERP receives an invoice exactly as the API shows it.
 */
public final class InvoiceRows {

  private InvoiceRows() {
  }

  /** The invoices {@code ids} names that the store holds, each with its lines, by id (ids it does not hold are left out). */
  public static Map<String, InvoiceView> withLines(Connection c, Collection<String> ids) throws SQLException {
    Map<String, InvoiceView> headers = new LinkedHashMap<>();
    if (ids.isEmpty()) {
      return headers;
    }
    String[] array = ids.toArray(String[]::new);
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice WHERE id = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("varchar", array));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          InvoiceView v = header(rs);
          headers.put(v.id(), v);
        }
      }
    }
    Map<String, List<InvoiceView.Line>> lines = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice_line WHERE invoice_id = ANY (?) ORDER BY invoice_id, line_no")) {
      ps.setArray(1, c.createArrayOf("varchar", array));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          lines.computeIfAbsent(rs.getString("invoice_id"), k -> new ArrayList<>()).add(line(rs));
        }
      }
    }
    Map<String, InvoiceView> out = new LinkedHashMap<>();
    headers.forEach((id, v) -> out.put(id, v.withLines(lines.getOrDefault(id, List.of()))));
    return out;
  }

  /** The header of the current row of a {@code SELECT * FROM invoice}, without lines. */
  public static InvoiceView header(ResultSet rs) throws SQLException {
    Timestamp issuedAt = rs.getTimestamp("issued_at");
    InvoiceView.RedLetter red = rs.getString("blue_invoice_number") == null && rs.getString("blue_invoice_id") == null ? null
        : new InvoiceView.RedLetter(rs.getString("blue_invoice_id"), rs.getString("blue_invoice_code"), rs.getString("blue_invoice_number"),
            date(rs, "blue_issue_date"), rs.getString("red_confirmation_no"), rs.getObject("red_reason") == null ? null : rs.getInt("red_reason"));
    InvoiceView.Sync sync = new InvoiceView.Sync(rs.getInt("version"), rs.getString("digest"), rs.getLong("source_lsn"),
        (Long) rs.getObject("source_tx_id"), ts(rs, "source_commit_ts"), ts(rs, "synced_at"), ts(rs, "projected_at"));
    return new InvoiceView(rs.getString("id"), rs.getString("invoice_code"), rs.getString("invoice_number"), rs.getString("invoice_type"),
        date(rs, "issue_date"), issuedAt == null ? null : issuedAt.toLocalDateTime().toString(), party(rs, "seller"), party(rs, "buyer"),
        rs.getBigDecimal("total_amount"), rs.getBigDecimal("total_tax"), rs.getBigDecimal("grand_total"), rs.getString("status"),
        rs.getString("risk_flag"), red, rs.getString("remarks"), sync, null, null);
  }

  /** The current row of a {@code SELECT * FROM invoice_line}. */
  public static InvoiceView.Line line(ResultSet rs) throws SQLException {
    return new InvoiceView.Line(rs.getInt("line_no"), rs.getString("item_name"), rs.getString("specification"), rs.getString("unit"),
        strip(rs.getBigDecimal("quantity")), strip(rs.getBigDecimal("unit_price")), rs.getBigDecimal("amount"),
        strip(rs.getBigDecimal("tax_rate")), rs.getBoolean("tax_exempt"), rs.getBigDecimal("tax_amount"), rs.getString("tax_code"),
        rs.getString("line_kind"));
  }

  private static InvoiceView.Party party(ResultSet rs, String who) throws SQLException {
    return new InvoiceView.Party(rs.getString(who + "_name"), rs.getString(who + "_tax_id"), rs.getString(who + "_address_phone"),
        rs.getString(who + "_bank_account"));
  }

  /** A date column as an ISO date, or null. */
  public static String date(ResultSet rs, String col) throws SQLException {
    Date d = rs.getDate(col);
    return d == null ? null : d.toLocalDate().toString();
  }

  /** A timestamptz column as an ISO instant (UTC), or null. */
  public static String ts(ResultSet rs, String col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant().toString();
  }

  private static BigDecimal strip(BigDecimal d) {
    return d == null ? null : d.stripTrailingZeros();
  }
}
