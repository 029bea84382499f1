package io.invoicesync.api.internal;

import io.invoicesync.outcomes.trace.RuleMessages;
import io.invoicesync.outcomes.Sql;
import io.invoicesync.outcomes.Tenant;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Reads the query store (the projector's schema) into the JSON shape of the API. Every method takes
 * the caller's {@link Tenant} and applies it in its SQL: rows where neither seller nor buyer is one
 * of the tenant's tax ids are never read.
 */
public final class InvoiceRepository {

  /** Search filters; null fields are not applied. */
  public record Filter(String sellerTaxId, String buyerTaxId, LocalDate from, LocalDate to, String status, String invoiceNumber,
                       String invoiceCode, BigDecimal minAmount, BigDecimal maxAmount) {
  }

  /** Rejection search filters; null fields are not applied. {@code from}/{@code to} bound the rejection date (UTC). */
  public record RejectionFilter(String sellerTaxId, String buyerTaxId, String code, LocalDate from, LocalDate to, String invoiceNumber) {
  }

  /** A keyset position in a time-ordered list: the last (time, id) of the previous page. */
  public record TimeCursor(OffsetDateTime at, String id) {
  }

  public record TimePage(List<Map<String, Object>> items, TimeCursor next) {
  }

  /** A keyset position: the last (issue date, id) of the previous page. */
  public record Cursor(LocalDate issueDate, String id) {
  }

  public record Page(List<Map<String, Object>> items, Cursor next) {
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private final DataSource dataSource;
  private final DataSource searches;

  /**
   * @param lookups the pool for reads by id (primary key)
   * @param searches the pool for searches and lists, which may run up to the statement timeout: a
   *                 bulkhead, so that slow searches cannot starve lookups
   */
  public InvoiceRepository(DataSource lookups, DataSource searches) {
    this.dataSource = lookups;
    this.searches = searches;
  }

  public Optional<Map<String, Object>> find(Tenant tenant, String id) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      Map<String, Object> invoice;
      List<Object> args = new ArrayList<>(List.of(id));
      tenant.bind(args, true);
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice WHERE id = ?" + tenant.sql("seller_tax_id", "buyer_tax_id"))) {
        Sql.bind(ps, args);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          invoice = header(rs);
        }
      }
      List<Map<String, Object>> lines = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice_line WHERE invoice_id = ? ORDER BY line_no")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            lines.add(line(rs));
          }
        }
      }
      invoice.put("lines", lines);
      return Optional.of(invoice);
    }
  }

  /** One page, newest issue date first; ties broken by id, both descending (keyset pagination). */
  public Page search(Tenant tenant, Filter f, Cursor after, int limit) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT i.*, (SELECT count(*) FROM invoice_line l WHERE l.invoice_id = i.id) AS line_count FROM invoice i WHERE true");
    List<Object> args = new ArrayList<>();
    sql.append(tenant.sql("i.seller_tax_id", "i.buyer_tax_id"));
    tenant.bind(args, true);
    if (f.sellerTaxId() != null) {
      sql.append(" AND seller_tax_id = ?");
      args.add(f.sellerTaxId());
    }
    if (f.buyerTaxId() != null) {
      sql.append(" AND buyer_tax_id = ?");
      args.add(f.buyerTaxId());
    }
    if (f.from() != null) {
      sql.append(" AND issue_date >= ?");
      args.add(java.sql.Date.valueOf(f.from()));
    }
    if (f.to() != null) {
      sql.append(" AND issue_date <= ?");
      args.add(java.sql.Date.valueOf(f.to()));
    }
    if (f.status() != null) {
      sql.append(" AND status = ?");
      args.add(f.status());
    }
    if (f.invoiceNumber() != null) {
      sql.append(" AND invoice_number = ?");
      args.add(f.invoiceNumber());
    }
    if (f.invoiceCode() != null) {
      sql.append(" AND invoice_code = ?");
      args.add(f.invoiceCode());
    }
    if (f.minAmount() != null) {
      sql.append(" AND grand_total >= ?");
      args.add(f.minAmount());
    }
    if (f.maxAmount() != null) {
      sql.append(" AND grand_total <= ?");
      args.add(f.maxAmount());
    }
    if (after != null) {
      sql.append(" AND (issue_date, id) < (?, ?)");
      args.add(java.sql.Date.valueOf(after.issueDate()));
      args.add(after.id());
    }
    sql.append(" ORDER BY issue_date DESC, id DESC LIMIT ?");
    args.add(limit + 1);
    KeyedPage<Cursor> page = keysetPage(sql.toString(), args, limit, rs -> {
      Map<String, Object> h = header(rs);
      h.put("lineCount", rs.getInt("line_count"));
      return h;
    }, rs -> new Cursor(rs.getDate("issue_date").toLocalDate(), rs.getString("id")));
    return new Page(page.items(), page.next());
  }

  /** Latest rejections, newest first, keyset-paginated on (rejected_at, invoice id). */
  public TimePage rejections(Tenant tenant, RejectionFilter f, TimeCursor after, int limit) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT r.*, r.violations::text AS violations_json, o.outcome FROM invoice_rejection r "
        + "LEFT JOIN invoice_outcome o ON o.invoice_id = r.invoice_id WHERE true");
    List<Object> args = new ArrayList<>();
    sql.append(tenant.sql("r.seller_tax_id", "r.buyer_tax_id"));
    tenant.bind(args, true);
    if (f.sellerTaxId() != null) {
      sql.append(" AND r.seller_tax_id = ?");
      args.add(f.sellerTaxId());
    }
    if (f.buyerTaxId() != null) {
      sql.append(" AND r.buyer_tax_id = ?");
      args.add(f.buyerTaxId());
    }
    if (f.code() != null) {
      sql.append(" AND ? = ANY (string_to_array(r.codes, ','))");
      args.add(f.code());
    }
    if (f.invoiceNumber() != null) {
      sql.append(" AND r.invoice_number = ?");
      args.add(f.invoiceNumber());
    }
    if (f.from() != null) {
      sql.append(" AND r.rejected_at >= ?");
      args.add(f.from().atStartOfDay().atOffset(java.time.ZoneOffset.UTC));
    }
    if (f.to() != null) {
      sql.append(" AND r.rejected_at < ?");
      args.add(f.to().plusDays(1).atStartOfDay().atOffset(java.time.ZoneOffset.UTC));
    }
    if (after != null) {
      sql.append(" AND (r.rejected_at, r.invoice_id) < (?, ?)");
      args.add(after.at());
      args.add(after.id());
    }
    sql.append(" ORDER BY r.rejected_at DESC, r.invoice_id DESC LIMIT ?");
    args.add(limit + 1);
    KeyedPage<TimeCursor> page = keysetPage(sql.toString(), args, limit, rs -> {
      Map<String, Object> m = new LinkedHashMap<>();
      String id = rs.getString("invoice_id");
      m.put("invoiceId", id);
      m.put("invoiceCode", rs.getString("invoice_code"));
      m.put("invoiceNumber", rs.getString("invoice_number"));
      m.put("invoiceType", rs.getString("invoice_type"));
      m.put("issueDate", rs.getDate("issue_date") == null ? null : rs.getDate("issue_date").toLocalDate().toString());
      m.put("sellerName", rs.getString("seller_name"));
      m.put("sellerTaxId", rs.getString("seller_tax_id"));
      m.put("buyerName", rs.getString("buyer_name"));
      m.put("totalAmount", rs.getBigDecimal("total_amount"));
      m.put("totalTax", rs.getBigDecimal("total_tax"));
      m.put("grandTotal", rs.getBigDecimal("grand_total"));
      m.put("rejectedAt", ts(rs, "rejected_at"));
      m.put("sourceCommitTs", ts(rs, "source_commit_ts"));
      m.put("codes", List.of(rs.getString("codes").split(",")));
      try {
        m.put("violations", RuleMessages.ordered(JSON.readValue(rs.getString("violations_json"), List.class)));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("invoice_rejection.violations of " + id + " is not JSON", e);
      }
      m.put("currentOutcome", rs.getString("outcome"));
      m.put("trace", "/api/v1/invoices/" + id + "/trace");
      return m;
    }, rs -> new TimeCursor(rs.getObject("rejected_at", OffsetDateTime.class), rs.getString("invoice_id")));
    return new TimePage(page.items(), page.next());
  }

  /**
   * Invoices the outcome recorder holds with {@code outcome} (not VISIBLE), most recently changed
   * first. The recorder knows an invoice's seller, not its buyer: a buyer's token finds an invoice
   * here once it is visible or rejected, not while it is in flight.
   */
  public TimePage byOutcome(Tenant tenant, String outcome, Filter f, TimeCursor after, int limit) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT * FROM invoice_outcome WHERE outcome = ?");
    List<Object> args = new ArrayList<>(List.of(outcome));
    sql.append(tenant.sql("seller_tax_id", null));
    tenant.bind(args, false);
    if (f.sellerTaxId() != null) {
      sql.append(" AND seller_tax_id = ?");
      args.add(f.sellerTaxId());
    }
    if (f.invoiceNumber() != null) {
      sql.append(" AND invoice_number = ?");
      args.add(f.invoiceNumber());
    }
    if (f.invoiceCode() != null) {
      sql.append(" AND invoice_code = ?");
      args.add(f.invoiceCode());
    }
    if (after != null) {
      sql.append(" AND (updated_at, invoice_id) < (?, ?)");
      args.add(after.at());
      args.add(after.id());
    }
    sql.append(" ORDER BY updated_at DESC, invoice_id DESC LIMIT ?");
    args.add(limit + 1);
    KeyedPage<TimeCursor> page = keysetPage(sql.toString(), args, limit, rs -> {
      Map<String, Object> m = new LinkedHashMap<>();
      String id = rs.getString("invoice_id");
      m.put("invoiceId", id);
      m.put("outcome", rs.getString("outcome"));
      m.put("lastEvent", rs.getString("last_event"));
      m.put("invoiceCode", rs.getString("invoice_code"));
      m.put("invoiceNumber", rs.getString("invoice_number"));
      m.put("sellerTaxId", rs.getString("seller_tax_id"));
      m.put("latestVersion", rs.getObject("latest_version"));
      m.put("visibleVersion", rs.getObject("visible_version"));
      m.put("updatedAt", ts(rs, "updated_at"));
      m.put("trace", "/api/v1/invoices/" + id + "/trace");
      return m;
    }, rs -> new TimeCursor(rs.getObject("updated_at", OffsetDateTime.class), rs.getString("invoice_id")));
    return new TimePage(page.items(), page.next());
  }

  private interface RowReader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private record KeyedPage<K>(List<Map<String, Object>> items, K next) {
  }

  /**
   * Runs a keyset-page query whose last argument is {@code limit + 1}: the first {@code limit} rows,
   * and the key of the last of them when there was one more row (the next page's cursor).
   */
  private <K> KeyedPage<K> keysetPage(String sql, List<Object> args, int limit, RowReader<Map<String, Object>> item, RowReader<K> key)
      throws SQLException {
    try (Connection c = searches.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      Sql.bind(ps, args);
      List<Map<String, Object>> items = new ArrayList<>();
      K lastKept = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (items.size() == limit) {
            return new KeyedPage<>(items, lastKept);
          }
          items.add(item.read(rs));
          lastKept = key.read(rs);
        }
      }
      return new KeyedPage<>(items, null);
    }
  }

  /** Binds {@code args} in order; a {@code String[]} (a tenant's tax ids) as a text array. */

  private static Map<String, Object> header(ResultSet rs) throws SQLException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", rs.getString("id"));
    m.put("invoiceCode", rs.getString("invoice_code"));
    m.put("invoiceNumber", rs.getString("invoice_number"));
    m.put("invoiceType", rs.getString("invoice_type"));
    m.put("issueDate", rs.getDate("issue_date") == null ? null : rs.getDate("issue_date").toLocalDate().toString());
    Timestamp issuedAt = rs.getTimestamp("issued_at");
    m.put("issuedAt", issuedAt == null ? null : issuedAt.toLocalDateTime().toString());
    m.put("seller", party(rs, "seller"));
    m.put("buyer", party(rs, "buyer"));
    m.put("totalAmount", rs.getBigDecimal("total_amount"));
    m.put("totalTax", rs.getBigDecimal("total_tax"));
    m.put("grandTotal", rs.getBigDecimal("grand_total"));
    m.put("status", rs.getString("status"));
    m.put("riskFlag", rs.getString("risk_flag"));
    if (rs.getString("blue_invoice_number") != null || rs.getString("blue_invoice_id") != null) {
      Map<String, Object> red = new LinkedHashMap<>();
      red.put("blueInvoiceId", rs.getString("blue_invoice_id"));
      red.put("blueInvoiceCode", rs.getString("blue_invoice_code"));
      red.put("blueInvoiceNumber", rs.getString("blue_invoice_number"));
      red.put("blueIssueDate", rs.getDate("blue_issue_date") == null ? null : rs.getDate("blue_issue_date").toLocalDate().toString());
      red.put("confirmationNo", rs.getString("red_confirmation_no"));
      red.put("reason", rs.getObject("red_reason") == null ? null : rs.getInt("red_reason"));
      m.put("redLetter", red);
    } else {
      m.put("redLetter", null);
    }
    m.put("remarks", rs.getString("remarks"));
    Map<String, Object> sync = new LinkedHashMap<>();
    sync.put("version", rs.getInt("version"));
    sync.put("digest", rs.getString("digest"));
    sync.put("sourceLsn", rs.getLong("source_lsn"));
    sync.put("sourceTxId", rs.getObject("source_tx_id"));
    sync.put("sourceCommitTs", ts(rs, "source_commit_ts"));
    sync.put("syncedAt", ts(rs, "synced_at"));
    sync.put("projectedAt", ts(rs, "projected_at"));
    m.put("sync", sync);
    return m;
  }

  private static String ts(ResultSet rs, String col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant().toString();
  }

  private static Map<String, Object> party(ResultSet rs, String who) throws SQLException {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("name", rs.getString(who + "_name"));
    p.put("taxId", rs.getString(who + "_tax_id"));
    p.put("addressPhone", rs.getString(who + "_address_phone"));
    p.put("bankAccount", rs.getString(who + "_bank_account"));
    return p;
  }

  private static Map<String, Object> line(ResultSet rs) throws SQLException {
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("lineNo", rs.getInt("line_no"));
    l.put("itemName", rs.getString("item_name"));
    l.put("specification", rs.getString("specification"));
    l.put("unit", rs.getString("unit"));
    l.put("quantity", strip(rs.getBigDecimal("quantity")));
    l.put("unitPrice", strip(rs.getBigDecimal("unit_price")));
    l.put("amount", rs.getBigDecimal("amount"));
    l.put("taxRate", strip(rs.getBigDecimal("tax_rate")));
    l.put("taxExempt", rs.getBoolean("tax_exempt"));
    l.put("taxAmount", rs.getBigDecimal("tax_amount"));
    l.put("taxCode", rs.getString("tax_code"));
    l.put("lineKind", rs.getString("line_kind"));
    return l;
  }

  private static BigDecimal strip(BigDecimal d) {
    return d == null ? null : d.stripTrailingZeros();
  }
}
