package io.invoicesync.ingest.mapping;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A field of the contract's {@code Invoice} or {@code InvoiceLine} that a mapping can fill, by the
 * name the mapping file uses for it (dotted for the parties and the red-letter link), with the kind
 * of value it takes. The amounts' scales are the contract's.
 */
public enum Target {
  ID("id", Kind.STRING), INVOICE_CODE("invoiceCode", Kind.STRING), INVOICE_NUMBER("invoiceNumber", Kind.STRING),
  INVOICE_TYPE("invoiceType", Kind.STRING), ISSUE_DATE("issueDate", Kind.DATE), ISSUED_AT("issuedAt", Kind.TIMESTAMP),
  SELLER_NAME("seller.name", Kind.STRING), SELLER_TAX_ID("seller.taxId", Kind.STRING), SELLER_ADDRESS_PHONE("seller.addressPhone", Kind.STRING),
  SELLER_BANK_ACCOUNT("seller.bankAccount", Kind.STRING), BUYER_NAME("buyer.name", Kind.STRING), BUYER_TAX_ID("buyer.taxId", Kind.STRING),
  BUYER_ADDRESS_PHONE("buyer.addressPhone", Kind.STRING), BUYER_BANK_ACCOUNT("buyer.bankAccount", Kind.STRING),
  TOTAL_AMOUNT("totalAmount", Kind.AMOUNT), TOTAL_TAX("totalTax", Kind.AMOUNT), GRAND_TOTAL("grandTotal", Kind.AMOUNT),
  STATUS("status", Kind.STRING), RISK_FLAG("riskFlag", Kind.STRING), REMARKS("remarks", Kind.STRING),
  BLUE_INVOICE_ID("redLetter.blueInvoiceId", Kind.STRING), BLUE_INVOICE_CODE("redLetter.blueInvoiceCode", Kind.STRING),
  BLUE_INVOICE_NUMBER("redLetter.blueInvoiceNumber", Kind.STRING), BLUE_ISSUE_DATE("redLetter.blueIssueDate", Kind.DATE),
  RED_CONFIRMATION_NO("redLetter.confirmationNo", Kind.STRING), RED_REASON("redLetter.reason", Kind.INT),

  LINE_NO("lineNo", Kind.INT, true), ITEM_NAME("itemName", Kind.STRING, true), SPECIFICATION("specification", Kind.STRING, true),
  UNIT("unit", Kind.STRING, true), QUANTITY("quantity", Kind.QUANTITY, true), UNIT_PRICE("unitPrice", Kind.QUANTITY, true),
  AMOUNT("amount", Kind.AMOUNT, true), TAX_RATE("taxRate", Kind.RATE, true), TAX_EXEMPT("taxExempt", Kind.BOOLEAN, true),
  TAX_AMOUNT("taxAmount", Kind.AMOUNT, true), TAX_CODE("taxCode", Kind.STRING, true), LINE_KIND("lineKind", Kind.STRING, true);

  /** What a field takes; the decimals are the contract's scales. */
  public enum Kind {
    STRING(-1), INT(-1), BOOLEAN(-1), DATE(-1), TIMESTAMP(-1), AMOUNT(2), QUANTITY(8), RATE(4);

    /** Decimals of a decimal kind; -1 for the others. */
    public final int scale;

    Kind(int scale) {
      this.scale = scale;
    }

    public boolean decimal() {
      return scale >= 0;
    }
  }

  /** The name in the mapping file. */
  public final String key;
  public final Kind kind;
  /** A field of InvoiceLine (the mapping's {@code line} block), not of Invoice. */
  public final boolean line;

  Target(String key, Kind kind) {
    this(key, kind, false);
  }

  Target(String key, Kind kind, boolean line) {
    this.key = key;
    this.kind = kind;
    this.line = line;
  }

  private static final Map<String, Target> HEADER = Arrays.stream(values()).filter(t -> !t.line)
      .collect(Collectors.toUnmodifiableMap(t -> t.key, Function.identity()));
  private static final Map<String, Target> LINE = Arrays.stream(values()).filter(t -> t.line)
      .collect(Collectors.toUnmodifiableMap(t -> t.key, Function.identity()));

  /** The field a key of the mapping's {@code invoice} ({@code line} false) or {@code line} block names. */
  public static Optional<Target> of(String key, boolean line) {
    return Optional.ofNullable((line ? LINE : HEADER).get(key));
  }

  /** Where a problem with this field is reported: {@code invoice.seller.taxId}, {@code line.amount}. */
  public String path() {
    return (line ? "line." : "invoice.") + key;
  }
}
