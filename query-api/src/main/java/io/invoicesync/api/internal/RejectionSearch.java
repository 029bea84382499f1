package io.invoicesync.api.internal;

import java.time.LocalDate;
import java.util.Set;

/**
 * The parameters of {@code GET /api/v1/rejections}, checked. Null fields are not applied;
 * {@code from}/{@code to} bound the rejection date (UTC); {@code after} is the page's position.
 */
public record RejectionSearch(String sellerTaxId, String buyerTaxId, String code, LocalDate from, LocalDate to, String invoiceNumber,
                              Cursors.TimeKey after, int limit) {

  /** The parameters, as the route table (and the OpenAPI document) declares them. */
  static final java.util.List<RouteTable.Param> PARAMETERS = java.util.List.of(
      RouteTable.Param.text("sellerTaxId", "the seller's taxpayer id"),
      RouteTable.Param.text("buyerTaxId", "the buyer's taxpayer id"),
      RouteTable.Param.text("code", "a rule code, e.g. GRAND_TOTAL_MISMATCH"),
      RouteTable.Param.date("from", "rejected on or after this date (UTC)"),
      RouteTable.Param.date("to", "rejected on or before this date (UTC)"),
      RouteTable.Param.text("invoiceNumber", "the invoice's printed number"),
      RouteTable.Param.integer("limit", "items per page"),
      RouteTable.Param.text("cursor", "the nextCursor of the previous page"),
      RouteTable.LANG);
  static final Set<String> PARAMS = RouteTable.names(PARAMETERS);

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
