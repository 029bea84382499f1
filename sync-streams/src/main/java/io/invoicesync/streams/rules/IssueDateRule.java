package io.invoicesync.streams.rules;

import java.time.LocalDate;

/**
 * {@code ISSUE_DATE_IN_FUTURE} (after the day the change was committed) and {@code ISSUE_DATE_TOO_OLD}
 * (older than the configured age, 5 years by default, when the invoice is created: a void or
 * red-flush of an old invoice, or a re-read of it, is not issuing it again).
 */
public final class IssueDateRule implements InvoiceRule {

  public static final String FUTURE = "ISSUE_DATE_IN_FUTURE";
  public static final String TOO_OLD = "ISSUE_DATE_TOO_OLD";

  @Override
  public void check(ValidationContext ctx) {
    LocalDate date = ctx.invoice().getIssueDate();
    if (date == null) {
      return;
    }
    if (date.isAfter(ctx.today())) {
      ctx.report(FUTURE, "issueDate", date, "on or before " + ctx.today(), "issue date is in the future");
    }
    LocalDate oldest = ctx.today().minus(ctx.rules().maxIssueAge());
    if (ctx.creation() && date.isBefore(oldest)) {
      ctx.report(TOO_OLD, "issueDate", date, "on or after " + oldest, "issue date is older than " + ctx.rules().maxIssueAge());
    }
  }
}
