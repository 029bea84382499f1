package io.invoicesync.streams.rules;

import io.invoicesync.schemas.InvoiceLine;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * Per line: {@code LINE_AMOUNT_MISMATCH} (|quantity x unit price - amount| within tolerance),
 * {@code TAX_RATE_INVALID} (rate in the configured list), {@code LINE_TAX_MISMATCH}
 * (|amount x rate - tax| within tolerance), {@code TAX_EXEMPT_WITH_TAX} (an exempt line carries no tax).
 */
public final class LineArithmeticRule implements InvoiceRule {

  public static final String AMOUNT = "LINE_AMOUNT_MISMATCH";
  public static final String RATE = "TAX_RATE_INVALID";
  public static final String TAX = "LINE_TAX_MISMATCH";
  public static final String EXEMPT = "TAX_EXEMPT_WITH_TAX";

  @Override
  public void check(ValidationContext ctx) {
    List<InvoiceLine> lines = ctx.invoice().getLines();
    if (lines == null) {
      return;
    }
    ValidationRules rules = ctx.rules();
    for (int i = 0; i < lines.size(); i++) {
      InvoiceLine l = lines.get(i);
      String at = "lines[" + i + "]";
      BigDecimal amount = l.getAmount();
      if (l.getQuantity() != null && l.getUnitPrice() != null && amount != null) {
        BigDecimal expected = l.getQuantity().multiply(l.getUnitPrice()).setScale(2, RoundingMode.HALF_UP);
        if (expected.subtract(amount).abs().compareTo(rules.lineAmountTolerance()) > 0) {
          ctx.report(AMOUNT, at + ".amount", amount, expected.toPlainString() + " ± " + rules.lineAmountTolerance(),
              "line amount differs from quantity × unit price");
        }
      }
      if (l.getTaxExempt()) {
        if (l.getTaxAmount() != null && l.getTaxAmount().signum() != 0) {
          ctx.report(EXEMPT, at + ".taxAmount", l.getTaxAmount(), "none", "a tax-exempt line carries no tax amount");
        }
        continue;
      }
      if (l.getTaxRate() != null && !rules.isValidRate(l.getTaxRate())) {
        ctx.report(RATE, at + ".taxRate", l.getTaxRate().stripTrailingZeros().toPlainString(), "one of " + rules.taxRates(),
            "tax rate is not a valid VAT rate");
        continue;
      }
      if (amount != null && l.getTaxRate() != null && l.getTaxAmount() != null) {
        BigDecimal expected = amount.multiply(l.getTaxRate()).setScale(2, RoundingMode.HALF_UP);
        if (expected.subtract(l.getTaxAmount()).abs().compareTo(rules.lineTaxTolerance()) > 0) {
          ctx.report(TAX, at + ".taxAmount", l.getTaxAmount(), expected.toPlainString() + " ± " + rules.lineTaxTolerance(),
              "line tax differs from amount × rate");
        }
      }
    }
  }
}
