package io.invoicesync.projector;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.Positions;
import io.invoicesync.runtime.Transactions;
import io.invoicesync.runtime.UnnestRows;
import io.invoicesync.schemas.RedLetterLink;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Writes invoice states into the query store: a batch of headers and their lines in one
 * transaction, each header guarded so an older source position never overwrites a newer one
 * ({@code ON CONFLICT ... DO UPDATE ... WHERE} the stored position is before the new one, ordered by
 * epoch and LSN as {@link io.invoicesync.schemas.Positions} orders them). Applying
 * the same state twice, or an older one, changes nothing: replays are safe.
 */
public final class QueryStoreWriter {

  /** The header's columns and their SQL types, in the order the unnest arrays are bound. */
  private static final String[][] HEADER_COLUMNS = {{"id", "varchar"}, {"invoice_code", "varchar"}, {"invoice_number", "varchar"},
      {"invoice_type", "varchar"}, {"issue_date", "date"}, {"issued_at", "timestamp"}, {"seller_name", "varchar"}, {"seller_tax_id", "varchar"},
      {"seller_address_phone", "varchar"}, {"seller_bank_account", "varchar"}, {"buyer_name", "varchar"}, {"buyer_tax_id", "varchar"},
      {"buyer_address_phone", "varchar"}, {"buyer_bank_account", "varchar"}, {"total_amount", "numeric"}, {"total_tax", "numeric"},
      {"grand_total", "numeric"}, {"status", "varchar"}, {"risk_flag", "varchar"}, {"blue_invoice_id", "varchar"},
      {"blue_invoice_code", "varchar"}, {"blue_invoice_number", "varchar"}, {"blue_issue_date", "date"}, {"red_confirmation_no", "varchar"},
      {"red_reason", "smallint"}, {"remarks", "varchar"}, {"version", "integer"}, {"digest", "varchar"}, {"source_lsn", "bigint"},
      {"source_tx_id", "bigint"}, {"source_commit_ts", "timestamptz"}, {"synced_at", "timestamptz"}, {"source_epoch", "bigint"}};

  private static final String[][] LINE_COLUMNS = {{"invoice_id", "varchar"}, {"line_no", "integer"}, {"item_name", "varchar"},
      {"specification", "varchar"}, {"unit", "varchar"}, {"quantity", "numeric"}, {"unit_price", "numeric"}, {"amount", "numeric"},
      {"tax_rate", "numeric"}, {"tax_exempt", "boolean"}, {"tax_amount", "numeric"}, {"tax_code", "varchar"}, {"line_kind", "varchar"}};

  /**
   * Every header of a batch in one statement: the rows come from one text array per column
   * ({@code unnest}), cast to the column's type, and {@code RETURNING id} names the rows the guard
   * let through (inserted, or updated because their position is newer), which are the states that
   * became visible.
   */
  static final String UPSERT_HEADERS;
  /** Every line of a batch's applied states in one statement. */
  static final String UPSERT_LINES;

  static {
    StringBuilder sql = new StringBuilder("INSERT INTO invoice (").append(UnnestRows.names(HEADER_COLUMNS)).append(", projected_at) SELECT ")
        .append(UnnestRows.names(HEADER_COLUMNS)).append(", clock_timestamp() FROM ").append(UnnestRows.unnest(HEADER_COLUMNS))
        .append(" ON CONFLICT (id) DO UPDATE SET ");
    for (int i = 1; i < HEADER_COLUMNS.length; i++) {
      sql.append(HEADER_COLUMNS[i][0]).append(" = EXCLUDED.").append(HEADER_COLUMNS[i][0]).append(", ");
    }
    // an equal position with a higher version is a resync's re-emit of the current row (sync-streams places it at the
    // invoice's last decided position): it repairs a row changed or deleted behind the pipeline's back
    sql.append("projected_at = EXCLUDED.projected_at WHERE ").append(Positions.sql("invoice", "<", "EXCLUDED"))
        .append(" OR (").append(Positions.sql("invoice", "=", "EXCLUDED")).append(" AND invoice.version < EXCLUDED.version)")
        .append(" RETURNING id");
    UPSERT_HEADERS = sql.toString();
    StringBuilder lines = new StringBuilder("INSERT INTO invoice_line (").append(UnnestRows.names(LINE_COLUMNS)).append(") SELECT ")
        .append(UnnestRows.names(LINE_COLUMNS)).append(" FROM ").append(UnnestRows.unnest(LINE_COLUMNS)).append(" ON CONFLICT (invoice_id, line_no) DO UPDATE SET ");
    for (int i = 2; i < LINE_COLUMNS.length; i++) {
      lines.append(i > 2 ? ", " : "").append(LINE_COLUMNS[i][0]).append(" = EXCLUDED.").append(LINE_COLUMNS[i][0]);
    }
    UPSERT_LINES = lines.toString();
  }

  /**
   * What one write did: the states that became visible, how many were not applied (older or equal),
   * and what the write kept of each invoice (the newest state of it in the batch, applied or not).
   */
  public record WriteResult(List<InvoiceState> appliedStates, int skippedOlder, Map<String, InvoiceState> kept) {
    public int applied() {
      return appliedStates.size();
    }
  }

