package io.invoicesync.api.internal;

import io.invoicesync.outcomes.Outcome;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;

/**
 * The parameters of {@code GET /api/v1/invoices}, checked: a search of visible invoices (by parties,
 * issue dates, status, printed number, grand total), or, with {@code outcome} other than VISIBLE, of
 * invoices by the outcome recorder's verdict. Null fields are not applied; {@code cursor} is the
 * opaque cursor as given (its kind depends on the search: {@link Cursors}).
 */
public record InvoiceSearch(String sellerTaxId, String buyerTaxId, LocalDate from, LocalDate to, String status, String invoiceNumber,
                            String invoiceCode, BigDecimal minAmount, BigDecimal maxAmount, Outcome outcome, int limit, String cursor) {

  static final List<String> STATUSES = List.of("ISSUED", "VOIDED", "RED_FLUSHED", "PARTIALLY_RED_FLUSHED");
  /** The parameters, as the route table (and the OpenAPI document) declares them. */
  static final List<RouteTable.Param> PARAMETERS = List.of(
      RouteTable.Param.text("sellerTaxId", "the seller's taxpayer id; without it and buyerTaxId, every invoice of the token's taxpayers"),
      RouteTable.Param.text("buyerTaxId", "the buyer's taxpayer id"),
      RouteTable.Param.date("from", "issued on or after this date (yyyy-MM-dd)"),
      RouteTable.Param.date("to", "issued on or before this date (yyyy-MM-dd)"),
      RouteTable.Param.oneOf("status", STATUSES, "the invoice's status"),
      RouteTable.Param.integer("limit", "items per page (api.default.limit when absent, at most api.max.limit)"),
      RouteTable.Param.text("cursor", "the nextCursor of the previous page, as it is"),
      RouteTable.Param.text("invoiceNumber", "8 digits (with invoiceCode) or a 20-digit 数电票 number; when nothing with it is visible, "
          + "notVisible says where each invoice carrying it is"),
      RouteTable.Param.text("invoiceCode", "10 or 12 digits, with invoiceNumber"),
      RouteTable.Param.decimal("minAmount", "grand total (价税合计) at least"),
      RouteTable.Param.decimal("maxAmount", "grand total at most"),
      RouteTable.Param.oneOf("outcome", Outcome.RECORDED.stream().map(Enum::name).toList(),
          "VISIBLE (the default) searches visible invoices; REJECTED, DEAD_LETTERED or IN_FLIGHT the outcome recorder's verdicts"));
  static final Set<String> PARAMS = RouteTable.names(PARAMETERS);
  /** What the outcome recorder does not keep of an invoice, so a search by outcome cannot filter by it. */
  private static final List<String> VISIBLE_ONLY = List.of("buyerTaxId", "from", "to", "status", "minAmount", "maxAmount");

  /** Reads and checks the parameters, in a fixed order: the first wrong one is named. */
  public static InvoiceSearch parse(QueryParams q, QueryParams.Limits limits) {
    q.only(PARAMS, "search");
    String status = q.raw("status");
    if (status != null && !STATUSES.contains(status)) {
      throw ProblemException.badParameter("status", status, "must be one of " + STATUSES);
    }
    LocalDate from = q.date("from");
    LocalDate to = q.date("to");
    QueryParams.ordered(from, to);
    int limit = q.limit(limits);
    String number = q.text("invoiceNumber");
    String code = q.text("invoiceCode");
    if (number != null && !number.matches("\\d{8}|\\d{20}")) {
      throw ProblemException.badParameter("invoiceNumber", number, "must be 8 digits (with invoiceCode) or a 20-digit 数电票 number");
    }
    if (code != null && !code.matches("\\d{10}|\\d{12}")) {
      throw ProblemException.badParameter("invoiceCode", code, "must be 10 or 12 digits");
    }
    if (code != null && number == null) {
      throw ProblemException.badParameter("invoiceCode", code, "needs invoiceNumber");
    }
    BigDecimal minAmount = q.amount("minAmount");
    BigDecimal maxAmount = q.amount("maxAmount");
    if (minAmount != null && maxAmount != null && minAmount.compareTo(maxAmount) > 0) {
      throw ProblemException.badParameter("minAmount", minAmount.toPlainString(), "is above 'maxAmount' (" + maxAmount.toPlainString() + ")");
    }
    Outcome outcome = outcome(q.text("outcome"));
    if (outcome != null && outcome != Outcome.VISIBLE) {
      for (String p : VISIBLE_ONLY) {
        if (q.text(p) != null) {
          throw ProblemException.badParameter(p, q.raw(p), "cannot be combined with outcome=" + outcome
              + " (invoices not visible are searched by sellerTaxId, invoiceNumber and invoiceCode)");
        }
      }
    }
    return new InvoiceSearch(q.text("sellerTaxId"), q.text("buyerTaxId"), from, to, status, number, code, minAmount, maxAmount, outcome,
        limit, q.raw("cursor"));
  }

  private static Outcome outcome(String v) {
    if (v == null) {
      return null;
    }
    for (Outcome o : Outcome.RECORDED) {
      if (o.name().equals(v)) {
        return o;
      }
    }
    throw ProblemException.badParameter("outcome", v, "must be one of " + Outcome.RECORDED);
  }

  /** A search of invoices the outcome recorder holds as REJECTED, DEAD_LETTERED or IN_FLIGHT, not of visible ones. */
  public boolean byOutcome() {
    return outcome != null && outcome != Outcome.VISIBLE;
  }

  /** A first page of a search by printed number: when it finds nothing visible, the answer says where invoices with it are. */
  public boolean firstPageByNumber() {
    return invoiceNumber != null && (cursor == null || cursor.isBlank());
  }
}
