package io.invoicesync.generator;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * An issuing platform's existing invoices, there before capture begins (what {@code history load}
 * loads): valid 数电票 of today in our reference tables, {@code 1 + serial % maxLines} lines each at
 * 100.00 + 13.00, written in two statements however many there are.
 */
public final class ExistingInvoices {

  /**
   * Writes {@code n} invoices with ids {@code idPrefix + i} and numbers of serials {@code firstSerial + i}, i from 1, in
   * {@code c}'s transaction; returns how many lines they have ({@code maxLines} 5: 3 on average).
   */
  public static long insert(Connection c, String idPrefix, long firstSerial, int n, int maxLines) throws SQLException {
    String day = IssuingDay.today().toString();
    String prefix = IssuingDay.digitalNumber(0).substring(0, 5);
    String lines = "(1 + (" + firstSerial + " + n) % " + maxLines + ")";
    try (Statement s = c.createStatement()) {
      s.execute("INSERT INTO issuing.invoice (id, invoice_number, invoice_type, issue_date, issued_at, seller_name, seller_tax_id, buyer_name, "
          + "buyer_tax_id, total_amount, total_tax, grand_total) SELECT '" + idPrefix + "' || n, '" + prefix + "' || lpad((" + firstSerial
          + " + n)::text, 15, '0'), 'DIGITAL_GENERAL', DATE '" + day + "', TIMESTAMP '" + day + " 10:00:00', '深圳市示例科技有限公司', "
          + "'91440300MA5ETUPW89', '上海某某贸易有限公司', '91310000MA1FL4XQ3A', " + lines + " * 100.00, " + lines + " * 13.00, " + lines
          + " * 113.00 FROM generate_series(1, " + n + ") n");
      s.execute("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, quantity, unit_price, amount, tax_rate, tax_amount, "
          + "tax_code) SELECT '" + idPrefix + "' || n, l, '*信息技术服务*软件维护', '次', 1, 100, 100.00, 0.13, 13.00, '3040201010000000000' "
          + "FROM generate_series(1, " + n + ") n, generate_series(1, " + lines + ") l");
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM issuing.invoice_line WHERE invoice_id LIKE '" + idPrefix + "%'")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private ExistingInvoices() {
  }
}
