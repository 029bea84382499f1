package io.invoicesync.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.testkit.InvoiceFixtures;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class StoreEntrySerdeTest {

  final SerdeFactory serdes = SerdeFactory.registryLess();
  final Serde<StoreEntry> serde = StoreEntrySerde.create(serdes.valueSerde(InvoiceState.class), serdes.valueSerde(InvoiceChange.class));

  @Test
  void shouldKeepTheEpochOfTheLastPosition() {
    InvoiceState state = InvoiceFixtures.synced(InvoiceFixtures.digitalInvoice("e-1", 2), 3, 700);
    StoreEntry entry = new StoreEntry(state, new StoreEntry.Position(1_750_000_000_001L, 700), "a".repeat(64));

    StoreEntry back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", entry));

    assertThat(back).isEqualTo(entry);
  }

  @Test
  void shouldKeepEachSourcesNewestPosition() {
    InvoiceState state = InvoiceFixtures.synced(InvoiceFixtures.digitalInvoice("e-2", 1), 1, 700);
    StoreEntry entry = new StoreEntry(state, new StoreEntry.Position("platform", 9, 120), "c".repeat(64), List.of(),
        java.util.Map.of("legacy", new StoreEntry.Position("legacy", 3, 5_000), "mirror", new StoreEntry.Position("mirror", 0, 77)));

    StoreEntry back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", entry));

    assertThat(back).isEqualTo(entry);
    assertThat(back.positionOf("legacy")).isEqualTo(new StoreEntry.Position("legacy", 3, 5_000));
    assertThat(back.positionOf("platform")).isEqualTo(back.last());
    assertThat(back.positionOf("other")).isNull();
  }

  @Test
  void shouldReadAnEntryWrittenBeforeEpochsAsEpochZero() {
    // format 1: format byte, LSN, audit head, parked count, no state
    byte[] head = "b".repeat(64).getBytes(StandardCharsets.US_ASCII);
    ByteBuffer v1 = ByteBuffer.allocate(1 + 8 + 2 + head.length + 4).put((byte) 1).putLong(4242).putShort((short) head.length).put(head).putInt(0);

    StoreEntry back = serde.deserializer().deserialize("t", v1.array());

    assertThat(back.last()).isEqualTo(new StoreEntry.Position(0, 4242));
    assertThat(back.auditHead()).isEqualTo("b".repeat(64));
    assertThat(back.parked()).isEqualTo(List.of());
    assertThat(back.state()).isNull();
  }
}
