package io.invoicesync.imports;

import static io.invoicesync.imports.ExportColumn.AMOUNT;
import static io.invoicesync.imports.ExportColumn.BUYER_NAME;
import static io.invoicesync.imports.ExportColumn.BUYER_TAX_ID;
import static io.invoicesync.imports.ExportColumn.CODE;
import static io.invoicesync.imports.ExportColumn.DIGITAL_NUMBER;
import static io.invoicesync.imports.ExportColumn.ISSUE_DATE;
import static io.invoicesync.imports.ExportColumn.ITEM;
import static io.invoicesync.imports.ExportColumn.KIND;
import static io.invoicesync.imports.ExportColumn.NUMBER;
import static io.invoicesync.imports.ExportColumn.POSITIVE;
import static io.invoicesync.imports.ExportColumn.PRICE;
import static io.invoicesync.imports.ExportColumn.QUANTITY;
import static io.invoicesync.imports.ExportColumn.RATE;
import static io.invoicesync.imports.ExportColumn.REMARK;
import static io.invoicesync.imports.ExportColumn.SELLER_NAME;
import static io.invoicesync.imports.ExportColumn.SELLER_TAX_ID;
import static io.invoicesync.imports.ExportColumn.SPEC;
import static io.invoicesync.imports.ExportColumn.STATUS;
import static io.invoicesync.imports.ExportColumn.TAX;
import static io.invoicesync.imports.ExportColumn.TAX_CODE;
import static io.invoicesync.imports.ExportColumn.TOTAL;
import static io.invoicesync.imports.ExportColumn.UNIT;

import io.invoicesync.schemas.FilePosition;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.RedLetterLink;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rows of the platform's export, in either of its sheets: a summary sheet (信息汇总表, one invoice
 * per row) or a detail sheet (one line per row, by invoice number). The header row is found among the
 * first rows (an export may have a title above it); detail sheets are read first, so a summary row
 * becomes its invoice with its lines, one at a time.
 */
final class ExportTable {

  /** Rows searched for the header row. */
  static final int HEADER_SEARCH_ROWS = 10;

  static final Pattern BLUE_NUMBER = Pattern.compile("(?:蓝字|原)(?:数电|全电)?(?:发票)?号码[:：]?\\s*(\\d{8,20})");
  static final Pattern BLUE_CODE = Pattern.compile("(?:蓝字|原)(?:发票)?代码[:：]?\\s*(\\d{10,12})");
  static final Pattern CONFIRMATION = Pattern.compile("(?:红字发票信息确认单|红字确认单|信息表)编号[:：]?\\s*([0-9A-Za-z]+)");

  private ExportTable() {
  }

  /** Lines of invoices read from detail sheets, by the invoice's national id, in the order read. */
  static final class Lines {
    final Map<String, List<InvoiceLine>> byInvoice = new HashMap<>();
    int count;

    void add(String invoiceId, InvoiceLine.Builder line) {
      List<InvoiceLine> lines = byInvoice.computeIfAbsent(invoiceId, k -> new ArrayList<>());
      lines.add(line.setLineNo(lines.size() + 1).build());
      count++;
    }
  }

  /** The invoice's national id of a row, or an error naming the empty columns. */
  static String[] identity(ExportColumn.Header h, List<String> row) {
    String digital = Values.text(h.get(row, DIGITAL_NUMBER));
    String code = Values.text(h.get(row, CODE));
    String number = Values.text(h.get(row, NUMBER));
    if (digital != null) {
      return new String[] {null, digital};
    }
    if (number == null) {
      throw new IllegalArgumentException("no invoice number: 数电发票号码 and 发票号码 are both empty");
    }
    if (number.length() == 20) {
      code = null; // a 数电票 number in the 发票号码 column
    }
    return new String[] {code, number};
  }

  /** A detail row: one line of an invoice. */
  static void line(ExportColumn.Header h, List<String> row, Lines into) {
    String[] idn = identity(h, row);
    String item = Values.text(h.get(row, ITEM));
    String rate = h.get(row, RATE);
    BigDecimal amount = field("金额", () -> Values.amount(h.get(row, AMOUNT), 2));
    InvoiceLine.Builder line = InvoiceLine.newBuilder().setItemName(item).setSpecification(Values.text(h.get(row, SPEC)))
        .setUnit(Values.text(h.get(row, UNIT))).setQuantity(field("数量", () -> Values.quantity(h.get(row, QUANTITY))))
        .setUnitPrice(field("单价", () -> Values.quantity(h.get(row, PRICE)))).setAmount(amount)
        .setTaxRate(field("税率", () -> Values.rate(rate))).setTaxExempt(Values.exempt(rate))
        .setTaxAmount(field("税额", () -> Values.amount(h.get(row, TAX), 2))).setTaxCode(Values.text(h.get(row, TAX_CODE)))
        .setLineKind("NORMAL");
    into.add(ImportedInvoice.nationalId(idn[0], idn[1]), line);
  }

