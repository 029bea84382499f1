package io.invoicesync.ingest.mapping;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A mapping as SQL, so that what reads the issuing database in bulk — reconcile's checksums, which
 * are computed inside that database, resync's snapshot conditions, trace's source probe — reads the
 * customer's tables as the pipeline does. {@link #header()} and {@link #lines()} are relations (a
 * parenthesised SELECT over the mapped table) with the reference schema's column names and types:
 * {@code id, invoice_code, invoice_number, invoice_type, issue_date, seller_tax_id, buyer_tax_id,
 * total_amount, total_tax, grand_total, status, risk_flag, blue_invoice_number, created_at, updated_at}
 * and {@code invoice_id, line_no, item_name, quantity, unit_price, amount, tax_rate, tax_amount,
 * tax_exempt, line_kind}.
 *
 * <p>Every value is computed as {@link RowMapper} computes it from a captured row, in SQL that never
 * fails on a bad value (a text that is not a number or a date is NULL, as the mapper leaves the field
 * empty): blank text as NULL where the mapping says so, code maps with their default, concatenation
 * leaving blank parts out, amounts in text with separators or in fen, percent rates, text dates in a
 * java.time pattern (translated into a regular expression; an impossible day of month is moved to the
 * month's last, as java.time's smart resolver does), and the contract's scales. Read-only: no function
 * is created in the customer's database.
 */
public final class MappingSql {

  /** The columns of {@link #header()} in order, with the field each one holds (null: not an invoice field). */
  private static final Map<Target, String> HEADER_COLUMNS = columns(Target.ID, Target.INVOICE_CODE, Target.INVOICE_NUMBER,
      Target.INVOICE_TYPE, Target.ISSUE_DATE, Target.SELLER_TAX_ID, Target.BUYER_TAX_ID, Target.TOTAL_AMOUNT, Target.TOTAL_TAX,
      Target.GRAND_TOTAL, Target.STATUS, Target.RISK_FLAG, Target.BLUE_INVOICE_NUMBER);
  private static final Map<Target, String> LINE_COLUMNS = columns(Target.LINE_NO, Target.ITEM_NAME, Target.QUANTITY, Target.UNIT_PRICE,
      Target.AMOUNT, Target.TAX_RATE, Target.TAX_AMOUNT, Target.TAX_EXEMPT, Target.LINE_KIND);

  private static final String BLANK = "'^\\s*$'";
  private static final String TRIM = "E' \\t\\r\\n'";
  private static final String NUMBER = "'^[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?[%％]?$'";
  private static final java.util.Set<String> NUMERIC_TYPES = java.util.Set.of("numeric", "integer", "bigint", "smallint", "decimal");
  private static final java.util.Set<String> TEXT_TYPES = java.util.Set.of("text", "character varying", "character", "varchar", "char", "bpchar");

  private final Mapping mapping;
  private final Map<String, String> headerTypes;
  private final Map<String, String> lineTypes;

  /** Without the columns' types: every value read through its text (correct for any type, slower for typed columns). */
  public MappingSql(Mapping mapping) {
    this(mapping, Map.of(), Map.of());
  }

  /**
   * @param headerTypes the header table's column -> {@code information_schema.columns.data_type}: a typed column
   *                    (numeric, date, boolean) the field takes as it is is read without going through text
   * @param lineTypes   the same for the lines table
   */
  public MappingSql(Mapping mapping, Map<String, String> headerTypes, Map<String, String> lineTypes) {
    this.mapping = mapping;
    this.headerTypes = Map.copyOf(headerTypes);
    this.lineTypes = Map.copyOf(lineTypes);
    for (Map.Entry<Target, String> e : HEADER_COLUMNS.entrySet()) {
      check(e.getKey(), mapping.invoice().get(e.getKey()));
    }
    for (Map.Entry<Target, String> e : LINE_COLUMNS.entrySet()) {
      check(e.getKey(), mapping.line().get(e.getKey()));
    }
  }

