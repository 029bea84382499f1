package io.invoicesync.streams.rules;

/**
 * One validation rule of DOMAIN.md. A rule reports every violation it finds into the context and
 * never throws on malformed input: a missing field is a violation, not an exception.
 */
@FunctionalInterface
public interface InvoiceRule {
  void check(ValidationContext ctx);
}
