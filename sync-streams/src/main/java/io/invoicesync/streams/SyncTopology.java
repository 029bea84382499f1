package io.invoicesync.streams;

import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.streams.internal.CapturedDecoder;
import io.invoicesync.streams.internal.InvoiceSyncProcessor;
import io.invoicesync.streams.internal.StoreEntrySerde;
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
 *                                      |                               +-> invoices.rejected
 *                                      |                               +-> invoices.audit
 *                                      +-> invoices.captured.dlt (original bytes + provenance headers)
 * </pre>
 */
public final class SyncTopology {

  public static final String STORE = "invoice-state";
  static final String SOURCE = "captured-source";
  static final String DECODE = "decode";
  static final String SYNC = "sync";
  static final String SYNCED_SINK = "synced-sink";
  static final String REJECTED_SINK = "rejected-sink";
  static final String AUDIT_SINK = "audit-sink";
  static final String DLT_SINK = "captured-dlt-sink";

  private SyncTopology() {
  }

  public static Topology buildTopology(SyncStreamsConfig config, SyncMetrics metrics) {
    SerdeFactory serdes = SerdeFactory.of(config.getString(SyncStreamsConfig.SCHEMA_REGISTRY_URL));
    InvoiceValidator validator = new InvoiceValidator(config.validationRules());
    var changeDeserializer = serdes.valueSerde(InvoiceChange.class).deserializer();

    Topology t = new Topology();
    t.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), config.getString(SyncStreamsConfig.CAPTURED_TOPIC));
    t.addProcessor(DECODE, () -> new CapturedDecoder(changeDeserializer, SYNC, DLT_SINK, metrics.deadLettered::increment), SOURCE);
    t.addProcessor(SYNC, () -> new InvoiceSyncProcessor(STORE, validator, config.zone(), SYNCED_SINK, REJECTED_SINK, AUDIT_SINK,
        outcome -> count(metrics, outcome)), DECODE);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
        StoreEntrySerde.create(serdes.valueSerde(InvoiceState.class))), SYNC);
    t.addSink(SYNCED_SINK, config.getString(SyncStreamsConfig.SYNCED_TOPIC), Serdes.String().serializer(),
        serdes.valueSerde(InvoiceState.class).serializer(), SYNC);
    t.addSink(REJECTED_SINK, config.getString(SyncStreamsConfig.REJECTED_TOPIC), Serdes.String().serializer(),
        serdes.valueSerde(InvoiceRejected.class).serializer(), SYNC);
    t.addSink(AUDIT_SINK, config.getString(SyncStreamsConfig.AUDIT_TOPIC), Serdes.String().serializer(),
        serdes.valueSerde(AuditEntry.class).serializer(), SYNC);
    t.addSink(DLT_SINK, config.getString(SyncStreamsConfig.CAPTURED_DLT_TOPIC), Serdes.String().serializer(),
        Serdes.ByteArray().serializer(), DECODE);
    return t;
  }

  private static void count(SyncMetrics m, InvoiceSyncProcessor.Outcome outcome) {
    switch (outcome) {
      case SYNCED -> m.synced.increment();
      case REJECTED -> m.rejected.increment();
      case REDELIVERY -> m.droppedRedelivery.increment();
      case STALE -> m.droppedStale.increment();
      case NO_OP -> m.droppedNoOp.increment();
      default -> throw new IllegalStateException("unhandled outcome " + outcome);
    }
  }
}
