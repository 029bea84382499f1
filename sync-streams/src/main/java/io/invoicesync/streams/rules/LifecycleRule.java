package io.invoicesync.streams.rules;

import io.invoicesync.schemas.Invoice;
import java.util.Map;
import java.util.Set;

/**
 * Lifecycle rules that need the invoice's previous version: {@code STATUS_REGRESSION} (status only
 * moves forward: ISSUED → VOIDED, ISSUED → PARTIALLY_RED_FLUSHED → RED_FLUSHED),
 * {@code ELECTRONIC_VOID_NOT_ALLOWED} (electronic invoices of both generations are never voided)
 * and {@code PAPER_VOID_OUTSIDE_MONTH} (paper ones only in their month of issue, judged by today when the
 * void is seen happening: not on a first read of an invoice already voided),
 * plus {@code STATUS_UNKNOWN}.
 */
public final class LifecycleRule implements InvoiceRule {

  public static final String REGRESSION = "STATUS_REGRESSION";
  public static final String ELECTRONIC_VOID = "ELECTRONIC_VOID_NOT_ALLOWED";
  public static final String PAPER_VOID_MONTH = "PAPER_VOID_OUTSIDE_MONTH";
  public static final String UNKNOWN = "STATUS_UNKNOWN";

  private static final Map<String, Set<String>> NEXT = Map.of(
      "ISSUED", Set.of("ISSUED", "VOIDED", "PARTIALLY_RED_FLUSHED", "RED_FLUSHED"),
      "PARTIALLY_RED_FLUSHED", Set.of("PARTIALLY_RED_FLUSHED", "RED_FLUSHED"),
      "RED_FLUSHED", Set.of("RED_FLUSHED"),
      "VOIDED", Set.of("VOIDED"));

  @Override
  public void check(ValidationContext ctx) {
    Invoice inv = ctx.invoice();
    String status = inv.getStatus();
    if (!NEXT.containsKey(status)) {
      ctx.report(UNKNOWN, "status", status, "one of " + NEXT.keySet(), "unknown invoice status");
      return;
    }
    Invoice prev = ctx.previous();
    if (prev != null && NEXT.containsKey(prev.getStatus()) && !NEXT.get(prev.getStatus()).contains(status)) {
      ctx.report(REGRESSION, "status", status, "one of " + NEXT.get(prev.getStatus()),
          "status cannot go from " + prev.getStatus() + " to " + status);
    }
    boolean newlyVoided = "VOIDED".equals(status) && (prev == null || !"VOIDED".equals(prev.getStatus()));
    if (newlyVoided && InvoiceTypes.isElectronic(inv.getInvoiceType())) {
      ctx.report(ELECTRONIC_VOID, "status", status, "RED_FLUSHED or PARTIALLY_RED_FLUSHED",
          "electronic invoices (" + inv.getInvoiceType() + ") are never voided, only red-flushed");
    } else if (newlyVoided && InvoiceTypes.isPaper(inv.getInvoiceType()) && inv.getIssueDate() != null && (prev != null || ctx.creation())) {
      // judged when the void is seen happening; a read of an invoice already voided (an initial snapshot, a history load, an
      // import of the platform's files) does not say when it was voided, only that it is
      if (inv.getIssueDate().getYear() != ctx.today().getYear() || inv.getIssueDate().getMonth() != ctx.today().getMonth()) {
        ctx.report(PAPER_VOID_MONTH, "status", status, "voided in " + inv.getIssueDate().getYear() + "-" + inv.getIssueDate().getMonthValue(),
            "a paper invoice may be voided only in its month of issue");
      }
    }
  }
}
