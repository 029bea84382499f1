package io.invoicesync.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.invoicesync.outcomes.view.InvoiceView;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.RedLetterLink;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads invoices in the documented JSON form: {@link InvoiceView}, the shape
 * {@code GET /api/v1/invoices/{id}} writes, read with Jackson ({@code sync} and {@code lineCount}
 * are not read). Malformed input raises {@link Unreadable} naming the field (the path from the
 * invoice, e.g. {@code invoice.lines[0].amount}) and the value seen.
 */
public final class InvoiceJson {

  /** The input is not an invoice in the documented form; the message names the field. */
  public static final class Unreadable extends RuntimeException {
    public Unreadable(String message) {
      super(message);
    }
  }

  /**
   * Money never passes through a double (numbers are read as BigDecimal, keeping their scale), and
   * no value changes its type on the way: a number where text belongs, or text where a number does,
   * is refused rather than converted.
   */
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  static {
    JSON.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail).setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    JSON.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    JSON.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
  }

  private InvoiceJson() {
  }

  /** One invoice, or a JSON array of them. */
  public static List<Invoice> readAll(InputStream in) throws IOException {
    JsonNode root = JSON.readTree(in);
    if (root == null) {
      throw new Unreadable("the input is empty");
    }
    List<Invoice> invoices = new ArrayList<>();
    if (root.isArray()) {
      for (int i = 0; i < root.size(); i++) {
        invoices.add(read(root.get(i), "[" + i + "]"));
      }
    } else {
      invoices.add(read(root, "invoice"));
    }
    return invoices;
  }

  /** The invoice {@code n}; {@code at} names it in messages ({@code invoice}, {@code [3]}). */
  public static Invoice read(JsonNode n, String at) {
    if (n == null || !n.isObject()) {
      throw new Unreadable(at + " is not a JSON object");
    }
    if (!n.hasNonNull("id")) {
      throw new Unreadable(at + ".id is missing: every invoice needs its id");
    }
    return invoice(view(lenient((ObjectNode) n.deepCopy()), at), at);
  }

  /**
   * Two leniencies this reader has always had, kept: {@code taxExempt} is true only for true, a
   * non-zero number or "true" (anything else is false), and a {@code redLetter} that is not an object
   * is a link with nothing in it. {@code sync} and {@code lineCount} are the API's, not the invoice's.
   */
  private static ObjectNode lenient(ObjectNode n) {
    n.remove(List.of("sync", "lineCount"));
    JsonNode red = n.get("redLetter");
    if (red != null && !red.isNull() && !red.isObject()) {
      n.putObject("redLetter");
    }
    JsonNode lines = n.get("lines");
    if (lines != null && lines.isArray()) {
      for (JsonNode line : lines) {
        if (line instanceof ObjectNode l && l.has("taxExempt")) {
          l.set("taxExempt", BooleanNode.valueOf(l.get("taxExempt").asBoolean(false)));
        }
      }
    }
    return n;
  }

  private static InvoiceView view(ObjectNode n, String at) {
    try {
      return JSON.treeToValue(n, InvoiceView.class);
    } catch (JsonMappingException e) {
      throw unreadable(n, at, e);
    } catch (JsonProcessingException e) {
      throw new Unreadable(at + " cannot be read: " + e.getOriginalMessage());
    }
  }

  /** Names the field Jackson could not read, by its path from the invoice, and what it must be. */
  private static Unreadable unreadable(JsonNode invoice, String at, JsonMappingException e) {
    StringBuilder where = new StringBuilder(at);
    Type type = InvoiceView.class;
    JsonNode value = invoice;
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        where.append('.').append(r.getFieldName());
        type = component(type, r.getFieldName());
        value = value == null ? null : value.get(r.getFieldName());
      } else {
        where.append('[').append(r.getIndex()).append(']');
        type = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : null;
        value = value == null ? null : value.get(r.getIndex());
      }
    }
    String seen = value == null ? "nothing" : value.toString();
    if (type == String.class) {
      return new Unreadable(where + " must be a string, was " + seen);
    } else if (type == Integer.class || type == int.class) {
      return new Unreadable(where + " must be an integer, was " + seen);
    } else if (type == BigDecimal.class) {
      return new Unreadable(where + " must be a decimal number, was " + (value != null && value.isTextual() ? "\"" + value.asText() + "\"" : seen));
    } else if (type instanceof ParameterizedType) {
      return new Unreadable(where + " is not an array");
    } else if (type instanceof Class<?> c && c.isRecord()) {
      return new Unreadable(where + " is not a JSON object");
    }
    return new Unreadable(where + " cannot be read: " + e.getOriginalMessage());
  }

  /** The declared type of {@code name} in the record {@code type}, or null. */
  private static Type component(Type type, String name) {
    if (type instanceof Class<?> c && c.isRecord()) {
      for (RecordComponent rc : c.getRecordComponents()) {
        if (rc.getName().equals(name)) {
          return rc.getGenericType();
        }
      }
    }
    return null;
  }

  private static Invoice invoice(InvoiceView v, String at) {
    Invoice.Builder b = Invoice.newBuilder()
        .setId(v.id())
        .setInvoiceCode(v.invoiceCode())
        .setInvoiceNumber(v.invoiceNumber())
        .setInvoiceType(v.invoiceType())
        .setIssueDate(date(v.issueDate(), at + ".issueDate"))
        .setIssuedAt(dateTime(v.issuedAt(), at + ".issuedAt"))
        .setSeller(party(v.seller()))
        .setBuyer(party(v.buyer()))
        .setTotalAmount(v.totalAmount())
        .setTotalTax(v.totalTax())
        .setGrandTotal(v.grandTotal())
        .setStatus(v.status() != null ? v.status() : "ISSUED")
        .setRiskFlag(v.riskFlag())
        .setRemarks(v.remarks());
    List<InvoiceLine> lines = new ArrayList<>();
    if (v.lines() != null) {
      for (int i = 0; i < v.lines().size(); i++) {
        lines.add(line(v.lines().get(i), at + ".lines[" + i + "]"));
      }
    }
    b.setLines(lines);
    InvoiceView.RedLetter red = v.redLetter();
    if (red != null) {
      b.setRedLetter(RedLetterLink.newBuilder().setBlueInvoiceId(red.blueInvoiceId()).setBlueInvoiceCode(red.blueInvoiceCode())
          .setBlueInvoiceNumber(red.blueInvoiceNumber()).setBlueIssueDate(date(red.blueIssueDate(), at + ".redLetter.blueIssueDate"))
          .setConfirmationNo(red.confirmationNo()).setReason(red.reason()).build());
    }
    return b.build();
  }

  private static Party party(InvoiceView.Party p) {
    if (p == null) {
      return new Party();
    }
    return Party.newBuilder().setName(p.name()).setTaxId(p.taxId()).setAddressPhone(p.addressPhone()).setBankAccount(p.bankAccount()).build();
  }

  private static InvoiceLine line(InvoiceView.Line l, String at) {
    if (l == null) {
      throw new Unreadable(at + " is not a JSON object");
    }
    return InvoiceLine.newBuilder()
        .setLineNo(l.lineNo())
        .setItemName(l.itemName()).setSpecification(l.specification()).setUnit(l.unit())
        .setQuantity(l.quantity()).setUnitPrice(l.unitPrice()).setAmount(l.amount())
        .setTaxRate(l.taxRate()).setTaxExempt(l.taxExempt())
        .setTaxAmount(l.taxAmount()).setTaxCode(l.taxCode())
        .setLineKind(l.lineKind() != null ? l.lineKind() : "NORMAL")
        .build();
  }

  private static LocalDate date(String v, String field) {
    try {
      return v == null ? null : LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw new Unreadable(field + " must be an ISO date (yyyy-MM-dd), was \"" + v + "\"");
    }
  }

  private static LocalDateTime dateTime(String v, String field) {
    try {
      return v == null ? null : LocalDateTime.parse(v);
    } catch (DateTimeParseException e) {
      throw new Unreadable(field + " must be an ISO local date-time (yyyy-MM-ddTHH:mm[:ss]), was \"" + v + "\"");
    }
  }
}
