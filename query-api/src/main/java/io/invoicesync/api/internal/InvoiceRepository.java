package io.invoicesync.api.internal;

import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.Where;
import io.invoicesync.outcomes.trace.RuleMessages;
import io.invoicesync.outcomes.view.InvoiceRows;
import io.invoicesync.outcomes.view.InvoiceView;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Reads the query store (the projector's schema and the outcome recorder's tables) into the API's
 * shapes. Every method takes the caller's {@link Tenant} and starts its condition from it
 * ({@link Tenant#where}): rows where neither seller nor buyer is one of the tenant's tax ids are never read.
 */
public final class InvoiceRepository {

  /** One page of a keyset-paginated list, and the position after its last item when there is more. */
  public record Page<T, K>(List<T> items, K next) {
  }

  /** A latest rejection as {@code GET /api/v1/rejections} lists it: the invoice's identity and totals flat, every violation. */
  public record Rejection(String invoiceId, String invoiceCode, String invoiceNumber, String invoiceType, String issueDate, String sellerName,
                          String sellerTaxId, String buyerName, BigDecimal totalAmount, BigDecimal totalTax, BigDecimal grandTotal,
                          String rejectedAt, String sourceCommitTs, List<String> codes, List<Map<String, Object>> violations,
                          String currentOutcome, String trace) {
  }

  /** An invoice the outcome recorder holds, as {@code GET /api/v1/invoices?outcome=} lists it. */
  public record Recorded(String invoiceId, String outcome, String lastEvent, String invoiceCode, String invoiceNumber, String sellerTaxId,
                         Integer latestVersion, Integer visibleVersion, String updatedAt, String trace) {
  }

  private final DataSource lookups;
  private final DataSource searches;

  /**
   * @param lookups the pool for reads by id (primary key)
   * @param searches the pool for searches and lists, which may run up to the statement timeout: a
   *                 bulkhead, so that slow searches cannot starve lookups
   */
  public InvoiceRepository(DataSource lookups, DataSource searches) {
    this.lookups = lookups;
    this.searches = searches;
  }

  /** The invoice with its lines, if the tenant may see it. */
  public Optional<InvoiceView> find(Tenant tenant, String id) throws SQLException {
    try (Connection c = lookups.getConnection()) {
      InvoiceView invoice;
      Where w = tenant.where("seller_tax_id", "buyer_tax_id").and("id = ?", id);
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice WHERE " + w.sql())) {
        w.bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          invoice = InvoiceRows.header(rs);
        }
      }
      List<InvoiceView.Line> lines = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice_line WHERE invoice_id = ? ORDER BY line_no")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            lines.add(InvoiceRows.line(rs));
          }
        }
      }
      return Optional.of(invoice.withLines(lines));
    }
  }

  /** One page of visible invoices, newest issue date first; ties broken by id, both descending (keyset pagination). */
  public Page<InvoiceView, Cursors.DateKey> search(Tenant tenant, InvoiceSearch f, Cursors.DateKey after) throws SQLException {
    Where w = tenant.where("i.seller_tax_id", "i.buyer_tax_id")
        .andIfPresent("seller_tax_id = ?", f.sellerTaxId())
        .andIfPresent("buyer_tax_id = ?", f.buyerTaxId())
        .andIfPresent("issue_date >= ?", f.from() == null ? null : Date.valueOf(f.from()))
        .andIfPresent("issue_date <= ?", f.to() == null ? null : Date.valueOf(f.to()))
        .andIfPresent("status = ?", f.status())
        .andIfPresent("invoice_number = ?", f.invoiceNumber())
        .andIfPresent("invoice_code = ?", f.invoiceCode())
        .andIfPresent("grand_total >= ?", f.minAmount())
        .andIfPresent("grand_total <= ?", f.maxAmount());
    if (after != null) {
      w = w.and("(issue_date, id) < (?, ?)", Date.valueOf(after.issueDate()), after.id());
    }
    return keysetPage("SELECT i.*, (SELECT count(*) FROM invoice_line l WHERE l.invoice_id = i.id) AS line_count FROM invoice i WHERE "
        + w.sql() + " ORDER BY issue_date DESC, id DESC LIMIT ?", w, f.limit(), rs -> InvoiceRows.header(rs).withLineCount(rs.getInt("line_count")),
        rs -> new Cursors.DateKey(rs.getDate("issue_date").toLocalDate(), rs.getString("id")));
  }

  /** Latest rejections, newest first, keyset-paginated on (rejected_at, invoice id). */
  public Page<Rejection, Cursors.TimeKey> rejections(Tenant tenant, RejectionSearch f) throws SQLException {
    Where w = tenant.where("r.seller_tax_id", "r.buyer_tax_id")
        .andIfPresent("r.seller_tax_id = ?", f.sellerTaxId())
        .andIfPresent("r.buyer_tax_id = ?", f.buyerTaxId())
        .andIfPresent("? = ANY (string_to_array(r.codes, ','))", f.code())
        .andIfPresent("r.invoice_number = ?", f.invoiceNumber())
        .andIfPresent("r.rejected_at >= ?", startOfDayUtc(f.from()))
        .andIfPresent("r.rejected_at < ?", startOfDayUtc(f.to() == null ? null : f.to().plusDays(1)));
    if (f.after() != null) {
      w = w.and("(r.rejected_at, r.invoice_id) < (?, ?)", f.after().at(), f.after().id());
    }
    return keysetPage("SELECT r.*, r.violations::text AS violations_json, o.outcome FROM invoice_rejection r "
        + "LEFT JOIN invoice_outcome o ON o.invoice_id = r.invoice_id WHERE " + w.sql() + " ORDER BY r.rejected_at DESC, r.invoice_id DESC LIMIT ?",
        w, f.limit(), InvoiceRepository::rejection,
        rs -> new Cursors.TimeKey(rs.getObject("rejected_at", OffsetDateTime.class), rs.getString("invoice_id")));
  }

  /**
   * Invoices the outcome recorder holds with {@code f.outcome()} (not VISIBLE), most recently changed
   * first. The recorder knows an invoice's seller, not its buyer: a buyer's token finds an invoice
   * here once it is visible or rejected, not while it is in flight.
   */
  public Page<Recorded, Cursors.TimeKey> byOutcome(Tenant tenant, InvoiceSearch f, Cursors.TimeKey after) throws SQLException {
    Where w = tenant.where("seller_tax_id")
        .and("outcome = ?", f.outcome().name())
        .andIfPresent("seller_tax_id = ?", f.sellerTaxId())
        .andIfPresent("invoice_number = ?", f.invoiceNumber())
        .andIfPresent("invoice_code = ?", f.invoiceCode());
    if (after != null) {
      w = w.and("(updated_at, invoice_id) < (?, ?)", after.at(), after.id());
    }
    return keysetPage("SELECT * FROM invoice_outcome WHERE " + w.sql() + " ORDER BY updated_at DESC, invoice_id DESC LIMIT ?", w, f.limit(),
        rs -> new Recorded(rs.getString("invoice_id"), rs.getString("outcome"), rs.getString("last_event"), rs.getString("invoice_code"),
            rs.getString("invoice_number"), rs.getString("seller_tax_id"), (Integer) rs.getObject("latest_version"),
            (Integer) rs.getObject("visible_version"), ts(rs, "updated_at"), tracePath(rs.getString("invoice_id"))),
        rs -> new Cursors.TimeKey(rs.getObject("updated_at", OffsetDateTime.class), rs.getString("invoice_id")));
  }

  private interface RowReader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /**
   * Runs a keyset-page query whose last parameter, after {@code where}'s, is the LIMIT: reads
   * {@code limit + 1} rows and returns the first {@code limit}, with the key of the last of them when
   * there was one more (the next page's cursor).
   */
  private <T, K> Page<T, K> keysetPage(String sql, Where where, int limit, RowReader<T> item, RowReader<K> key) throws SQLException {
    try (Connection c = searches.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(where.bind(ps), limit + 1);
      List<T> items = new ArrayList<>();
      K lastKept = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (items.size() == limit) {
            return new Page<>(items, lastKept);
          }
          items.add(item.read(rs));
          lastKept = key.read(rs);
        }
      }
      return new Page<>(items, null);
    }
  }

  private static Rejection rejection(ResultSet rs) throws SQLException {
    String id = rs.getString("invoice_id");
    List<Map<String, Object>> violations = RuleMessages.stored(rs.getString("violations_json"), id);
    return new Rejection(id, rs.getString("invoice_code"), rs.getString("invoice_number"), rs.getString("invoice_type"),
        date(rs, "issue_date"), rs.getString("seller_name"), rs.getString("seller_tax_id"), rs.getString("buyer_name"),
        rs.getBigDecimal("total_amount"), rs.getBigDecimal("total_tax"), rs.getBigDecimal("grand_total"), ts(rs, "rejected_at"),
        ts(rs, "source_commit_ts"), List.of(rs.getString("codes").split(",")), violations, rs.getString("outcome"), tracePath(id));
  }

  private static String tracePath(String id) {
    return "/api/v1/invoices/" + id + "/trace";
  }

  private static OffsetDateTime startOfDayUtc(LocalDate day) {
    return day == null ? null : day.atStartOfDay().atOffset(ZoneOffset.UTC);
  }

  private static String date(ResultSet rs, String col) throws SQLException {
    return InvoiceRows.date(rs, col);
  }

  private static String ts(ResultSet rs, String col) throws SQLException {
    return InvoiceRows.ts(rs, col);
  }
}
