package io.invoicesync.streams.rules;

import io.invoicesync.schemas.Invoice;

/**
 * Identifier rules: {@code INVOICE_NUMBER_FORMAT} (20 digits for 数电票, 8 with a code),
 * {@code DIGITAL_NUMBER_YEAR_MISMATCH} (digits 1-2 = issue year mod 100),
 * {@code INVOICE_CODE_FORMAT} (10 or 12 digits, none on 数电票; a 12-digit code starts with 0),
 * {@code INVOICE_CODE_YEAR_MISMATCH} (12-digit code digits 6-7 = issue year mod 100) and
 * {@code INVOICE_CODE_KIND_MISMATCH} (10-digit code digit 8 gives special {1,5}, general {3,6}).
 */
public final class InvoiceNumberRule implements InvoiceRule {

  public static final String NUMBER_FORMAT = "INVOICE_NUMBER_FORMAT";
  public static final String DIGITAL_YEAR = "DIGITAL_NUMBER_YEAR_MISMATCH";
  public static final String CODE_FORMAT = "INVOICE_CODE_FORMAT";
  public static final String CODE_YEAR = "INVOICE_CODE_YEAR_MISMATCH";
  public static final String CODE_KIND = "INVOICE_CODE_KIND_MISMATCH";

  @Override
  public void check(ValidationContext ctx) {
    Invoice inv = ctx.invoice();
    String type = inv.getInvoiceType();
    String number = inv.getInvoiceNumber();
    String code = inv.getInvoiceCode();
    if (type == null || number == null || !InvoiceTypes.ALL.contains(type)) {
      return; // reported by RequiredFieldsRule
    }
    String yy = inv.getIssueDate() == null ? null : String.format("%02d", inv.getIssueDate().getYear() % 100);
    if (InvoiceTypes.isDigital(type)) {
      if (!number.matches("\\d{20}")) {
        ctx.report(NUMBER_FORMAT, "invoiceNumber", number, "20 digits", "a 数电票 number has 20 digits");
      } else if (yy != null && !number.startsWith(yy)) {
        ctx.report(DIGITAL_YEAR, "invoiceNumber", number, "starting with " + yy,
            "digits 1-2 of a 数电票 number are the issue year (" + inv.getIssueDate().getYear() + ")");
      }
      if (code != null && !code.isEmpty()) {
        ctx.report(CODE_FORMAT, "invoiceCode", code, "empty", "a 数电票 has no invoice code");
      }
      return;
    }
    if (!number.matches("\\d{8}")) {
      ctx.report(NUMBER_FORMAT, "invoiceNumber", number, "8 digits", "a tax-control invoice number has 8 digits");
    }
    if (code == null || !(code.matches("\\d{10}") || code.matches("0\\d{11}"))) {
      ctx.report(CODE_FORMAT, "invoiceCode", code, "10 digits, or 12 digits starting with 0",
          "a tax-control invoice needs a 10- or 12-digit invoice code");
      return;
    }
    if (code.length() == 12 && yy != null && !code.substring(5, 7).equals(yy)) {
      ctx.report(CODE_YEAR, "invoiceCode", code, "digits 6-7 = " + yy, "digits 6-7 of a 12-digit code are the issue year");
    }
    if (code.length() == 10) {
      char kind = code.charAt(7);
      boolean special = kind == '1' || kind == '5' || kind == '2' || kind == '7';
      boolean general = kind == '3' || kind == '6';
      if (InvoiceTypes.isSpecial(type) ? !special : !general) {
        ctx.report(CODE_KIND, "invoiceCode", code, InvoiceTypes.isSpecial(type) ? "digit 8 in {1,5,2,7}" : "digit 8 in {3,6}",
            "digit 8 of the invoice code does not match invoice type " + type);
      }
    }
  }
}