  private final DataSource dataSource;

  public QueryStoreWriter(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Applies {@code states} (any order, any duplicates) in one transaction. */
  public WriteResult write(Collection<InvoiceState> states) throws SQLException {
    Map<String, InvoiceState> latest = latestPerInvoice(states);
    if (latest.isEmpty()) {
      return new WriteResult(List.of(), 0, latest);
    }
    return Transactions.inTransaction(dataSource, c -> {
      List<InvoiceState> applied = upsertHeaders(c, latest);
      replaceLines(c, applied);
      return new WriteResult(List.copyOf(applied), states.size() - applied.size(), latest);
    });
  }

  /** Within a batch only the newest state of an invoice matters. */
  static Map<String, InvoiceState> latestPerInvoice(Collection<InvoiceState> states) {
    Map<String, InvoiceState> latest = new LinkedHashMap<>();
    for (InvoiceState s : states) {
      latest.merge(s.getInvoice().getId(), s, (a, b) -> {
        int c = Positions.compare(b.getSource(), a.getSource());
        return c > 0 || (c == 0 && b.getVersion() > a.getVersion()) ? b : a;
      });
    }
    return latest;
  }

  /** @param byId the newest state of each invoice of the batch */
  private static List<InvoiceState> upsertHeaders(Connection c, Map<String, InvoiceState> byId) throws SQLException {
    UnnestRows cols = new UnnestRows(HEADER_COLUMNS, byId.size());
    for (InvoiceState st : byId.values()) {
      addHeader(cols, st);
    }
    List<InvoiceState> applied = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(UPSERT_HEADERS)) {
      cols.bind(c, ps, 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          applied.add(byId.get(rs.getString(1)));
        }
      }
    }
    return applied;
  }

  private static void replaceLines(Connection c, List<InvoiceState> applied) throws SQLException {
    if (applied.isEmpty()) {
      return;
    }
    // A first version has no lines stored yet (or, after a re-capture, the same line numbers): its
    // lines are upserted without a DELETE, which was the costliest statement under load. A later
    // version may carry fewer lines than the stored ones, so its lines are replaced.
    Object[] later = applied.stream().filter(s -> s.getVersion() > 1).map(s -> s.getInvoice().getId()).toArray();
    if (later.length > 0) {
      // Through the primary key, always. Until autovacuum has analyzed invoice_line (its first
      // minute, or a freshly loaded store), PostgreSQL estimates "invoice_id = ANY (100 ids)" at
      // half the table and scans all of it: the bench's pg_stat_statements showed 62 ms per call,
      // 0.6 ms per projected invoice, in the windows before the first autoanalyze. SET LOCAL ends
      // with this transaction.
      try (Statement set = c.createStatement()) {
        set.execute("SET LOCAL enable_seqscan = off");
      }
      try (PreparedStatement del = c.prepareStatement("DELETE FROM invoice_line WHERE invoice_id = ANY (?)")) {
        del.setArray(1, c.createArrayOf("varchar", later));
        del.executeUpdate();
      }
    }
    UnnestRows cols = new UnnestRows(LINE_COLUMNS, applied.size() * 4);
    for (InvoiceState st : applied) {
      for (InvoiceLine l : st.getInvoice().getLines()) {
        cols.add(st.getInvoice().getId(), l.getLineNo(), l.getItemName(), l.getSpecification(), l.getUnit(), l.getQuantity(),
            l.getUnitPrice(), l.getAmount(), l.getTaxRate(), l.getTaxExempt(), l.getTaxAmount(), l.getTaxCode(), l.getLineKind());
      }
    }
    if (cols.rows() == 0) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(UPSERT_LINES)) {
      cols.bind(c, ps, 1);
      ps.executeUpdate();
    }
  }

  private static void addHeader(UnnestRows cols, InvoiceState s) {
    Invoice inv = s.getInvoice();
    Party seller = inv.getSeller();
    Party buyer = inv.getBuyer();
    RedLetterLink red = inv.getRedLetter();
    cols.add(inv.getId(), inv.getInvoiceCode(), inv.getInvoiceNumber(), inv.getInvoiceType(), inv.getIssueDate(), inv.getIssuedAt(),
        seller.getName(), seller.getTaxId(), seller.getAddressPhone(), seller.getBankAccount(),
        buyer.getName(), buyer.getTaxId(), buyer.getAddressPhone(), buyer.getBankAccount(),
        inv.getTotalAmount(), inv.getTotalTax(), inv.getGrandTotal(), inv.getStatus(), inv.getRiskFlag(),
        red == null ? null : red.getBlueInvoiceId(), red == null ? null : red.getBlueInvoiceCode(),
        red == null ? null : red.getBlueInvoiceNumber(), red == null ? null : red.getBlueIssueDate(),
        red == null ? null : red.getConfirmationNo(), red == null ? null : red.getReason(), inv.getRemarks(),
        s.getVersion(), s.getDigest(), s.getSource().getLsn(), s.getSource().getTxId(), s.getSource().getCommitTs(), s.getSyncedAt(),
        s.getSource().getEpoch());
  }
}
