package io.invoicesync.streams;

import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.streams.internal.InputDecoder;
import io.invoicesync.streams.internal.InvoiceSyncProcessor;
import io.invoicesync.streams.internal.InternalAvroSerde;
import io.invoicesync.streams.internal.EarlyCommits;
import io.invoicesync.streams.internal.RedLetterLedger;
import io.invoicesync.streams.internal.StoreEntrySerde;
import io.invoicesync.streams.internal.avro.RedLedgerEntry;
import io.invoicesync.streams.internal.avro.RedLedgerMessage;
import io.invoicesync.streams.internal.avro.RedVerdict;
import java.time.Duration;
import io.invoicesync.streams.rules.InvoiceValidator;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the sync-streams topology. Pure: no broker, no threads; {@code TopologyTestDriver} runs it
 * as it is.
 *
 * <pre>
 * invoices.captured (bytes) -> decode -+-> sync [store invoice-state] -+-> invoices.synced
 * invoices.projection (bytes) -> decode +     ^                         |   (the projector's decisions, chained into the audit)
 *                                      |     ^                         +-> invoices.rejected
 *                                      |     |                         +-> invoices.audit
 *                                      |     |                         +-> red-ledger (by blue code|number)
 *                                      |  red-verdicts (by red invoice id)            |
 *                                      |     ^                                        v
 *                                      |     +----------- ledger [stores red-ledger, red-deadlines]
 *                                      +-> invoices.captured.dlt (original bytes + provenance headers)
 * </pre>
 * The first sub-topology (captured + red-verdicts, co-partitioned by invoice id) owns the invoice
 * states; the second (red-ledger, by blue invoice) owns what each blue invoice has been red-flushed by.
 */
public final class SyncTopology {

  public static final String STORE = "invoice-state";
  static final String SOURCE = "captured-source";
  static final String DECODE = "decode";
  static final String PROJECTION_SOURCE = "projection-source";
  static final String DECODE_PROJECTION = "decode-projection";
  static final String SYNC = "sync";
  static final String SYNCED_SINK = "synced-sink";
  static final String REJECTED_SINK = "rejected-sink";
  static final String AUDIT_SINK = "audit-sink";
  static final String CHECKPOINT_SINK = "audit-checkpoint-sink";
  static final String DLT_SINK = "captured-dlt-sink";
  static final String LEDGER_SINK = "red-ledger-sink";
  static final String LEDGER_SOURCE = "red-ledger-source";
  static final String LEDGER = "red-ledger";
  static final String VERDICT_SINK = "red-verdict-sink";
  static final String VERDICT_SOURCE = "red-verdict-source";
  public static final String LEDGER_STORE = "red-ledger";
  public static final String DEADLINE_STORE = "red-deadlines";
  public static final String HEADS_STORE = "audit-heads";

  private SyncTopology() {
  }

  /** The topology for an input topic of one partition (as TopologyTestDriver has it). */
  public static Topology buildTopology(SyncStreamsConfig config, SyncMetrics metrics) {
    return buildTopology(config, metrics, 1);
  }

  /**
   * @param inputPartitions partition count of the captured topic, written into each audit
   *                        checkpoint so a verifier can tell which invoices a task's checkpoint covers
   */
  public static Topology buildTopology(SyncStreamsConfig config, SyncMetrics metrics, int inputPartitions) {
    SerdeFactory serdes = SerdeFactory.of(config.getString(SyncStreamsConfig.SCHEMA_REGISTRY_URL), config.originals());
    InvoiceValidator validator = new InvoiceValidator(config.validationRules());
    var changeDeserializer = serdes.valueSerde(InvoiceChange.class).deserializer();
    var projectionDeserializer = serdes.valueSerde(ProjectionEvent.class).deserializer();

    var changeSerde = serdes.valueSerde(InvoiceChange.class);
    var ledgerSerde = InternalAvroSerde.of(RedLedgerMessage.class);
    var verdictSerde = InternalAvroSerde.of(RedVerdict.class);
    var children = new InvoiceSyncProcessor.Children(SYNCED_SINK, REJECTED_SINK, AUDIT_SINK, LEDGER_SINK, CHECKPOINT_SINK);
    var checkpoints = new InvoiceSyncProcessor.Checkpoints(config.auditCheckpointInterval(), inputPartitions, config.auditSigningKey());
    Duration redWait = Duration.ofMillis(config.getLong(SyncStreamsConfig.RED_WAIT_MS));
    EarlyCommits earlyCommits = new EarlyCommits(config.getLong(SyncStreamsConfig.COMMIT_EARLY_INTERVAL_MS),
        config.getLong(SyncStreamsConfig.COMMIT_EARLY_MAX_AGE_MS), config.getLong(SyncStreamsConfig.COMMIT_EARLY_MAX_RATE));

    Topology t = new Topology();
    // captured from the issuing databases and imported from the tax platform's files: one stream of changes, keyed alike
    t.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), config.getString(SyncStreamsConfig.CAPTURED_TOPIC),
        config.getString(SyncStreamsConfig.IMPORTED_TOPIC));
    t.addSource(VERDICT_SOURCE, Serdes.String().deserializer(), verdictSerde.deserializer(), config.redVerdictTopic());
    t.addSource(PROJECTION_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
        config.getString(SyncStreamsConfig.PROJECTION_TOPIC));
    t.addProcessor(DECODE, () -> new InputDecoder<>(changeDeserializer, InvoiceChange::getInvoiceId, SYNC, DLT_SINK,
        metrics.deadLettered::increment, true), SOURCE);
    t.addProcessor(DECODE_PROJECTION, () -> new InputDecoder<>(projectionDeserializer, ProjectionEvent::getInvoiceId, SYNC, DLT_SINK,
        metrics.deadLettered::increment, false), PROJECTION_SOURCE);
    t.addProcessor(SYNC, () -> new InvoiceSyncProcessor(STORE, HEADS_STORE, validator, config.zone(), children, redWait, checkpoints, earlyCommits,
        outcome -> count(metrics, outcome)), DECODE, DECODE_PROJECTION, VERDICT_SOURCE);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
        StoreEntrySerde.create(serdes.valueSerde(InvoiceState.class), changeSerde)), SYNC);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HEADS_STORE), Serdes.String(), Serdes.String()), SYNC);
    t.addSink(SYNCED_SINK, config.getString(SyncStreamsConfig.SYNCED_TOPIC), Serdes.String().serializer(),
        serdes.valueSerde(InvoiceState.class).serializer(), SYNC);
    t.addSink(REJECTED_SINK, config.getString(SyncStreamsConfig.REJECTED_TOPIC), Serdes.String().serializer(),
        serdes.valueSerde(InvoiceRejected.class).serializer(), SYNC);
    t.addSink(AUDIT_SINK, config.getString(SyncStreamsConfig.AUDIT_TOPIC), Serdes.String().serializer(),
        serdes.valueSerde(AuditEntry.class).serializer(), SYNC);
    t.addSink(CHECKPOINT_SINK, config.getString(SyncStreamsConfig.AUDIT_CHECKPOINTS_TOPIC), Serdes.String().serializer(),
        serdes.valueSerde(AuditCheckpoint.class).serializer(), SYNC);
    t.addSink(LEDGER_SINK, config.redLedgerTopic(), Serdes.String().serializer(), ledgerSerde.serializer(), SYNC);
    t.addSink(DLT_SINK, config.getString(SyncStreamsConfig.CAPTURED_DLT_TOPIC), Serdes.String().serializer(),
        Serdes.ByteArray().serializer(), DECODE, DECODE_PROJECTION);

    t.addSource(LEDGER_SOURCE, Serdes.String().deserializer(), ledgerSerde.deserializer(), config.redLedgerTopic());
    t.addProcessor(LEDGER, () -> new RedLetterLedger(LEDGER_STORE, DEADLINE_STORE,
        Duration.ofMillis(config.getLong(SyncStreamsConfig.RED_CHECK_INTERVAL_MS)), earlyCommits), LEDGER_SOURCE);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LEDGER_STORE), Serdes.String(),
        InternalAvroSerde.of(RedLedgerEntry.class)), LEDGER);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DEADLINE_STORE), Serdes.String(), Serdes.String()), LEDGER);
    t.addSink(VERDICT_SINK, config.redVerdictTopic(), Serdes.String().serializer(), verdictSerde.serializer(), LEDGER);
    return t;
  }

  private static void count(SyncMetrics m, InvoiceSyncProcessor.Outcome outcome) {
    switch (outcome) {
      case SYNCED -> m.synced.increment();
      case REJECTED -> m.rejected.increment();
      case REDELIVERY -> m.droppedRedelivery.increment();
      case STALE -> m.droppedStale.increment();
      case NO_OP -> m.droppedNoOp.increment();
      case AWAITING_RED -> m.awaitingRed.increment();
      case PARKED -> m.parked.increment();
      default -> throw new IllegalStateException("unhandled outcome " + outcome);
    }
  }
}
