package io.invoicesync.streams.rules;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.RedLetterLink;
import java.math.BigDecimal;

/**
 * The red-letter rules that one invoice shows on its own: a red invoice (one with a red-letter
 * link) has negative totals ({@code RED_AMOUNT_NOT_NEGATIVE}), names its blue invoice's number
 * ({@code RED_LINK_INCOMPLETE}) and a valid reason 1-4 ({@code RED_REASON_INVALID}); an invoice
 * with negative totals and no link is {@code RED_LINK_MISSING}. Matching a red invoice against its
 * blue one needs state across invoices and is done by the topology.
 */
public final class RedLetterFieldsRule implements InvoiceRule {

  public static final String NOT_NEGATIVE = "RED_AMOUNT_NOT_NEGATIVE";
  public static final String LINK_INCOMPLETE = "RED_LINK_INCOMPLETE";
  public static final String LINK_MISSING = "RED_LINK_MISSING";
  public static final String REASON = "RED_REASON_INVALID";

  @Override
  public void check(ValidationContext ctx) {
    Invoice inv = ctx.invoice();
    RedLetterLink red = inv.getRedLetter();
    BigDecimal total = inv.getGrandTotal();
    if (red == null) {
      if (total != null && total.signum() < 0) {
        ctx.report(LINK_MISSING, "redLetter", null, "the blue invoice reference", "an invoice with negative totals must reference the blue invoice it reverses");
      }
      return;
    }
    if (total != null && total.signum() >= 0) {
      ctx.report(NOT_NEGATIVE, "grandTotal", total, "< 0", "a red-letter invoice has negative amounts");
    }
    if (red.getBlueInvoiceNumber() == null || red.getBlueInvoiceNumber().isBlank()) {
      ctx.report(LINK_INCOMPLETE, "redLetter.blueInvoiceNumber", null, "the blue invoice's number", "a red-letter invoice names its blue invoice");
    }
    if (red.getReason() == null || red.getReason() < 1 || red.getReason() > 4) {
      ctx.report(REASON, "redLetter.reason", red.getReason(), "1 开票有误, 2 销货退回, 3 服务终止, 4 销售折让", "red-letter reason must be 1-4");
    }
  }
}
