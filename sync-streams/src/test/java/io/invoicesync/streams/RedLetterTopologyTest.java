package io.invoicesync.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Violation;
import io.invoicesync.testkit.InvoiceFixtures;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Red-letter invoices against their blue ones: the cross-invoice rules of DOMAIN.md. */
class RedLetterTopologyTest {

  static final Duration WAIT = Duration.ofMinutes(5);
  private final SerdeFactory serdes = SerdeFactory.registryLess();
  private long lsn = 100;

  private SyncDriver sync;

  @BeforeEach
  void setUp() {
    sync = new SyncDriver(Map.of(SyncStreamsConfig.RED_WAIT_MS, WAIT.toMillis(), SyncStreamsConfig.RED_CHECK_INTERVAL_MS, 1000L));
  }

  @AfterEach
  void tearDown() {
    sync.close();
  }

  private void create(Invoice inv) {
    sync.captured.pipeInput(inv.getId(), InvoiceFixtures.created(inv, lsn += 10));
  }

  private List<String> syncedIds() {
    return sync.synced.readValuesToList().stream().map(s -> s.getInvoice().getId()).toList();
  }

  @Test
  void shouldSyncARedInvoiceThatFullyReversesItsBlueOne() {
    Invoice blue = InvoiceFixtures.digitalInvoice("blue-1", 3);
    create(blue);

    create(InvoiceFixtures.redOf(blue, "red-1", 3));

    assertThat(syncedIds()).containsExactly("blue-1", "red-1");
    assertThat(sync.rejected.isEmpty()).isTrue();
  }

  @Test
  void shouldAcceptPartialRedFlushesThatAddUpExactlyToTheBlueTotalsAndRejectOneCentOver() {
    Invoice blue = InvoiceFixtures.digitalInvoice("blue-2", 2);
    create(blue);
    Invoice firstLine = InvoiceFixtures.redOf(blue, "red-2a", 1);
    Invoice secondLine = InvoiceFixtures.redOf(Invoice.newBuilder(blue).setLines(List.of(blue.getLines().get(1))).build(), "red-2b", 1);
    create(firstLine);
    create(secondLine); // the two together reverse the blue invoice exactly

    Invoice oneCentOver = InvoiceFixtures.redOf(blue, "red-2c", 1);
    oneCentOver.getLines().get(0).setAmount(new BigDecimal("-0.01"));
    oneCentOver.getLines().get(0).setQuantity(new BigDecimal("-1.00000000"));
    oneCentOver.getLines().get(0).setUnitPrice(new BigDecimal("0.01000000"));
    oneCentOver.getLines().get(0).setTaxAmount(new BigDecimal("0.00"));
    oneCentOver.setTotalAmount(new BigDecimal("-0.01"));
    oneCentOver.setTotalTax(new BigDecimal("0.00"));
    oneCentOver.setGrandTotal(new BigDecimal("-0.01"));
    create(oneCentOver);

    assertThat(syncedIds()).containsExactly("blue-2", "red-2a", "red-2b");
    InvoiceRejected r = sync.rejected.readValue();
    assertThat(r.getInvoiceId()).isEqualTo("red-2c");
    Violation v = r.getViolations().get(0);
    assertThat(v.getCode()).isEqualTo("RED_EXCEEDS_BLUE");
    assertThat(v.getField()).isEqualTo("totalAmount");
    assertThat(v.getValue()).isEqualTo("-0.01");
    assertThat(v.getExpected()).startsWith("at most 0.00");
  }

  @Test
  void shouldLetARedInvoiceWaitForItsBlueOneAndPassWhenItArrives() {
    Invoice blue = InvoiceFixtures.digitalInvoice("blue-3", 2);
    Invoice red = InvoiceFixtures.redOf(blue, "red-3", 2);

    create(red);
    assertThat(sync.synced.isEmpty()).as("the red invoice waits").isTrue();
    assertThat(sync.rejected.isEmpty()).isTrue();
    sync.driver.advanceWallClockTime(WAIT.minusSeconds(10));
    create(blue);

    assertThat(syncedIds()).containsExactly("blue-3", "red-3");
    sync.driver.advanceWallClockTime(Duration.ofMinutes(10));
    assertThat(sync.rejected.isEmpty()).as("no late timeout once decided").isTrue();
  }

  @Test
  void shouldRejectARedInvoiceWhoseBlueOneNeverArrives() {
    Invoice red = InvoiceFixtures.redOf(InvoiceFixtures.digitalInvoice("blue-4", 1), "red-4", 1);
    create(red);

    sync.driver.advanceWallClockTime(WAIT.plusSeconds(2));

    InvoiceRejected r = sync.rejected.readValue();
    assertThat(r.getInvoiceId()).isEqualTo("red-4");
    assertThat(r.getViolations()).extracting(Violation::getCode).containsExactly("RED_ORIGINAL_MISSING");
    assertThat(sync.synced.isEmpty()).isTrue();
  }

  @Test
  void shouldRejectARedInvoiceOfAVoidedBlueOne() {
    Invoice blue = InvoiceFixtures.digitalInvoice("blue-5", 1);
    blue.setInvoiceType("GENERAL_PAPER");
    blue.setInvoiceCode("4403261301");
    blue.setInvoiceNumber("00000005");
    create(blue);
    sync.captured.pipeInput("blue-5", InvoiceFixtures.statusChanged(blue, "VOIDED", lsn += 10));

    create(InvoiceFixtures.redOf(blue, "red-5", 1));

    assertThat(sync.rejected.readValue().getViolations()).extracting(Violation::getCode).containsExactly("RED_ORIGINAL_VOIDED");
  }

  @Test
  void shouldKeepLaterChangesOfARedInvoiceBehindItsVerdict() {
    Invoice blue = InvoiceFixtures.digitalInvoice("blue-6", 1);
    Invoice red = InvoiceFixtures.redOf(blue, "red-6", 1);
    create(red);
    sync.captured.pipeInput("red-6", InvoiceFixtures.statusChanged(red, "RED_FLUSHED", lsn += 10)); // parked

    create(blue);

    List<InvoiceState> states = sync.synced.readValuesToList();
    assertThat(states).extracting(s -> s.getInvoice().getId() + ":" + s.getVersion() + ":" + s.getInvoice().getStatus())
        .containsExactly("blue-6:1:ISSUED", "red-6:1:ISSUED", "red-6:2:RED_FLUSHED");
  }
}
