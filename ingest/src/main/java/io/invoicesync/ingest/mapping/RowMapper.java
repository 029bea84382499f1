package io.invoicesync.ingest.mapping;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.RedLetterLink;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Rows of the customer's tables as the contract's {@link Invoice}, by a {@link Mapping}. A value
 * that cannot be read as its field's kind (a date in another format, an amount with letters) leaves
 * the field empty and is reported as a {@link Problem} naming the field, the column and the value:
 * the invoice then fails validation with reasons instead of stopping capture.
 */
public final class RowMapper {

  /** A row's value of a column, by the column's name; a plain Java value (String, Number, Boolean, java.time or java.sql types). */
  @FunctionalInterface
  public interface Row {
    Object get(String column);
  }

  /** A value the mapping could not read as its field's kind. */
  public record Problem(String field, String columns, String value, String reason) {
    /** The rule code a change carrying such a problem is rejected with. */
    public static final String CODE = "MAPPING_VALUE";

    @Override
    public String toString() {
      return field + " (" + columns + " = '" + value + "'): " + reason;
    }

    /** As the violation sync-streams rejects the change with: the field, the value seen, and which column and why. */
    public io.invoicesync.schemas.Violation violation() {
      return io.invoicesync.schemas.Violation.newBuilder().setCode(CODE).setField(field).setValue(value.isEmpty() ? null : value)
          .setExpected(null).setMessage("the mapping could not read " + ("not mapped".equals(columns) ? "this field (not mapped)"
              : "column " + columns + (value.isEmpty() ? "" : " = '" + value + "'")) + ": " + reason).build();
    }
  }

  /** The invoice, and what could not be read into it (empty when everything could). */
  public record Mapped(Invoice invoice, List<Problem> problems) {
  }

  private final Mapping mapping;
  /** Header column -> the line column that joins it: how a line row stands in for its header when its invoice's id is computed. */
  private final Map<String, String> lineColumnOf = new java.util.HashMap<>();

  public RowMapper(Mapping mapping) {
    this.mapping = mapping;
    mapping.join().forEach((lineCol, headerCol) -> lineColumnOf.put(headerCol, lineCol));
  }

  /** The invoice of one header row and its line rows (in the mapping's line order). */
  public Mapped invoice(Row header, List<Row> lineRows) {
    List<Problem> problems = new ArrayList<>();
    List<InvoiceLine> lines = new ArrayList<>();
    for (Row r : lineRows) {
      lines.add(line(r, problems));
    }
    return invoiceOf(header, lines, problems);
  }

  /** The invoice of one header row with lines already mapped ({@link #line}); the header's problems are added to {@code problems}. */
  public Mapped invoiceOf(Row header, List<InvoiceLine> lines, List<Problem> problems) {
    Map<Target, Object> h = values(mapping.invoice(), header, problems);
    String id = (String) h.get(Target.ID);
    if (id == null || id.isBlank()) {
      problems.add(new Problem(Target.ID.path(), columns(Target.ID, mapping.invoice()), "", "an invoice needs its id"));
      return new Mapped(null, problems);
    }
    RedLetterLink red = null;
    if (h.get(Target.BLUE_INVOICE_ID) != null || h.get(Target.BLUE_INVOICE_NUMBER) != null) {
      red = RedLetterLink.newBuilder()
          .setBlueInvoiceId((String) h.get(Target.BLUE_INVOICE_ID))
          .setBlueInvoiceCode((String) h.get(Target.BLUE_INVOICE_CODE))
          .setBlueInvoiceNumber((String) h.get(Target.BLUE_INVOICE_NUMBER))
          .setBlueIssueDate((LocalDate) h.get(Target.BLUE_ISSUE_DATE))
          .setConfirmationNo((String) h.get(Target.RED_CONFIRMATION_NO))
          .setReason((Integer) h.get(Target.RED_REASON))
          .build();
    }
    String status = (String) h.get(Target.STATUS);
    if (status == null) {
      problems.add(new Problem(Target.STATUS.path(), columns(Target.STATUS, mapping.invoice()), "", "an invoice needs its status"));
    }
    Invoice invoice = Invoice.newBuilder()
        .setId(id)
        .setInvoiceCode((String) h.get(Target.INVOICE_CODE))
        .setInvoiceNumber((String) h.get(Target.INVOICE_NUMBER))
        .setInvoiceType((String) h.get(Target.INVOICE_TYPE))
        .setIssueDate((LocalDate) h.get(Target.ISSUE_DATE))
        .setIssuedAt((LocalDateTime) h.get(Target.ISSUED_AT))
        .setSeller(Party.newBuilder().setName((String) h.get(Target.SELLER_NAME)).setTaxId((String) h.get(Target.SELLER_TAX_ID))
            .setAddressPhone((String) h.get(Target.SELLER_ADDRESS_PHONE)).setBankAccount((String) h.get(Target.SELLER_BANK_ACCOUNT)).build())
        .setBuyer(Party.newBuilder().setName((String) h.get(Target.BUYER_NAME)).setTaxId((String) h.get(Target.BUYER_TAX_ID))
            .setAddressPhone((String) h.get(Target.BUYER_ADDRESS_PHONE)).setBankAccount((String) h.get(Target.BUYER_BANK_ACCOUNT)).build())
        .setLines(lines)
        .setTotalAmount((BigDecimal) h.get(Target.TOTAL_AMOUNT))
        .setTotalTax((BigDecimal) h.get(Target.TOTAL_TAX))
        .setGrandTotal((BigDecimal) h.get(Target.GRAND_TOTAL))
        .setStatus(status == null ? "" : status)
        .setRiskFlag((String) h.get(Target.RISK_FLAG))
        .setRedLetter(red)
        .setRemarks((String) h.get(Target.REMARKS))
        .build();
    return new Mapped(invoice, problems);
  }

