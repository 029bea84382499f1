package io.invoicesync.outcomes.imports;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The id under which the store already knows an invoice by its number (and code): an import of the platform's file
 * uses it, so an invoice captured from an issuing database under a source-local id and the file's row are one invoice.
 * One connection and one prepared statement for a whole import (a lookup per invoice read).
 */
public final class KnownInvoices implements AutoCloseable {

  private final Connection connection;
  private final PreparedStatement byNumber;

  public KnownInvoices(DataSource store) throws SQLException {
    connection = store.getConnection();
    try {
      byNumber = connection.prepareStatement("SELECT invoice_id FROM invoice_outcome WHERE invoice_number = ? "
          + "AND (invoice_code = ? OR (?::text IS NULL AND invoice_code IS NULL)) LIMIT 1");
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
  }

  /** The store's id of the invoice with this code (null for a 数电票) and number, or null when it knows none. */
  public String idOf(String code, String number) {
    if (number == null) {
      return null;
    }
    try {
      byNumber.setString(1, number);
      byNumber.setString(2, code);
      byNumber.setString(3, code);
      try (ResultSet rs = byNumber.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("the store cannot say whether an invoice is known: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
