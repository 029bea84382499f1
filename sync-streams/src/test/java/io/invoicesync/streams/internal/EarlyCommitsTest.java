package io.invoicesync.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.streams.internal.avro.RedLedgerMessage;
import io.invoicesync.streams.internal.avro.RedVerdict;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

class EarlyCommitsTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();

  @Test
  void aFreshRecordCommitsAtOnceAnOldOneWaitsForTheInterval() {
    EarlyCommits early = new EarlyCommits(40, 100, 500, now::get);
    early.request(context, now.get() - 100);
    assertThat(context.committed()).as("written 100 ms ago: keeping up").isTrue();
    context.resetCommit();
    now.addAndGet(1_000);
    early.request(context, now.get() - 101);
    assertThat(context.committed()).as("written 101 ms ago: a backlog, commit.interval.ms commits").isFalse();
  }

  @Test
  void atMostOneRequestPerInterval() {
    EarlyCommits early = new EarlyCommits(40, 100, 500, now::get);
    early.request(context, now.get());
    context.resetCommit();
    now.addAndGet(39);
    early.request(context, now.get());
    assertThat(context.committed()).as("39 ms after the last request").isFalse();
    now.addAndGet(1);
    early.request(context, now.get());
    assertThat(context.committed()).as("40 ms after it").isTrue();
  }

  @Test
  void noneAboveTheRateAgainOnceItFalls() {
    EarlyCommits early = new EarlyCommits(0, 100, 500, now::get);
    for (int i = 0; i < 600; i++) { // 600 decisions in one second
      early.request(context, now.get());
      now.addAndGet(1);
    }
    now.addAndGet(400);
    context.resetCommit();
    early.request(context, now.get()); // closes the window: 601 per second
    assertThat(context.committed()).as("601 decisions in the last second").isFalse();
    now.addAndGet(1_000);
    early.request(context, now.get()); // closes the next one: 1 per second
    assertThat(context.committed()).as("1 in the last second").isTrue();
  }

  @Test
  void offNeverRequests() {
    new EarlyCommits(-1, 100, 500, now::get).request(context, now.get());
    assertThat(context.committed()).isFalse();
  }

  @Test
  void theLedgerAsksForACommitWhenItAnswersARedInvoiceOnlyThen() {
    MockProcessorContext<String, RedVerdict> ctx = new MockProcessorContext<>();
    ctx.setCurrentSystemTimeMs(now.get());
    KeyValueStore<String, ?> ledger = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("red-ledger"), Serdes.String(),
        InternalAvroSerde.of(io.invoicesync.streams.internal.avro.RedLedgerEntry.class)).withLoggingDisabled().build();
    KeyValueStore<String, String> deadlines = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("red-deadlines"), Serdes.String(),
        Serdes.String()).withLoggingDisabled().build();
    ledger.init(ctx.getStateStoreContext(), ledger);
    deadlines.init(ctx.getStateStoreContext(), deadlines);
    ctx.addStateStore(ledger);
    ctx.addStateStore(deadlines);
    RedLetterLedger processor = new RedLetterLedger("red-ledger", "red-deadlines", Duration.ofSeconds(1),
        new EarlyCommits(0, 100, 500, now::get));
    processor.init(ctx);

    processor.process(new Record<>("044001|00000001", message("BLUE", "blue-1", "100.00"), now.get()));
    assertThat(ctx.committed()).as("a blue invoice registered: nobody waits for it").isFalse();
    processor.process(new Record<>("044001|00000001", message("RED", "red-1", "-40.00"), now.get()));
    assertThat(ctx.forwarded()).hasSize(1);
    assertThat(ctx.committed()).as("red-1's verdict: its task reads it once this commits").isTrue();
    ctx.resetCommit();
    processor.process(new Record<>("044001|00000002", message("RED", "red-2", "-10.00"), now.get()));
    assertThat(ctx.forwarded()).as("red-2's blue invoice is unknown: it waits").hasSize(1);
    assertThat(ctx.committed()).isFalse();
  }

  private RedLedgerMessage message(String kind, String id, String amount) {
    return RedLedgerMessage.newBuilder().setKind(kind).setInvoiceId(id).setTotalAmount(new BigDecimal(amount))
        .setTotalTax(new BigDecimal(amount).movePointLeft(1).setScale(2)).setStatus("ISSUED").setLsn(1L)
        .setDeadline(now.get() + 60_000).build();
  }
}
