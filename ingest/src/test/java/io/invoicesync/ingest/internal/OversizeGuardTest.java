package io.invoicesync.ingest.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.testkit.InvoiceFixtures;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

class OversizeGuardTest {

  static final int MAX = 64 * 1024;
  final Serializer<InvoiceChange> serializer = SerdeFactory.registryLess().valueSerde(InvoiceChange.class).serializer();
  final OversizeGuard guard = new OversizeGuard(serializer, "invoices.captured", MAX);

  @Test
  void shouldCarryAChangeThatFitsWhole() {
    InvoiceChange change = InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("fits", 300), 100);
    assertThat(serializer.serialize("invoices.captured", change).length).as("a change of many lines, under the limit").isBetween(MAX / 4, MAX);

    assertThat(guard.guard(change)).isSameAs(change);
  }

  @Test
  void shouldSendALargerChangeWithoutItsLinesSayingHowManyAndHowLarge() {
    InvoiceChange change = InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("too-big", 2_000), 100);
    int size = serializer.serialize("invoices.captured", change).length;
    assertThat(size).isGreaterThan(MAX);

    InvoiceChange sent = guard.guard(change);

    assertThat(sent.getLinesIncluded()).isFalse();
    assertThat(sent.getAfter().getLines()).isEmpty();
    assertThat(sent.getLinesOmitted()).isEqualTo("2000 lines, " + size + " bytes serialized; ingest.max.change.bytes is " + MAX);
    assertThat(sent.getAfter().getGrandTotal()).isEqualTo(change.getAfter().getGrandTotal());
    assertThat(sent.getSource()).isEqualTo(change.getSource());
    assertThat(serializer.serialize("invoices.captured", sent).length).isLessThan(MAX);
  }
}
