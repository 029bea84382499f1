package io.invoicesync.api.internal;

import java.time.LocalDate;
import java.util.Set;

/**
 * The parameters of {@code GET /api/v1/rejections}, checked. Null fields are not applied;
 * {@code from}/{@code to} bound the rejection date (UTC); {@code after} is the page's position.
 */
public record RejectionSearch(String sellerTaxId, String buyerTaxId, String code, LocalDate from, LocalDate to, String invoiceNumber,
                              Cursors.TimeKey after, int limit) {

  static final Set<String> PARAMS = Set.of("sellerTaxId", "buyerTaxId", "code", "from", "to", "invoiceNumber", "limit", "cursor", "lang");

  /** Reads and checks the parameters, in a fixed order: the first wrong one is named. */
  public static RejectionSearch parse(QueryParams q, QueryParams.Limits limits) {
    q.only(PARAMS, "rejection search");
    LocalDate from = q.date("from");
    LocalDate to = q.date("to");
    QueryParams.ordered(from, to);
    String code = q.text("code");
    if (code != null && !code.matches("[A-Z][A-Z0-9_]*")) {
      throw ProblemException.badParameter("code", code, "must be a rule code in UPPER_SNAKE, e.g. GRAND_TOTAL_MISMATCH");
    }
    Cursors.TimeKey after = Cursors.decodeTime(q.raw("cursor"));
    return new RejectionSearch(q.text("sellerTaxId"), q.text("buyerTaxId"), code, from, to, q.text("invoiceNumber"), after, q.limit(limits));
  }
}