  /** One line row as an {@link InvoiceLine}; what cannot be read is added to {@code problems}. */
  public InvoiceLine line(Row r, List<Problem> problems) {
    Map<Target, Object> l = values(mapping.line(), r, problems);
    Integer lineNo = (Integer) l.get(Target.LINE_NO);
    if (lineNo == null) {
      problems.add(new Problem(Target.LINE_NO.path(), columns(Target.LINE_NO, mapping.line()), "", "a line needs its number"));
    }
    return InvoiceLine.newBuilder()
        .setLineNo(lineNo == null ? 0 : lineNo)
        .setItemName((String) l.get(Target.ITEM_NAME))
        .setSpecification((String) l.get(Target.SPECIFICATION))
        .setUnit((String) l.get(Target.UNIT))
        .setQuantity((BigDecimal) l.get(Target.QUANTITY))
        .setUnitPrice((BigDecimal) l.get(Target.UNIT_PRICE))
        .setAmount((BigDecimal) l.get(Target.AMOUNT))
        .setTaxRate((BigDecimal) l.get(Target.TAX_RATE))
        .setTaxExempt(Boolean.TRUE.equals(l.get(Target.TAX_EXEMPT)))
        .setTaxAmount((BigDecimal) l.get(Target.TAX_AMOUNT))
        .setTaxCode((String) l.get(Target.TAX_CODE))
        .setLineKind(l.get(Target.LINE_KIND) == null ? "NORMAL" : (String) l.get(Target.LINE_KIND))
        .build();
  }

  /** The id of the invoice a header row is; null when its columns give none. */
  public String invoiceId(Row header) {
    Object v = raw(mapping.invoice().get(Target.ID), header);
    return v == null ? null : (String) convert(Target.Kind.STRING, v, mapping.invoice().get(Target.ID));
  }

  /**
   * The id of the invoice a line row belongs to: the id computed from the line's join columns in the
   * place of the header columns they join ({@link Mapping} requires the id to read only those).
   */
  public String invoiceIdOfLine(Row line) {
    return invoiceId(column -> line.get(lineColumnOf.get(column)));
  }

  /** The values of the header's join columns (the lines' join, header side, in its order), by which its lines are found. */
  public List<Object> joinValues(Row header) {
    List<Object> out = new ArrayList<>();
    mapping.join().values().forEach(c -> out.add(header.get(c)));
    return out;
  }

  /** A line row's number, as the line's {@code lineNo} reads it; null when it has none. */
  public Integer lineNo(Row line) {
    Expr e = mapping.line().get(Target.LINE_NO);
    Object v = raw(e, line);
    try {
      return v == null ? null : (Integer) convert(Target.Kind.INT, v, e);
    } catch (RuntimeException ex) {
      return null;
    }
  }

  private static String columns(Target t, Map<Target, Expr> fields) {
    Expr e = fields.get(t);
    return e == null ? "not mapped" : String.join(", ", e.columns());
  }

  private Map<Target, Object> values(Map<Target, Expr> fields, Row row, List<Problem> problems) {
    Map<Target, Object> out = new EnumMap<>(Target.class);
    fields.forEach((target, expr) -> {
      Object raw = raw(expr, row);
      try {
        out.put(target, convert(target.kind, raw, expr));
      } catch (RuntimeException e) {
        problems.add(new Problem(target.path(), String.join(", ", expr.columns()), text(raw), e.getMessage()));
      }
    });
    return out;
  }

