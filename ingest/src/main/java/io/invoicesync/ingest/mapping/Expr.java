package io.invoicesync.ingest.mapping;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where a field's value comes from: a column (with the options a customer's encodings need), a
 * constant, or the concatenation of several (an invoice code and number as one id).
 */
public sealed interface Expr {

  /** The columns this expression reads. */
  List<String> columns();

  /**
   * A column's value.
   *
   * @param map      code -> value applied to the column's text (empty: none)
   * @param fallback the value when the column is NULL or its code is not in {@code map} (null: none)
   * @param format   a java.time pattern for a date or timestamp kept as text or a number (null: none)
   * @param scale    for an amount kept as an integer of its smallest unit, its decimals (0: none)
   * @param percent  a rate kept in percent: divided by 100
   */
  record Column(String name, Map<String, String> map, String fallback, String format, int scale, boolean percent) implements Expr {
    public Column {
      map = Map.copyOf(map);
    }

    public static Column of(String name) {
      return new Column(name, Map.of(), null, null, 0, false);
    }

    @Override
    public List<String> columns() {
      return List.of(name);
    }
  }

  /** The same value for every invoice (a platform that issues one type only, a status column it lacks). */
  record Constant(String value) implements Expr {
    @Override
    public List<String> columns() {
      return List.of();
    }
  }

  /** The parts' texts joined; null parts are left out, and all parts null is null. */
  record Concat(List<Expr> parts, String separator) implements Expr {
    public Concat {
      parts = List.copyOf(parts);
    }

    @Override
    public List<String> columns() {
      return parts.stream().flatMap(p -> p.columns().stream()).distinct().toList();
    }
  }

  /** Every column a set of expressions reads, in order, once. */
  static List<String> columnsOf(Stream<Expr> exprs) {
    return exprs.flatMap(e -> e.columns().stream()).distinct().toList();
  }
}
