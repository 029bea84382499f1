package io.invoicesync.ingest.internal;

import io.invoicesync.schemas.InvoiceLine;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads the lines of invoices read by Debezium's initial snapshot. Only headers are snapshotted;
 * because issued lines never change (the issuing schema forbids it), reading them here, outside the
 * snapshot transaction, yields exactly the lines the header was issued with.
 */
public final class SnapshotLineLoader {

  private final String lineTable;

  public SnapshotLineLoader(String qualifiedLineTable) {
    this.lineTable = qualifiedLineTable;
  }

  public Map<String, List<InvoiceLine>> load(Connection c, Collection<String> invoiceIds) throws SQLException {
    Map<String, List<InvoiceLine>> out = new HashMap<>();
    if (invoiceIds.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + lineTable + " WHERE invoice_id = ANY (?) ORDER BY invoice_id, line_no")) {
      ps.setArray(1, c.createArrayOf("varchar", invoiceIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getString("invoice_id"), k -> new ArrayList<>()).add(InvoiceLine.newBuilder()
              .setLineNo(rs.getInt("line_no"))
              .setItemName(rs.getString("item_name"))
              .setSpecification(rs.getString("specification"))
              .setUnit(rs.getString("unit"))
              .setQuantity(scaled(rs.getBigDecimal("quantity"), 8))
              .setUnitPrice(scaled(rs.getBigDecimal("unit_price"), 8))
              .setAmount(scaled(rs.getBigDecimal("amount"), 2))
              .setTaxRate(scaled(rs.getBigDecimal("tax_rate"), 4))
              .setTaxExempt(rs.getBoolean("tax_exempt"))
              .setTaxAmount(scaled(rs.getBigDecimal("tax_amount"), 2))
              .setTaxCode(rs.getString("tax_code"))
              .setLineKind(rs.getString("line_kind"))
              .build());
        }
      }
    }
    return out;
  }

  private static BigDecimal scaled(BigDecimal v, int scale) {
    return v == null ? null : v.setScale(scale, RoundingMode.HALF_UP);
  }
}
