package io.invoicesync.ingest.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.connector.SnapshotRecord;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How a row was read, from the {@code snapshot} field Debezium writes in an event's source block. */
class ReadTest {

  @Test
  void shouldTakeAnEventWithoutSnapshotFieldOrWithFalseAsStreamed() {
    assertThat(Read.fromSnapshotField(null)).isEqualTo(Read.STREAM);
    assertThat(Read.fromSnapshotField(code(SnapshotRecord.FALSE))).isEqualTo(Read.STREAM);
  }

  @Test
  void shouldTakeAnIncrementalSnapshotReadAsAResync() {
    assertThat(Read.fromSnapshotField(code(SnapshotRecord.INCREMENTAL))).isEqualTo(Read.RESYNC);
  }

  @Test
  void shouldTakeEveryOtherMarkerOfDebeziumAsASnapshotRead() {
    for (SnapshotRecord record : SnapshotRecord.values()) {
      if (!Set.of(SnapshotRecord.FALSE, SnapshotRecord.INCREMENTAL).contains(record)) {
        assertThat(Read.fromSnapshotField(code(record))).as(code(record)).isEqualTo(Read.SNAPSHOT);
      }
    }
  }

  @Test
  void shouldTakeAMarkerItDoesNotKnowAsASnapshotRead() {
    assertThat(Read.fromSnapshotField("some_future_marker")).isEqualTo(Read.SNAPSHOT);
  }

  @Test
  void shouldSayOnlyStreamedRowsAreNotSnapshotReads() {
    assertThat(Read.STREAM.isSnapshot()).isFalse();
    assertThat(Read.SNAPSHOT.isSnapshot()).isTrue();
    assertThat(Read.RESYNC.isSnapshot()).isTrue();
  }

  /** As Debezium writes it into the source block. */
  private static String code(SnapshotRecord record) {
    return record.name().toLowerCase(Locale.ROOT);
  }
}
