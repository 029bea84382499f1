package io.invoicesync.streams.rules;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.Violation;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * What a rule sees (the candidate invoice, the invoice as last synced, the day of the change's
 * source commit, whether the change created the invoice) and where it reports.
 */
public final class ValidationContext {

  private final Invoice invoice;
  private final Invoice previous;
  private final LocalDate today;
  private final boolean creation;
  private final ValidationRules rules;
  private final List<Violation> violations = new ArrayList<>();

  public ValidationContext(Invoice invoice, Invoice previous, LocalDate today, boolean creation, ValidationRules rules) {
    this.invoice = invoice;
    this.previous = previous;
    this.today = today;
    this.creation = creation;
    this.rules = rules;
  }

  public Invoice invoice() {
    return invoice;
  }

  /** The invoice as last synced, or null when this is its first version. */
  public Invoice previous() {
    return previous;
  }

  /** The day the change was committed at the source, in the configured zone (never the processing wall clock). */
  public LocalDate today() {
    return today;
  }

  /** True when the change created the invoice (op CREATE), so rules about the act of issuing apply. */
  public boolean creation() {
    return creation;
  }

  public ValidationRules rules() {
    return rules;
  }

  public void report(String code, String field, Object value, String expected, String message) {
    violations.add(Violation.newBuilder().setCode(code).setField(field)
        .setValue(value == null ? null : value.toString()).setExpected(expected).setMessage(message).build());
  }

  public boolean hasViolationOn(String field) {
    return violations.stream().anyMatch(v -> v.getField().equals(field));
  }

  public List<Violation> violations() {
    return violations;
  }
}
