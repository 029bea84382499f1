package io.invoicesync.projector;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.Positions;
import io.invoicesync.schemas.RedLetterLink;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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

  private static final String[] HEADER_COLUMNS = {"id", "invoice_code", "invoice_number", "invoice_type", "issue_date", "issued_at",
      "seller_name", "seller_tax_id", "seller_address_phone", "seller_bank_account", "buyer_name", "buyer_tax_id", "buyer_address_phone",
      "buyer_bank_account", "total_amount", "total_tax", "grand_total", "status", "risk_flag", "blue_invoice_id", "blue_invoice_code",
      "blue_invoice_number", "blue_issue_date", "red_confirmation_no", "red_reason", "remarks", "version", "digest", "source_lsn",
      "source_tx_id", "source_commit_ts", "synced_at", "source_epoch"};

  static final String UPSERT_HEADER;
  static final String INSERT_LINE = "INSERT INTO invoice_line (invoice_id, line_no, item_name, specification, unit, quantity, unit_price, "
      + "amount, tax_rate, tax_exempt, tax_amount, tax_code, line_kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
      + "ON CONFLICT (invoice_id, line_no) DO UPDATE SET item_name = EXCLUDED.item_name, specification = EXCLUDED.specification, "
      + "unit = EXCLUDED.unit, quantity = EXCLUDED.quantity, unit_price = EXCLUDED.unit_price, amount = EXCLUDED.amount, "
      + "tax_rate = EXCLUDED.tax_rate, tax_exempt = EXCLUDED.tax_exempt, tax_amount = EXCLUDED.tax_amount, tax_code = EXCLUDED.tax_code, "
      + "line_kind = EXCLUDED.line_kind";

  static {
    StringBuilder sql = new StringBuilder("INSERT INTO invoice (").append(String.join(", ", HEADER_COLUMNS)).append(", projected_at) VALUES (");
    sql.append("?,".repeat(HEADER_COLUMNS.length)).append("clock_timestamp()) ON CONFLICT (id) DO UPDATE SET ");
    for (int i = 1; i < HEADER_COLUMNS.length; i++) {
      sql.append(HEADER_COLUMNS[i]).append(" = EXCLUDED.").append(HEADER_COLUMNS[i]).append(", ");
    }
    // an equal position with a higher version is a resync's re-emit of the current row (sync-streams places it at the
    // invoice's last decided position): it repairs a row changed or deleted behind the pipeline's back
    sql.append("projected_at = EXCLUDED.projected_at WHERE ").append(Positions.sql("invoice", "<", "EXCLUDED"))
        .append(" OR (").append(Positions.sql("invoice", "=", "EXCLUDED")).append(" AND invoice.version < EXCLUDED.version)");
    UPSERT_HEADER = sql.toString();
  }

  /** What one write did: the states that became visible, and how many were not applied (older or equal). */
  public record WriteResult(List<InvoiceState> appliedStates, int skippedOlder) {
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
      return new WriteResult(List.of(), 0);
    }
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        List<InvoiceState> applied = upsertHeaders(c, latest.values());
        replaceLines(c, applied);
        c.commit();
        return new WriteResult(List.copyOf(applied), states.size() - applied.size());
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException rollbackFailed) {
          e.addSuppressed(rollbackFailed); // a dead connection cannot roll back; what failed the write is what the caller classifies
        }
        throw e;
      }
    }
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

  private static List<InvoiceState> upsertHeaders(Connection c, Collection<InvoiceState> states) throws SQLException {
    List<InvoiceState> ordered = new ArrayList<>(states);
    try (PreparedStatement ps = c.prepareStatement(UPSERT_HEADER)) {
      for (InvoiceState s : ordered) {
        bindHeader(ps, s);
        ps.addBatch();
      }
      int[] counts = ps.executeBatch();
      List<InvoiceState> applied = new ArrayList<>();
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] > 0) {
          applied.add(ordered.get(i));
        }
      }
      return applied;
    }
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
    try (PreparedStatement ps = c.prepareStatement(INSERT_LINE)) {
      for (InvoiceState s : applied) {
        for (InvoiceLine l : s.getInvoice().getLines()) {
          int i = 1;
          ps.setString(i++, s.getInvoice().getId());
          ps.setInt(i++, l.getLineNo());
          ps.setString(i++, l.getItemName());
          ps.setString(i++, l.getSpecification());
          ps.setString(i++, l.getUnit());
          ps.setBigDecimal(i++, l.getQuantity());
          ps.setBigDecimal(i++, l.getUnitPrice());
          ps.setBigDecimal(i++, l.getAmount());
          ps.setBigDecimal(i++, l.getTaxRate());
          ps.setBoolean(i++, l.getTaxExempt());
          ps.setBigDecimal(i++, l.getTaxAmount());
          ps.setString(i++, l.getTaxCode());
          ps.setString(i, l.getLineKind());
          ps.addBatch();
        }
      }
      ps.executeBatch();
    }
  }

  private static void bindHeader(PreparedStatement ps, InvoiceState s) throws SQLException {
    Invoice inv = s.getInvoice();
    Party seller = inv.getSeller();
    Party buyer = inv.getBuyer();
    RedLetterLink red = inv.getRedLetter();
    int i = 1;
    ps.setString(i++, inv.getId());
    ps.setString(i++, inv.getInvoiceCode());
    ps.setString(i++, inv.getInvoiceNumber());
    ps.setString(i++, inv.getInvoiceType());
    ps.setObject(i++, inv.getIssueDate() == null ? null : Date.valueOf(inv.getIssueDate()), Types.DATE);
    ps.setObject(i++, inv.getIssuedAt() == null ? null : Timestamp.valueOf(inv.getIssuedAt()), Types.TIMESTAMP);
    ps.setString(i++, seller.getName());
    ps.setString(i++, seller.getTaxId());
    ps.setString(i++, seller.getAddressPhone());
    ps.setString(i++, seller.getBankAccount());
    ps.setString(i++, buyer.getName());
    ps.setString(i++, buyer.getTaxId());
    ps.setString(i++, buyer.getAddressPhone());
    ps.setString(i++, buyer.getBankAccount());
    ps.setBigDecimal(i++, inv.getTotalAmount());
    ps.setBigDecimal(i++, inv.getTotalTax());
    ps.setBigDecimal(i++, inv.getGrandTotal());
    ps.setString(i++, inv.getStatus());
    ps.setString(i++, inv.getRiskFlag());
    ps.setString(i++, red == null ? null : red.getBlueInvoiceId());
    ps.setString(i++, red == null ? null : red.getBlueInvoiceCode());
    ps.setString(i++, red == null ? null : red.getBlueInvoiceNumber());
    ps.setObject(i++, red == null || red.getBlueIssueDate() == null ? null : Date.valueOf(red.getBlueIssueDate()), Types.DATE);
    ps.setString(i++, red == null ? null : red.getConfirmationNo());
    ps.setObject(i++, red == null ? null : red.getReason(), Types.SMALLINT);
    ps.setString(i++, inv.getRemarks());
    ps.setInt(i++, s.getVersion());
    ps.setString(i++, s.getDigest());
    ps.setLong(i++, s.getSource().getLsn());
    ps.setObject(i++, s.getSource().getTxId(), Types.BIGINT);
    ps.setObject(i++, OffsetDateTime.ofInstant(s.getSource().getCommitTs(), ZoneOffset.UTC), Types.TIMESTAMP_WITH_TIMEZONE);
    ps.setObject(i++, OffsetDateTime.ofInstant(s.getSyncedAt(), ZoneOffset.UTC), Types.TIMESTAMP_WITH_TIMEZONE);
    ps.setLong(i, s.getSource().getEpoch());
  }
}
