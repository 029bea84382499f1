package io.invoicesync.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.outcomes.Outcome;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class InvoiceSearchTest {

  static final QueryParams.Limits LIMITS = new QueryParams.Limits(50, 500);

  /** Parameters as a query string gives them, in order: name, value, name, value... */
  static QueryParams params(String... nameValue) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (int i = 0; i < nameValue.length; i += 2) {
      m.computeIfAbsent(nameValue[i], k -> new ArrayList<>()).add(nameValue[i + 1]);
    }
    return new QueryParams(m);
  }

  static void assertNames(ThrowingCallable call, String parameter, String reason) {
    assertThatThrownBy(call).isInstanceOfSatisfying(ProblemException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.invalidParams()).singleElement().satisfies(p -> {
        assertThat(p.get("name")).isEqualTo(parameter);
        assertThat(p.get("reason")).contains(reason);
      });
      assertThat(e.getMessage()).startsWith("parameter '" + parameter + "' ");
    });
  }

  @Test
  void shouldReadEveryFilterAsItsType() {
    InvoiceSearch s = InvoiceSearch.parse(params("sellerTaxId", "91440300MA5ETUPW89", "from", "2026-11-01", "to", "2026-11-30",
        "status", "ISSUED", "minAmount", "1130.00", "maxAmount", "2000", "limit", "2", "buyerTaxId", " "), LIMITS);

    assertThat(s.sellerTaxId()).isEqualTo("91440300MA5ETUPW89");
    assertThat(s.buyerTaxId()).as("blank is no filter").isNull();
    assertThat(s.from()).isEqualTo(LocalDate.of(2026, 11, 1));
    assertThat(s.to()).isEqualTo(LocalDate.of(2026, 11, 30));
    assertThat(s.minAmount()).isEqualTo(new BigDecimal("1130.00"));
    assertThat(s.limit()).isEqualTo(2);
    assertThat(s.byOutcome()).isFalse();
    assertThat(InvoiceSearch.parse(params(), LIMITS).limit()).as("the default").isEqualTo(50);
  }

  @Test
  void shouldNameTheParameterThatIsWrong() {
    assertNames(() -> InvoiceSearch.parse(params("sellerId", "1"), LIMITS), "sellerId", "is not a search parameter (use one of [");
    assertNames(() -> InvoiceSearch.parse(params("status", "PAID"), LIMITS), "status",
        "must be one of [ISSUED, VOIDED, RED_FLUSHED, PARTIALLY_RED_FLUSHED]");
    assertNames(() -> InvoiceSearch.parse(params("from", "2026-13-01"), LIMITS), "from", "must be an ISO date");
    assertNames(() -> InvoiceSearch.parse(params("from", "2026-11-05", "to", "2026-11-03"), LIMITS), "from", "is after 'to' (2026-11-03)");
    assertNames(() -> InvoiceSearch.parse(params("limit", "0"), LIMITS), "limit", "must be between 1 and 500");
    assertNames(() -> InvoiceSearch.parse(params("limit", "many"), LIMITS), "limit", "must be an integer between 1 and 500");
    assertNames(() -> InvoiceSearch.parse(params("invoiceNumber", "123"), LIMITS), "invoiceNumber", "must be 8 digits");
    assertNames(() -> InvoiceSearch.parse(params("invoiceCode", "044001900111"), LIMITS), "invoiceCode", "needs invoiceNumber");
    assertNames(() -> InvoiceSearch.parse(params("minAmount", "lots"), LIMITS), "minAmount", "must be a decimal amount");
    assertNames(() -> InvoiceSearch.parse(params("minAmount", "2", "maxAmount", "1"), LIMITS), "minAmount", "is above 'maxAmount' (1)");
    assertNames(() -> InvoiceSearch.parse(params("outcome", "UNKNOWN"), LIMITS), "outcome",
        "must be one of [VISIBLE, REJECTED, DEAD_LETTERED, IN_FLIGHT]");
  }

  @Test
  void shouldNameTheFirstWrongParameterInAFixedOrder() {
    // status is checked before the dates, the dates before limit (whatever the order of the query string)
    assertNames(() -> InvoiceSearch.parse(params("limit", "0", "from", "x", "status", "PAID"), LIMITS), "status", "must be one of");
    assertNames(() -> InvoiceSearch.parse(params("limit", "0", "from", "x"), LIMITS), "from", "must be an ISO date");
    // an unknown parameter before everything, the first one given named
    assertNames(() -> InvoiceSearch.parse(params("status", "PAID", "zz", "1", "aa", "2"), LIMITS), "zz", "is not a search parameter");
  }

  @Test
  void shouldSearchByOutcomeOnlyWithWhatTheRecorderKeeps() {
    InvoiceSearch s = InvoiceSearch.parse(params("outcome", "REJECTED", "sellerTaxId", "91440300MA5ETUPW89", "cursor", "abc"), LIMITS);
    assertThat(s.outcome()).isEqualTo(Outcome.REJECTED);
    assertThat(s.byOutcome()).isTrue();
    assertThat(s.cursor()).isEqualTo("abc");
    assertThat(InvoiceSearch.parse(params("outcome", "VISIBLE"), LIMITS).byOutcome()).as("VISIBLE is a search of the store").isFalse();

    for (String p : Arrays.asList("buyerTaxId", "from", "to", "status", "minAmount", "maxAmount")) {
      String value = p.equals("status") ? "ISSUED" : p.endsWith("Amount") ? "1" : p.equals("buyerTaxId") ? "91310000MA1FL4XQ3A" : "2026-11-01";
      assertNames(() -> InvoiceSearch.parse(params("outcome", "IN_FLIGHT", p, value), LIMITS), p, "cannot be combined with outcome=IN_FLIGHT");
    }
  }

  @Test
  void shouldExplainNotVisibleInvoicesOnlyOnTheFirstPageOfANumberSearch() {
    assertThat(InvoiceSearch.parse(params("invoiceNumber", "26442000000000000777"), LIMITS).firstPageByNumber()).isTrue();
    assertThat(InvoiceSearch.parse(params("invoiceNumber", "26442000000000000777", "cursor", "x"), LIMITS).firstPageByNumber()).isFalse();
    assertThat(InvoiceSearch.parse(params("sellerTaxId", "x"), LIMITS).firstPageByNumber()).isFalse();
  }

  @Test
  void shouldCheckARejectionSearchAndDecodeItsCursorBeforeItsLimit() {
    RejectionSearch s = RejectionSearch.parse(params("code", "GRAND_TOTAL_MISMATCH", "from", "2026-11-01", "lang", "zh"), LIMITS);
    assertThat(s.code()).isEqualTo("GRAND_TOTAL_MISMATCH");
    assertThat(s.after()).isNull();

    assertNames(() -> RejectionSearch.parse(params("code", "grand total"), LIMITS), "code", "must be a rule code in UPPER_SNAKE");
    assertNames(() -> RejectionSearch.parse(params("status", "ISSUED"), LIMITS), "status", "is not a rejection search parameter");
    assertNames(() -> RejectionSearch.parse(params("limit", "0", "cursor", "bm90LWEtY3Vyc29y"), LIMITS), "cursor",
        "is not a cursor returned by this endpoint");
  }
}
