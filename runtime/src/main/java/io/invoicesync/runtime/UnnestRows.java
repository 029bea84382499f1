package io.invoicesync.runtime;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of one multi-row statement: one text array per column, unnested and cast to each
 * column's type in SQL, so a batch of any size is one statement and one execution in the query
 * store instead of one per row ({@code INSERT ... SELECT ... FROM unnest(?::integer[], ...)}).
 * Values are kept in their SQL text form (BigDecimal plain, dates and times ISO-8601, booleans
 * {@code true}/{@code false}); nulls stay null.
 */
public final class UnnestRows {

  private final String[][] columns;
  private final List<List<String>> values;
  private int rows;

  /** @param columns each column's name and SQL type, in the order the values are added */
  public UnnestRows(String[][] columns, int expectedRows) {
    this.columns = columns;
    this.values = new ArrayList<>(columns.length);
    for (int i = 0; i < columns.length; i++) {
      values.add(new ArrayList<>(expectedRows));
    }
  }

  /** The column names, comma separated. */
  public static String names(String[][] columns) {
    StringBuilder b = new StringBuilder();
    for (String[] c : columns) {
      b.append(b.length() == 0 ? "" : ", ").append(c[0]);
    }
    return b.toString();
  }

  /** {@code unnest(?::type[], ...) AS u(names)}: the row source of the statement, its parameters bound by {@link #bind}. */
  public static String unnest(String[][] columns) {
    StringBuilder b = new StringBuilder("unnest(");
    for (int i = 0; i < columns.length; i++) {
      b.append(i == 0 ? "" : ", ").append("?::").append(columns[i][1]).append("[]");
    }
    return b.append(") AS u(").append(names(columns)).append(")").toString();
  }

  /** Adds one row: a value per column, in the columns' order. */
  public void add(Object... row) {
    if (row.length != columns.length) {
      throw new IllegalArgumentException(row.length + " values for " + columns.length + " columns (" + names(columns) + ")");
    }
    for (int i = 0; i < row.length; i++) {
      values.get(i).add(text(row[i]));
    }
    rows++;
  }

  public int rows() {
    return rows;
  }

  /** Binds the arrays to the statement's parameters from {@code first} on; returns the next parameter index. */
  public int bind(Connection c, PreparedStatement ps, int first) throws SQLException {
    int i = first;
    for (List<String> column : values) {
      ps.setArray(i++, c.createArrayOf("text", column.toArray()));
    }
    return i;
  }

  static String text(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof BigDecimal d) {
      return d.toPlainString();
    }
    return v.toString(); // CharSequence, numbers, booleans, LocalDate, LocalDateTime and Instant: their ISO-8601 text
  }
}