  /** The expression's value before conversion: the column's (mapped) value, the constant, or the joined texts. */
  Object raw(Expr expr, Row row) {
    if (expr instanceof Expr.Constant c) {
      return c.value();
    }
    if (expr instanceof Expr.Concat c) {
      StringJoiner j = new StringJoiner(c.separator());
      boolean any = false;
      for (Expr part : c.parts()) {
        Object v = raw(part, row);
        if (v != null && !(v instanceof String s && s.isBlank())) { // an empty part is left out
          j.add(text(v));
          any = true;
        }
      }
      return any ? j.toString() : null;
    }
    Expr.Column c = (Expr.Column) expr;
    Object v = row.get(c.name());
    if (mapping.emptyTextIsNull() && v instanceof String s && s.isBlank()) {
      v = null; // an empty text column is a value not given, as platforms that never store NULL write it
    }
    if (v != null && !c.map().isEmpty()) {
      String code = text(v).trim();
      return c.map().containsKey(code) ? c.map().get(code) : c.fallback() != null ? c.fallback() : v;
    }
    return v == null ? c.fallback() : v;
  }

  /** A value as its field's kind takes it; an exception's message says why it cannot. */
  static Object convert(Target.Kind kind, Object v, Expr expr) {
    if (v == null) {
      return null;
    }
    Expr.Column col = expr instanceof Expr.Column c ? c : null;
    return switch (kind) {
      case STRING -> v instanceof BigDecimal b ? b.toPlainString() : text(v);
      case INT -> v instanceof Number n ? n.intValue() : Integer.valueOf(text(v).trim());
      case BOOLEAN -> v instanceof Boolean b ? b : v instanceof Number n ? n.intValue() != 0 : bool(text(v));
      case DATE -> date(v, col == null ? null : col.format());
      case TIMESTAMP -> timestamp(v, col == null ? null : col.format());
      case AMOUNT, QUANTITY, RATE -> decimal(v, kind.scale, col == null ? 0 : col.scale(), col != null && col.percent());
    };
  }

  private static boolean bool(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "true", "t", "1", "y", "yes", "是" -> true;
      case "false", "f", "0", "n", "no", "否" -> false;
      default -> throw new IllegalArgumentException("not a yes/no value (true/false, 1/0, Y/N, 是/否; or give a 'map')");
    };
  }

  /** An amount or rate: numbers as they are; text with thousands separators or a currency sign; fen by {@code scale}; percent. */
  static BigDecimal decimal(Object v, int contractScale, int impliedDecimals, boolean percent) {
    BigDecimal d;
    boolean percentSign = false;
    if (v instanceof BigDecimal b) {
      d = b;
    } else if (v instanceof Number n) {
      d = new BigDecimal(n.toString());
    } else {
      String s = text(v).trim().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace(" ", "");
      if (s.endsWith("%") || s.endsWith("％")) {
        percentSign = true;
        s = s.substring(0, s.length() - 1);
      }
      try {
        d = new BigDecimal(s);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number");
      }
    }
    if (impliedDecimals > 0) {
      d = d.movePointLeft(impliedDecimals);
    }
    if (percent || percentSign) {
      d = d.movePointLeft(2);
    }
    return d.setScale(contractScale, RoundingMode.HALF_UP);
  }

  static LocalDate date(Object v, String format) {
    if (v instanceof LocalDate d) {
      return d;
    }
    if (v instanceof java.sql.Date d) {
      return d.toLocalDate();
    }
    if (v instanceof LocalDateTime t) {
      return t.toLocalDate();
    }
    if (v instanceof java.sql.Timestamp t) {
      return t.toLocalDateTime().toLocalDate();
    }
    if (v instanceof OffsetDateTime t) {
      return t.toLocalDate();
    }
    return parse(v, format, false).query(LocalDate::from);
  }

  static LocalDateTime timestamp(Object v, String format) {
    if (v instanceof LocalDateTime t) {
      return t;
    }
    if (v instanceof java.sql.Timestamp t) {
      return t.toLocalDateTime();
    }
    if (v instanceof OffsetDateTime t) {
      return t.toLocalDateTime();
    }
    if (v instanceof LocalDate d) {
      return d.atStartOfDay();
    }
    if (v instanceof java.sql.Date d) {
      return d.toLocalDate().atStartOfDay();
    }
    TemporalAccessor t = parse(v, format, true);
    return t.isSupported(ChronoField.HOUR_OF_DAY) ? LocalDateTime.from(t) : LocalDate.from(t).atStartOfDay();
  }

  private static TemporalAccessor parse(Object v, String format, boolean time) {
    String s = text(v).trim();
    try {
      if (format != null) {
        return DateTimeFormatter.ofPattern(format).parse(s);
      }
      return time ? LocalDateTime.parse(s.replace(' ', 'T')) : LocalDate.parse(s);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not a " + (time ? "timestamp" : "date") + (format != null ? " in the format " + format
          : " in ISO form (give a 'format', e.g. yyyyMMdd)"));
    }
  }

  static String text(Object v) {
    if (v == null) {
      return "";
    }
    return v instanceof BigDecimal b ? b.toPlainString() : v.toString();
  }
}
