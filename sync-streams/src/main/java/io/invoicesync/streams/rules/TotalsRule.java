package io.invoicesync.streams.rules;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Per invoice, exactly: {@code TOTAL_AMOUNT_MISMATCH} (Σ line amount = total amount),
 * {@code TOTAL_TAX_MISMATCH} (Σ line tax = total tax), {@code GRAND_TOTAL_MISMATCH}
 * (grand total = total amount + total tax); within tolerance: {@code INVOICE_TAX_DEVIATION}
 * (|Σ (line tax − amount × rate)| ≤ 1.27 by default).
 */
public final class TotalsRule implements InvoiceRule {

  public static final String TOTAL_AMOUNT = "TOTAL_AMOUNT_MISMATCH";
  public static final String TOTAL_TAX = "TOTAL_TAX_MISMATCH";
  public static final String GRAND_TOTAL = "GRAND_TOTAL_MISMATCH";
  public static final String TAX_DEVIATION = "INVOICE_TAX_DEVIATION";

  @Override
  public void check(ValidationContext ctx) {
    Invoice inv = ctx.invoice();
    if (inv.getLines() == null || inv.getLines().isEmpty()) {
      return;
    }
    BigDecimal sumAmount = BigDecimal.ZERO;
    BigDecimal sumTax = BigDecimal.ZERO;
    BigDecimal deviation = BigDecimal.ZERO;
    boolean complete = true;
    for (InvoiceLine l : inv.getLines()) {
      if (l.getAmount() == null) {
        complete = false;
        continue;
      }
      sumAmount = sumAmount.add(l.getAmount());
      BigDecimal tax = l.getTaxAmount() == null ? BigDecimal.ZERO : l.getTaxAmount();
      sumTax = sumTax.add(tax);
      if (!l.getTaxExempt() && l.getTaxRate() != null) {
        deviation = deviation.add(tax.subtract(l.getAmount().multiply(l.getTaxRate())));
      }
    }
    if (complete && inv.getTotalAmount() != null && sumAmount.compareTo(inv.getTotalAmount()) != 0) {
      ctx.report(TOTAL_AMOUNT, "totalAmount", inv.getTotalAmount(), sumAmount.setScale(2, RoundingMode.HALF_UP).toPlainString(),
          "total amount (合计金额) is not the sum of the line amounts");
    }
    if (complete && inv.getTotalTax() != null && sumTax.compareTo(inv.getTotalTax()) != 0) {
      ctx.report(TOTAL_TAX, "totalTax", inv.getTotalTax(), sumTax.setScale(2, RoundingMode.HALF_UP).toPlainString(),
          "total tax (合计税额) is not the sum of the line taxes");
    }
    if (inv.getTotalAmount() != null && inv.getTotalTax() != null && inv.getGrandTotal() != null) {
      BigDecimal expected = inv.getTotalAmount().add(inv.getTotalTax());
      if (expected.compareTo(inv.getGrandTotal()) != 0) {
        ctx.report(GRAND_TOTAL, "grandTotal", inv.getGrandTotal(), expected.toPlainString(),
            "grand total (价税合计) is not total amount + total tax");
      }
    }
    if (complete && deviation.abs().compareTo(ctx.rules().invoiceTaxTolerance()) > 0) {
      ctx.report(TAX_DEVIATION, "totalTax", inv.getTotalTax(), "Σ(line tax − amount × rate) within ± " + ctx.rules().invoiceTaxTolerance(),
          "rounding deviation of the line taxes is " + deviation.setScale(2, RoundingMode.HALF_UP).toPlainString());
    }
  }
}
