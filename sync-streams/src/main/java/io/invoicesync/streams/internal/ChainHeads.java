package io.invoicesync.streams.internal;

import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditCheckpoint;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The heads of one task's audit chains and their checkpoints. Each invoice's head is in a store of
 * its own: the projector's and the decoder's entries then move only this small record, not the
 * invoice's whole state (whose changelog record is ~10x larger). Authoritative;
 * {@link StoreEntry#auditHead()} is a fallback for state written before this store existed.
 * Periodically a checkpoint commits to every head of the task (a Merkle root), so a deleted chain or
 * a truncated audit topic is detectable; entries are recorded after the last checkpoint's time, so a
 * checkpoint covers exactly the entries with recordedAt at or before its time.
 */
final class ChainHeads {

  /** Key of the last checkpoint's floor in the heads store (no invoice id starts with a NUL). */
  static final String FLOOR_KEY = "\u0000checkpoint-floor";

  private final ProcessorContext<String, Object> context;
  private final KeyValueStore<String, String> heads;
  private final String checkpointSink;
  private final InvoiceSyncProcessor.Checkpoints checkpoints;
  private long recordedFloor;

  ChainHeads(ProcessorContext<String, Object> context, KeyValueStore<String, String> heads, String checkpointSink,
             InvoiceSyncProcessor.Checkpoints checkpoints) {
    this.context = context;
    this.heads = heads;
    this.checkpointSink = checkpointSink;
    this.checkpoints = checkpoints;
    String floor = heads.get(FLOOR_KEY);
    this.recordedFloor = floor == null ? 0 : Long.parseLong(floor); // survives restarts, rebalances and a clock behind
    if (!checkpoints.interval().isZero()) {
      context.schedule(checkpoints.interval(), PunctuationType.WALL_CLOCK_TIME, this::checkpoint);
    }
  }

  /** The time an audit entry is recorded at: now, but never at or before the last checkpoint. */
  Instant now() {
    return Instant.ofEpochMilli(Math.max(context.currentSystemTimeMs(), recordedFloor));
  }

  /** The hash of the invoice's newest audit entry, or null before its first; {@code legacy} is read only when the store has none. */
  String head(String id, Supplier<StoreEntry> legacy) {
    String h = heads.get(id);
    if (h != null) {
      return h;
    }
    StoreEntry entry = legacy.get();
    return entry == null ? null : entry.auditHead();
  }

  /** Makes {@code hash} the invoice's chain head. */
  void moveTo(String id, String hash) {
    heads.put(id, hash);
  }

  /** Commits to every chain head of this task (a Merkle root). */
  private void checkpoint(long wallClock) {
    long at = Math.max(wallClock, recordedFloor);
    Map<String, String> all = new HashMap<>();
    try (KeyValueIterator<String, String> it = heads.all()) {
      while (it.hasNext()) {
        KeyValue<String, String> kv = it.next();
        if (kv.value != null && !kv.key.equals(FLOOR_KEY)) {
          all.put(kv.key, kv.value);
        }
      }
    }
    int partition = context.taskId().partition();
    AuditCheckpoint cp = AuditCheckpoint.newBuilder().setPartition(partition).setPartitions(checkpoints.inputPartitions())
        .setCheckpointAt(Instant.ofEpochMilli(at)).setChains(all.size()).setRoot(AuditChain.merkleRoot(all)).build();
    if (checkpoints.key() != null) {
      AuditChain.sign(cp, checkpoints.key());
    }
    context.forward(new Record<>("partition-" + partition, (Object) cp, at), checkpointSink);
    recordedFloor = at + 1;
    heads.put(FLOOR_KEY, Long.toString(recordedFloor));
  }
}