  /** A summary row: one invoice, with its lines from the detail sheets when they had any. */
  static ImportedInvoice invoice(ExportColumn.Header h, List<String> row, Lines lines, FilePosition where) {
    String[] idn = identity(h, row);
    String code = idn[0];
    String number = idn[1];
    String id = ImportedInvoice.nationalId(code, number);
    String dateText = h.get(row, ISSUE_DATE);
    LocalDate issueDate = field("开票日期", () -> Values.date(dateText));
    LocalDateTime issuedAt = Values.dateTime(dateText);
    String remark = Values.text(h.get(row, REMARK));
    Invoice.Builder inv = Invoice.newBuilder().setId(id).setInvoiceCode(code).setInvoiceNumber(number)
        .setInvoiceType(field("发票票种", () -> type(h.get(row, KIND), code == null))).setIssueDate(issueDate).setIssuedAt(issuedAt)
        .setSeller(Party.newBuilder().setName(Values.text(h.get(row, SELLER_NAME))).setTaxId(Values.text(h.get(row, SELLER_TAX_ID))).build())
        .setBuyer(Party.newBuilder().setName(Values.text(h.get(row, BUYER_NAME))).setTaxId(Values.text(h.get(row, BUYER_TAX_ID))).build())
        .setTotalAmount(field("金额", () -> Values.amount(h.get(row, AMOUNT), 2)))
        .setTotalTax(field("税额", () -> Values.amount(h.get(row, TAX), 2)))
        .setGrandTotal(field("价税合计", () -> Values.amount(h.get(row, TOTAL), 2)))
        .setStatus(field("发票状态", () -> status(h.get(row, STATUS)))).setRemarks(remark);
    String positive = Values.text(h.get(row, POSITIVE));
    boolean red = positive != null ? field("是否正数发票", () -> !yes(positive))
        : inv.getGrandTotal() != null && inv.getGrandTotal().signum() < 0;
    if (red) {
      String blueNumber = Values.find(BLUE_NUMBER, remark);
      String blueCode = blueNumber != null && blueNumber.length() == 20 ? null : Values.find(BLUE_CODE, remark);
      inv.setRedLetter(RedLetterLink.newBuilder().setBlueInvoiceCode(blueCode).setBlueInvoiceNumber(blueNumber)
          .setBlueInvoiceId(blueNumber == null ? null : ImportedInvoice.nationalId(blueCode, blueNumber))
          .setConfirmationNo(Values.find(CONFIRMATION, remark)).build());
    }
    List<InvoiceLine> own = lines == null ? null : lines.byInvoice.remove(id);
    inv.setLines(own == null ? List.of() : own);
    return new ImportedInvoice(inv.build(), own != null, where);
  }

  /** An invoice of a combined sheet: its totals are its lines' sums (the rows' 金额 and 税额 are the lines'). */
  static ImportedInvoice summed(ImportedInvoice inv) {
    Invoice i = inv.invoice();
    BigDecimal amount = BigDecimal.ZERO.setScale(2);
    BigDecimal tax = BigDecimal.ZERO.setScale(2);
    for (InvoiceLine l : i.getLines()) {
      amount = amount.add(l.getAmount() == null ? BigDecimal.ZERO : l.getAmount());
      tax = tax.add(l.getTaxAmount() == null ? BigDecimal.ZERO : l.getTaxAmount());
    }
    return new ImportedInvoice(Invoice.newBuilder(i).setTotalAmount(amount).setTotalTax(tax).setGrandTotal(amount.add(tax)).build(),
        inv.linesIncluded(), inv.where());
  }

  /** 发票票种 as the platform writes it, to the pipeline's types; null when the column is empty or absent. */
  static String type(String raw, boolean digital) {
    String s = Values.text(raw);
    if (s == null) {
      return null;
    }
    boolean special = s.contains("专用") || s.contains("专票");
    boolean general = s.contains("普通") || s.contains("普票");
    if (!special && !general) {
      throw new IllegalArgumentException("'" + raw + "' is not an invoice type this import knows (增值税专用发票, 增值税普通发票, "
          + "增值税电子专用发票, 增值税电子普通发票, 数电票（增值税专用发票）, 数电票（普通发票）)");
    }
    String kind = special ? "SPECIAL" : "GENERAL";
    if (digital || s.contains("数电") || s.contains("全电") || s.startsWith("电子发票")) {
      return "DIGITAL_" + kind;
    }
    return kind + (s.contains("电子") ? "_ELECTRONIC" : "_PAPER");
  }

  /** 发票状态 to the pipeline's statuses; ISSUED when the column is empty. */
  static String status(String raw) {
    String s = Values.text(raw);
    if (s == null || s.equals("正常") || s.equals("正常发票") || s.equals("已开具")) {
      return "ISSUED";
    }
    if (s.contains("部分红冲")) {
      return "PARTIALLY_RED_FLUSHED";
    }
    if (s.contains("红冲")) {
      return "RED_FLUSHED";
    }
    if (s.contains("作废")) {
      return "VOIDED";
    }
    throw new IllegalArgumentException("'" + raw + "' is not an invoice status this import knows (正常, 已作废, 已红冲, 部分红冲)");
  }

  static boolean yes(String raw) {
    String s = Values.text(raw);
    if (s.equals("是") || s.equalsIgnoreCase("Y") || s.equalsIgnoreCase("true") || s.equals("1")) {
      return true;
    }
    if (s.equals("否") || s.equalsIgnoreCase("N") || s.equalsIgnoreCase("false") || s.equals("0")) {
      return false;
    }
    throw new IllegalArgumentException("'" + raw + "' is not 是 or 否");
  }

  /** A value read, or the column's name with why it could not be. */
  static <T> T field(String column, java.util.function.Supplier<T> read) {
    try {
      return read.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(column + ": " + e.getMessage(), e);
    }
  }
}
