package io.invoicesync.webhooks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.Violation;
import io.invoicesync.testkit.InvoiceFixtures;
import io.invoicesync.webhooks.Endpoint;
import io.invoicesync.webhooks.EventType;
import io.invoicesync.webhooks.Messages;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The fan-out's matching and its message ids, on rejections (no store read is needed for them). */
class FanOutTest {

  static final String A = "91440300MA5ETUPW89";
  static final String B = "91310000MA1FL4XQ3A";
  static final String C = "91110108551385082Q";

  static Endpoint endpoint(String id, Tenant tenant, Set<EventType> types, String sellerFilter, boolean enabled) {
    return endpoint(id, "https://erp.example.com/" + id, tenant, types, sellerFilter, enabled);
  }

  static Endpoint endpoint(String id, String url, Tenant tenant, Set<EventType> types, String sellerFilter, boolean enabled) {
    Instant t = Instant.parse("2026-12-06T00:00:00Z");
    return new Endpoint(id, url, null, types, sellerFilter, null, null, tenant, "whsec_x", null, null, "api",
        enabled, null, null, t, t);
  }

  static InvoiceRejected rejection(String id, String seller, String buyer, long lsn) {
    Invoice inv = InvoiceFixtures.digitalInvoice(id, 1);
    inv.setSeller(Party.newBuilder(inv.getSeller()).setTaxId(seller).build());
    inv.setBuyer(Party.newBuilder(inv.getBuyer()).setTaxId(buyer).build());
    return InvoiceRejected.newBuilder().setInvoiceId(id).setInvoice(inv).setSource(InvoiceFixtures.position(lsn))
        .setViolations(List.of(Violation.newBuilder().setCode("TOTALS_MISMATCH").setField("grandTotal").setValue("1131.00")
            .setExpected("1130.00").setMessage("grand total is not amount + tax").build()))
        .setRejectedAt(Instant.parse("2026-12-06T09:00:00Z")).build();
  }

  @Test
  void shouldGiveEachEndpointOnlyItsTaxpayersInvoicesOfItsTypes() throws Exception {
    Endpoint sellerA = endpoint("ep_a", Tenant.of(Set.of(A)), Set.of(), null, true);
    Endpoint buyerB = endpoint("ep_b", Tenant.of(Set.of(B)), Set.of(EventType.INVOICE_REJECTED), null, true);
    Endpoint onlyVisible = endpoint("ep_v", Tenant.of(Set.of(A)), Set.of(EventType.INVOICE_VISIBLE), null, true);
    Endpoint operator = endpoint("ep_all", Tenant.ALL, Set.of(), C, true);
    Endpoint disabled = endpoint("ep_off", Tenant.of(Set.of(A)), Set.of(), null, false);
    Endpoint feed = endpoint("ep_feed", null, Tenant.of(Set.of(B)), Set.of(), null, true);
    Endpoint opsOnly = endpoint("ep_ops", Tenant.of(Set.of(A)), Set.of(EventType.SYNC_STALLED), null, true);

    FanOut.Batch batch = FanOut.messages(null, List.of(new FanOut.Rejected(rejection("inv-1", A, B, 10)),
        new FanOut.Rejected(rejection("inv-2", C, C, 11))), List.of(sellerA, buyerB, onlyVisible, operator, disabled, feed, opsOnly));

    assertThat(batch.messages()).extracting(m -> m.endpointId() + ":" + m.invoiceId())
        .containsExactly("ep_a:inv-1", "ep_b:inv-1", "ep_off:inv-1", "ep_feed:inv-1", "ep_all:inv-2");
    assertThat(batch.messages()).extracting(m -> m.endpointId() + ":" + m.initial()).contains("ep_a:PENDING", "ep_off:FAILED", "ep_feed:FEED");
    Messages.New first = batch.messages().get(0);
    assertThat(first.type()).isEqualTo(EventType.INVOICE_REJECTED);
    assertThat(first.orderKey()).isEqualTo("inv-1");
    JsonNode body = FanOut.JSON.readTree(first.body());
    assertThat(body.get("type").asText()).isEqualTo("invoice.rejected");
    assertThat(body.get("data").get("violations").get(0).get("code").asText()).isEqualTo("TOTALS_MISMATCH");
    assertThat(body.get("data").get("trace").asText()).isEqualTo("/api/v1/invoices/inv-1/trace");
  }

  @Test
  void shouldDeriveTheSameMessageIdFromTheSameEventSoAReReadEnqueuesNothingNew() throws Exception {
    Endpoint a = endpoint("ep_a", Tenant.of(Set.of(A)), Set.of(), null, true);
    Endpoint b = endpoint("ep_b", Tenant.of(Set.of(B)), Set.of(), null, true);
    List<Messages.New> once = FanOut.messages(null, List.of(new FanOut.Rejected(rejection("inv-1", A, B, 10))), List.of(a, b)).messages();
    List<Messages.New> again = FanOut.messages(null, List.of(new FanOut.Rejected(rejection("inv-1", A, B, 10))), List.of(a, b)).messages();
    List<Messages.New> later = FanOut.messages(null, List.of(new FanOut.Rejected(rejection("inv-1", A, B, 12))), List.of(a, b)).messages();

    assertThat(once.get(0).id()).isEqualTo(again.get(0).id()).isEqualTo(once.get(1).id()).startsWith("msg_").hasSize(36);
    assertThat(once.get(0).body()).isEqualTo(again.get(0).body());
    assertThat(later.get(0).id()).as("a later rejection of the same invoice is another message").isNotEqualTo(once.get(0).id());
  }
}