  /** Every format is translatable, or the constructor names the field that is not. */
  private static void check(Target t, Expr e) {
    if (e instanceof Expr.Column c && c.format() != null) {
      try {
        DatePattern.of(c.format());
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(t.path() + ": " + ex.getMessage(), ex);
      }
    }
  }

  /**
   * The mapping as SQL for this database: the mapped tables' column types read from
   * {@code information_schema}, so that typed columns are read without going through their text.
   */
  public static MappingSql of(Mapping mapping, javax.sql.DataSource source) throws java.sql.SQLException {
    try (java.sql.Connection c = source.getConnection()) {
      return new MappingSql(mapping, types(c, mapping.header()), types(c, mapping.lines()));
    }
  }

  private static Map<String, String> types(java.sql.Connection c, Mapping.TableName table) throws java.sql.SQLException {
    Map<String, String> out = new java.util.HashMap<>();
    try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT column_name, data_type FROM information_schema.columns "
        + "WHERE table_schema = ? AND table_name = ?")) {
      ps.setString(1, table.schema());
      ps.setString(2, table.name());
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  /** The header table as the reference schema's {@code invoice}: a relation to put after FROM, with an alias. */
  public String header() {
    Function<String, String> col = c -> "m." + Mapping.quote(c);
    List<String> select = new ArrayList<>();
    HEADER_COLUMNS.forEach((t, name) -> select.add(field(t, mapping.invoice().get(t), col, headerTypes) + " AS " + name));
    String changed = mapping.changedAt() == null ? "NULL::timestamptz" : col.apply(mapping.changedAt()) + "::timestamptz";
    select.add("NULL::timestamptz AS created_at");
    select.add(changed + " AS updated_at");
    return "(SELECT " + String.join(", ", select) + " FROM " + mapping.header().quoted() + " m)";
  }

  /** The lines table as the reference schema's {@code invoice_line}: a relation to put after FROM, with an alias. */
  public String lines() {
    Function<String, String> col = c -> "m." + Mapping.quote(c);
    Map<String, String> lineColumnOf = mapping.join().entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getValue, Map.Entry::getKey, (a, b) -> a));
    List<String> select = new ArrayList<>();
    // the invoice a line belongs to: the id computed from the line's join columns in the place of the header's
    select.add(field(Target.ID, mapping.invoice().get(Target.ID), c -> col.apply(lineColumnOf.get(c)), lineTypesAsHeader(lineColumnOf))
        + " AS invoice_id");
    LINE_COLUMNS.forEach((t, name) -> select.add(field(t, mapping.line().get(t), col, lineTypes) + " AS " + name));
    return "(SELECT " + String.join(", ", select) + " FROM " + mapping.lines().quoted() + " m)";
  }

  private Map<String, String> lineTypesAsHeader(Map<String, String> lineColumnOf) {
    Map<String, String> out = new java.util.HashMap<>();
    lineColumnOf.forEach((h, l) -> {
      if (lineTypes.containsKey(l)) {
        out.put(h, lineTypes.get(l));
      }
    });
    return out;
  }

  /** The invoice id as an expression over the header table's own columns, unqualified: a condition on that table ({@code <id> IN (...)}). */
  public String id() {
    return field(Target.ID, mapping.invoice().get(Target.ID), Mapping::quote, headerTypes);
  }

  /** The physical header table, quoted. */
  public String headerTable() {
    return mapping.header().quoted();
  }

  // ---- one field -------------------------------------------------------------------------------------------------

  private String field(Target t, Expr e, Function<String, String> col, Map<String, String> types) {
    String v = e == null ? null : value(t, e, col, types);
    // what RowMapper puts in place of a missing value
    return switch (t) {
      case STATUS -> "coalesce(" + orNull(v, "text") + ", '')";
      case LINE_NO -> "coalesce(" + orNull(v, "int") + ", 0)";
      case TAX_EXEMPT -> "coalesce(" + orNull(v, "boolean") + ", false)";
      case LINE_KIND -> "coalesce(" + orNull(v, "text") + ", 'NORMAL')";
      default -> orNull(v, sqlType(t.kind));
    };
  }

  private static String orNull(String v, String type) {
    return v == null ? "NULL::" + type : v;
  }

  private static String sqlType(Target.Kind k) {
    return switch (k) {
      case STRING -> "text";
      case INT -> "int";
      case BOOLEAN -> "boolean";
      case DATE -> "date";
      case TIMESTAMP -> "timestamp";
      case AMOUNT, QUANTITY, RATE -> "numeric";
    };
  }

  private String value(Target t, Expr e, Function<String, String> col, Map<String, String> types) {
    if (e instanceof Expr.Column c && c.map().isEmpty() && c.fallback() == null) {
      String typed = typed(t.kind, c, col.apply(c.name()), types.get(c.name()));
      if (typed != null) {
        return typed;
      }
    }
    return fromText(t.kind, text(e, col), e instanceof Expr.Column c ? c : null);
  }

  /** A typed column the field takes as it is (no text in between), or null when it must go through its text. */
  private String typed(Target.Kind kind, Expr.Column c, String ref, String type) {
    if (type == null) {
      return null;
    }
    String ty = type.toLowerCase(Locale.ROOT);
    boolean number = NUMERIC_TYPES.contains(ty);
    boolean text = TEXT_TYPES.contains(ty);
    return switch (kind) {
      case STRING -> text && !mapping.emptyTextIsNull() ? ref + "::text" : number ? ref + "::text" : null;
      case INT -> number ? "trunc(" + ref + ")::int" : null;
      case BOOLEAN -> "boolean".equals(ty) ? ref : number ? "(" + ref + " <> 0)" : null;
      case DATE -> "date".equals(ty) ? ref : ty.startsWith("timestamp") ? ref + "::date" : null;
      case TIMESTAMP -> ty.startsWith("timestamp") ? ref + "::timestamp" : "date".equals(ty) ? ref + "::timestamp" : null;
      case AMOUNT, QUANTITY, RATE -> number ? decimal(ref + "::numeric", kind, c.scale(), c.percent() ? "true" : "false") : null;
    };
  }

  /** An expression's text, as {@link RowMapper#raw} computes its value (before conversion to the field's kind). */
  private String text(Expr e, Function<String, String> col) {
    if (e instanceof Expr.Constant c) {
      return literal(c.value());
    }
    if (e instanceof Expr.Concat c) {
      List<String> parts = new ArrayList<>();
      for (Expr p : c.parts()) {
        String pt = text(p, col);
        parts.add("(SELECT CASE WHEN x !~ " + BLANK + " THEN x END FROM (SELECT " + pt + " AS x) p)");
      }
      return "NULLIF(concat_ws(" + literal(c.separator()) + ", " + String.join(", ", parts) + "), '')";
    }
    Expr.Column c = (Expr.Column) e;
    String t = col.apply(c.name()) + "::text";
    if (mapping.emptyTextIsNull()) {
      t = "(SELECT CASE WHEN x !~ " + BLANK + " THEN x END FROM (SELECT " + t + " AS x) b)";
    }
    if (!c.map().isEmpty()) {
      StringBuilder s = new StringBuilder("(SELECT CASE WHEN x IS NULL THEN " + literalOrNull(c.fallback()));
      c.map().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(m -> s.append(" WHEN btrim(x, ").append(TRIM).append(") = ").append(literal(m.getKey())).append(" THEN ")
              .append(literal(m.getValue())));
      s.append(" ELSE ").append(c.fallback() == null ? "x" : literal(c.fallback())).append(" END FROM (SELECT ").append(t).append(" AS x) c)");
      return s.toString();
    }
    return c.fallback() == null ? t : "coalesce(" + t + ", " + literal(c.fallback()) + ")";
  }

  /** A text as the field's kind, NULL when it cannot be read as one (the mapper's problem: the field left empty). */
  private static String fromText(Target.Kind kind, String t, Expr.Column c) {
    String x = "(SELECT %s FROM (SELECT " + t + " AS x) v)";
    return switch (kind) {
      case STRING -> t;
      case INT -> x.formatted("CASE WHEN x ~ '^\\s*[+-]?\\d+\\s*$' THEN btrim(x)::int END");
      case BOOLEAN -> x.formatted("CASE WHEN lower(btrim(x, " + TRIM + ")) IN ('true', 't', '1', 'y', 'yes', '是') THEN true "
          + "WHEN lower(btrim(x, " + TRIM + ")) IN ('false', 'f', '0', 'n', 'no', '否') THEN false END");
      case DATE -> (c == null || c.format() == null ? DatePattern.iso(false) : DatePattern.of(c.format())).date(t);
      case TIMESTAMP -> (c == null || c.format() == null ? DatePattern.iso(true) : DatePattern.of(c.format())).timestamp(t);
      case AMOUNT, QUANTITY, RATE -> "(SELECT " + decimal("CASE WHEN y ~ " + NUMBER + " THEN rtrim(y, '%％')::numeric END", kind,
          c == null ? 0 : c.scale(), (c != null && c.percent()) + " OR y ~ '[%％]$'")
          + " FROM (SELECT regexp_replace(btrim(x), '[ ,，¥￥]', '', 'g') AS y FROM (SELECT " + t + " AS x) v) w)";
    };
  }

  /** A number at the contract's scale: moved left by {@code scale} (fen), by 2 more when {@code percent} holds, rounded half up. */
  private static String decimal(String n, Target.Kind kind, int scale, String percent) {
    String shifted = scale > 0 ? "(" + n + ") * " + BigDecimal.ONE.movePointLeft(scale).toPlainString() : n;
    String pct = "true".equals(percent) ? "(" + shifted + ") * 0.01" : "false".equals(percent) ? shifted
        : "(" + shifted + ") * CASE WHEN " + percent + " THEN 0.01 ELSE 1 END";
    return "round(" + pct + ", " + kind.scale + ")";
  }

  static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static String literalOrNull(String s) {
    return s == null ? "NULL" : literal(s);
  }

  private static Map<Target, String> columns(Target... targets) {
    Mapping ref = Mapping.reference();
    Map<Target, String> out = new EnumMap<>(Target.class);
    for (Target t : targets) {
      out.put(t, ((Expr.Column) (t.line ? ref.line() : ref.invoice()).get(t)).name());
    }
    return out;
  }

  // ---- dates -----------------------------------------------------------------------------------------------------

  /**
   * A java.time pattern as a regular expression with a group per field; the date built from the
   * groups in SQL. Letters: y/u (yyyy, yy), M, d, H, m, s, S; anything else a letter cannot be
   * translated. Without a pattern: ISO ({@code 2026-12-06}, {@code 2026-12-06 09:30:00} or with T).
   */
  record DatePattern(String regex, Map<Character, Integer> group, boolean twoDigitYear, boolean smart) {

    private static final String ISO_DATE = "^\\s*(\\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])";

    /** ISO, as the mapper reads a date or timestamp without a format: strictly (no day past the month's end). */
    static DatePattern iso(boolean time) {
      return time
          ? new DatePattern(ISO_DATE + "[T ]([01]\\d|2[0-3]):([0-5]\\d)(?::([0-5]\\d)(?:\\.(\\d{1,9}))?)?\\s*$",
              Map.of('y', 1, 'M', 2, 'd', 3, 'H', 4, 'm', 5, 's', 6, 'S', 7), false, false)
          : new DatePattern(ISO_DATE + "\\s*$", Map.of('y', 1, 'M', 2, 'd', 3), false, false);
    }

    static DatePattern of(String pattern) {
      StringBuilder re = new StringBuilder("^\\s*");
      Map<Character, Integer> groups = new java.util.HashMap<>();
      boolean twoDigit = false;
      int i = 0;
      while (i < pattern.length()) {
        char ch = pattern.charAt(i);
        int n = 1;
        while (i + n < pattern.length() && pattern.charAt(i + n) == ch) {
          n++;
        }
        if (ch == '\'') {
          int end = pattern.indexOf('\'', i + 1);
          if (end < 0) {
            throw new IllegalArgumentException("format '" + pattern + "': an unclosed quote");
          }
          String lit = end == i + 1 ? "'" : pattern.substring(i + 1, end);
          re.append(escape(lit));
          i = end + 1;
          continue;
        }
        if (Character.isLetter(ch)) {
          char f = ch == 'u' ? 'y' : ch;
          String g = switch (f) {
            case 'y' -> n == 2 ? "\\d{2}" : "\\d{4}";
            case 'M' -> n >= 2 ? "(?:0[1-9]|1[0-2])" : "(?:1[0-2]|0?[1-9])";
            case 'd' -> n >= 2 ? "(?:0[1-9]|[12]\\d|3[01])" : "(?:3[01]|[12]\\d|0?[1-9])";
            case 'H' -> n >= 2 ? "(?:[01]\\d|2[0-3])" : "(?:2[0-3]|[01]?\\d)";
            case 'm', 's' -> n >= 2 ? "[0-5]\\d" : "[0-5]?\\d";
            case 'S' -> "\\d{" + n + "}";
            default -> throw new IllegalArgumentException("format '" + pattern + "': the letter '" + ch + "' cannot be read inside the database "
                + "(reconcile, resync and trace read dates there; use y, M, d, H, m, s, S)");
          };
          if ((f == 'y' && n != 2 && n != 4) || (f != 'S' && n > 2 && f != 'y')) {
            throw new IllegalArgumentException("format '" + pattern + "': '" + String.valueOf(ch).repeat(n) + "' cannot be read inside the database");
          }
          twoDigit |= f == 'y' && n == 2;
          groups.put(f, groups.size() + 1);
          re.append('(').append(g).append(')');
          i += n;
          continue;
        }
        re.append(escape(String.valueOf(ch).repeat(n)));
        i += n;
      }
      if (!groups.containsKey('y') || !groups.containsKey('M') || !groups.containsKey('d')) {
        throw new IllegalArgumentException("format '" + pattern + "' has no year, month and day");
      }
      return new DatePattern(re.append("\\s*$").toString(), Map.copyOf(groups), twoDigit, true);
    }

    private static String escape(String literal) {
      return literal.replaceAll("([.^$|?*+()\\[\\]{}\\\\])", "\\\\$1");
    }

    private String part(char f) {
      Integer g = group.get(f);
      return g == null ? "0" : "coalesce(g[" + g + "], '0')::int";
    }

    /** The first of the month, and the day: java.time's smart resolver moves a day past the month's end to its last. */
    private String day() {
      String y = twoDigitYear ? "(2000 + " + part('y') + ")" : part('y');
      String first = "make_date(" + y + ", " + part('M') + ", 1)";
      String d = first + " + (" + part('d') + " - 1)";
      String last = "(" + first + " + interval '1 month' - interval '1 day')::date";
      return smart ? "least(" + d + ", " + last + ")" : "CASE WHEN " + d + " <= " + last + " THEN " + d + " END";
    }

    String date(String text) {
      return "(SELECT CASE WHEN g IS NOT NULL THEN " + day() + " END FROM (SELECT regexp_match(" + text + ", " + literal(regex) + ") AS g) r)";
    }

    String timestamp(String text) {
      String secs = part('s') + (group.containsKey('S') ? " + ('0.' || g[" + group.get('S') + "])::numeric" : "");
      return "(SELECT CASE WHEN g IS NOT NULL THEN (" + day() + ") + make_interval(hours => " + part('H') + ", mins => " + part('m')
          + ", secs => " + secs + ") END FROM (SELECT regexp_match(" + text + ", " + literal(regex) + ") AS g) r)";
    }
  }
}
