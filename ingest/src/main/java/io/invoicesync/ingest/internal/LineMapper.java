package io.invoicesync.ingest.internal;

import io.debezium.data.VariableScaleDecimal;
import io.invoicesync.schemas.InvoiceLine;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.apache.kafka.connect.data.Struct;

/**
 * One row of the line table as an {@link InvoiceLine}, the same whether Debezium streamed it
 * ({@link TransactionAssembler}) or ingest read it by JDBC after a snapshot ({@link SnapshotLineLoader}).
 */
public final class LineMapper {

  /** A row's value of a column, by the column's name. */
  @FunctionalInterface
  interface Row<E extends Exception> {
    Object get(String column) throws E;
  }

  private LineMapper() {
  }

  /**
   * A line from a Debezium event's row; a column the table lacks reads as null, so that a line missing
   * one the contract needs fails validation, with reasons, instead of stopping ingest.
   */
  public static InvoiceLine fromEvent(Struct row) {
    return map(column -> row.schema().field(column) == null ? null : row.get(column));
  }

  /** A line from the current row of a JDBC result; a column the table lacks is an error, as pgjdbc reports it. */
  public static InvoiceLine fromResult(ResultSet rs) throws SQLException {
    return map(rs::getObject);
  }

  private static <E extends Exception> InvoiceLine map(Row<E> row) throws E {
    Object lineKind = row.get("line_kind");
    return InvoiceLine.newBuilder()
        .setLineNo(((Number) row.get("line_no")).intValue())
        .setItemName((String) row.get("item_name"))
        .setSpecification((String) row.get("specification"))
        .setUnit((String) row.get("unit"))
        .setQuantity(decimal(row.get("quantity"), 8))
        .setUnitPrice(decimal(row.get("unit_price"), 8))
        .setAmount(decimal(row.get("amount"), 2))
        .setTaxRate(decimal(row.get("tax_rate"), 4))
        .setTaxExempt(Boolean.TRUE.equals(row.get("tax_exempt")))
        .setTaxAmount(decimal(row.get("tax_amount"), 2))
        .setTaxCode((String) row.get("tax_code"))
        .setLineKind(lineKind == null ? "NORMAL" : (String) lineKind)
        .build();
  }

  /**
   * An amount at the contract's scale, from precise decimals (a BigDecimal), Debezium's
   * VariableScaleDecimal struct or another number; null stays null. Headers' amounts too.
   */
  static BigDecimal decimal(Object value, int scale) {
    if (value == null) {
      return null;
    }
    BigDecimal d;
    if (value instanceof BigDecimal b) {
      d = b;
    } else if (value instanceof Struct vs) {
      d = new BigDecimal(new BigInteger(vs.getBytes(VariableScaleDecimal.VALUE_FIELD)), vs.getInt32(VariableScaleDecimal.SCALE_FIELD));
    } else if (value instanceof Number n) {
      d = new BigDecimal(n.toString());
    } else {
      d = new BigDecimal(value.toString());
    }
    return d.setScale(scale, RoundingMode.HALF_UP);
  }
}
