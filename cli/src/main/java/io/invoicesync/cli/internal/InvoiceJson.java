package io.invoicesync.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.RedLetterLink;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an invoice in the documented JSON form (the shape {@code GET /api/v1/invoices/{id}}
 * returns; {@code sync} is ignored). Malformed input raises {@link Unreadable} naming the field.
 */
public final class InvoiceJson {

  /** The input is not an invoice in the documented form; the message names the field. */
  public static final class Unreadable extends RuntimeException {
    public Unreadable(String message) {
      super(message);
    }
  }

  /** Money must never pass through a double: numbers are read as BigDecimal, keeping their scale. */
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .configure(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

  private InvoiceJson() {
  }

  /** One invoice, or a JSON array of them. */
  public static java.util.List<Invoice> readAll(java.io.InputStream in) throws java.io.IOException {
    JsonNode root = JSON.readTree(in);
    if (root == null) {
      throw new Unreadable("the input is empty");
    }
    java.util.List<Invoice> invoices = new java.util.ArrayList<>();
    if (root.isArray()) {
      for (int i = 0; i < root.size(); i++) {
        invoices.add(read(root.get(i), "[" + i + "]"));
      }
    } else {
      invoices.add(read(root, "invoice"));
    }
    return invoices;
  }

  public static Invoice read(JsonNode n, String at) {
    if (n == null || !n.isObject()) {
      throw new Unreadable(at + " is not a JSON object");
    }
    Invoice.Builder b = Invoice.newBuilder()
        .setId(requiredText(n, "id", at))
        .setInvoiceCode(text(n, "invoiceCode", at))
        .setInvoiceNumber(text(n, "invoiceNumber", at))
        .setInvoiceType(text(n, "invoiceType", at))
        .setIssueDate(date(n, "issueDate", at))
        .setIssuedAt(dateTime(n, "issuedAt", at))
        .setSeller(party(n.get("seller"), at + ".seller"))
        .setBuyer(party(n.get("buyer"), at + ".buyer"))
        .setTotalAmount(decimal(n, "totalAmount", at))
        .setTotalTax(decimal(n, "totalTax", at))
        .setGrandTotal(decimal(n, "grandTotal", at))
        .setStatus(n.hasNonNull("status") ? text(n, "status", at) : "ISSUED")
        .setRiskFlag(text(n, "riskFlag", at))
        .setRemarks(text(n, "remarks", at));
    List<InvoiceLine> lines = new ArrayList<>();
    JsonNode ls = n.get("lines");
    if (ls != null && !ls.isNull()) {
      if (!ls.isArray()) {
        throw new Unreadable(at + ".lines is not an array");
      }
      for (int i = 0; i < ls.size(); i++) {
        lines.add(line(ls.get(i), at + ".lines[" + i + "]"));
      }
    }
    b.setLines(lines);
    JsonNode red = n.get("redLetter");
    if (red != null && !red.isNull()) {
      String p = at + ".redLetter";
      b.setRedLetter(RedLetterLink.newBuilder().setBlueInvoiceId(text(red, "blueInvoiceId", p)).setBlueInvoiceCode(text(red, "blueInvoiceCode", p))
          .setBlueInvoiceNumber(text(red, "blueInvoiceNumber", p)).setBlueIssueDate(date(red, "blueIssueDate", p))
          .setConfirmationNo(text(red, "confirmationNo", p)).setReason(integer(red, "reason", p)).build());
    }
    return b.build();
  }

  private static Party party(JsonNode n, String at) {
    if (n == null || n.isNull()) {
      return new Party();
    }
    if (!n.isObject()) {
      throw new Unreadable(at + " is not a JSON object");
    }
    return Party.newBuilder().setName(text(n, "name", at)).setTaxId(text(n, "taxId", at))
        .setAddressPhone(text(n, "addressPhone", at)).setBankAccount(text(n, "bankAccount", at)).build();
  }

  private static InvoiceLine line(JsonNode n, String at) {
    if (n == null || !n.isObject()) {
      throw new Unreadable(at + " is not a JSON object");
    }
    Integer no = integer(n, "lineNo", at);
    return InvoiceLine.newBuilder()
        .setLineNo(no == null ? 0 : no)
        .setItemName(text(n, "itemName", at)).setSpecification(text(n, "specification", at)).setUnit(text(n, "unit", at))
        .setQuantity(decimal(n, "quantity", at)).setUnitPrice(decimal(n, "unitPrice", at)).setAmount(decimal(n, "amount", at))
        .setTaxRate(decimal(n, "taxRate", at)).setTaxExempt(n.path("taxExempt").asBoolean(false))
        .setTaxAmount(decimal(n, "taxAmount", at)).setTaxCode(text(n, "taxCode", at))
        .setLineKind(n.hasNonNull("lineKind") ? text(n, "lineKind", at) : "NORMAL")
        .build();
  }

  private static String requiredText(JsonNode n, String field, String at) {
    String v = text(n, field, at);
    if (v == null) {
      throw new Unreadable(at + "." + field + " is missing: every invoice needs its id");
    }
    return v;
  }

  private static String text(JsonNode n, String field, String at) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new Unreadable(at + "." + field + " must be a string, was " + v);
    }
    return v.asText();
  }

  private static Integer integer(JsonNode n, String field, String at) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber()) {
      throw new Unreadable(at + "." + field + " must be an integer, was " + v);
    }
    return v.asInt();
  }

  private static BigDecimal decimal(JsonNode n, String field, String at) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isNumber()) {
      return v.decimalValue();
    }
    if (v.isTextual()) {
      try {
        return new BigDecimal(v.asText().trim());
      } catch (NumberFormatException e) {
        throw new Unreadable(at + "." + field + " must be a decimal number, was \"" + v.asText() + "\"");
      }
    }
    throw new Unreadable(at + "." + field + " must be a decimal number, was " + v);
  }

  private static LocalDate date(JsonNode n, String field, String at) {
    String v = text(n, field, at);
    try {
      return v == null ? null : LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw new Unreadable(at + "." + field + " must be an ISO date (yyyy-MM-dd), was \"" + v + "\"");
    }
  }

  private static LocalDateTime dateTime(JsonNode n, String field, String at) {
    String v = text(n, field, at);
    try {
      return v == null ? null : LocalDateTime.parse(v);
    } catch (DateTimeParseException e) {
      throw new Unreadable(at + "." + field + " must be an ISO local date-time (yyyy-MM-ddTHH:mm[:ss]), was \"" + v + "\"");
    }
  }
}
