package io.invoicesync.ingest.internal;

import io.debezium.connector.SnapshotRecord;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How Debezium read a row: streamed from the WAL, by a snapshot of the table, or by an incremental
 * snapshot that {@code invoice-sync resync} requested. Told by the {@code snapshot} field of the
 * event's source block, where Debezium writes a {@link SnapshotRecord} in lower case.
 */
public enum Read {
  /** Streamed from the WAL: an insert, update or delete as it was committed. */
  STREAM,
  /** Read by the initial snapshot, or by a new one after the stored position could no longer be read. */
  SNAPSHOT,
  /** Read by an incremental snapshot, which {@code invoice-sync resync} requests through a signal. */
  RESYNC,
  /**
   * Read by an incremental snapshot that {@code invoice-sync history load} requested (its signal's id,
   * which Debezium keeps in the offsets as the snapshot's correlation id, starts with {@value #HISTORY_SIGNAL}):
   * a first load, judged like the initial snapshot's reads, so an invoice already in the store is not applied again.
   */
  HISTORY;

  /** The id prefix of the signals that start a history load. */
  public static final String HISTORY_SIGNAL = "history-";
  /** Debezium's offset key holding the running incremental snapshot's signal id. */
  public static final String CORRELATION_ID = "incremental_snapshot_correlation_id";

  /** Whether an incremental snapshot read with this source offset belongs to a history load (not a resync). */
  public static boolean isHistory(Map<String, ?> sourceOffset) {
    Object id = sourceOffset == null ? null : sourceOffset.get(CORRELATION_ID);
    return id != null && id.toString().startsWith(HISTORY_SIGNAL);
  }

  private static final Map<String, SnapshotRecord> BY_CODE = Arrays.stream(SnapshotRecord.values())
      .collect(Collectors.toUnmodifiableMap(r -> r.name().toLowerCase(Locale.ROOT), Function.identity()));

  /**
   * @param snapshot the source block's {@code snapshot} value; null when the event has none (streamed)
   */
  public static Read fromSnapshotField(String snapshot) {
    if (snapshot == null) {
      return STREAM;
    }
    SnapshotRecord record = BY_CODE.get(snapshot);
    if (record == null) {
      return SNAPSHOT; // a marker this Debezium version does not name: still not "false", so a snapshot read
    }
    return switch (record) {
      case FALSE -> STREAM;
      case INCREMENTAL -> RESYNC;
      default -> SNAPSHOT; // TRUE, FIRST, LAST and the per-table first and last: where in the initial snapshot the row was
    };
  }

  /** Whether the position published for the row says it was read by a snapshot rather than streamed. */
  public boolean isSnapshot() {
    return switch (this) {
      case STREAM -> false;
      case SNAPSHOT, RESYNC, HISTORY -> true;
    };
  }
}
