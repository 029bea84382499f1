package io.invoicesync.streams.rules;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.Violation;
import java.time.LocalDate;
import java.util.List;

/**
 * The rule set of DOMAIN.md that one invoice (and its own previous version) can show. Used by the
 * topology and by the offline validator alike, so both apply the same rules. Never throws on
 * malformed input: every problem is a {@link Violation}.
 */
public final class InvoiceValidator {

  private final ValidationRules rules;
  private final List<InvoiceRule> ruleSet = List.of(
      new RequiredFieldsRule(), new InvoiceNumberRule(), new TaxIdRule(), new LineArithmeticRule(),
      new TotalsRule(), new IssueDateRule(), new LifecycleRule(), new RedLetterFieldsRule());

  public InvoiceValidator(ValidationRules rules) {
    this.rules = rules;
  }

  /** Every violation of {@code invoice} as if it were being created on {@code today}, given its last synced version (or null). */
  public List<Violation> validate(Invoice invoice, Invoice previous, LocalDate today) {
    return validate(invoice, previous, today, true);
  }

  /**
   * Every violation of {@code invoice}, given its last synced version ({@code previous}, or null).
   * {@code today} is the day of the change's source commit, so a verdict does not depend on when it
   * is computed; rules about the act of issuing (an issue date too old to issue) apply only when
   * {@code creation} is true (the change created the invoice), not to later changes or re-reads.
   */
  public List<Violation> validate(Invoice invoice, Invoice previous, LocalDate today, boolean creation) {
    ValidationContext ctx = new ValidationContext(invoice, previous, today, creation, rules);
    for (InvoiceRule rule : ruleSet) {
      rule.check(ctx);
    }
    return List.copyOf(ctx.violations());
  }

  public ValidationRules rules() {
    return rules;
  }
}
