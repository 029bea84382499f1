package io.invoicesync.streams.internal;

import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.InvoiceChange;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Decodes input records inside the topology, so a poison pill becomes a dead letter in the same
 * exactly-once transaction as everything else, and the stream goes on. (Kafka 4.1's Streams has
 * no built-in dead-letter queue; KIP-1034 arrives in a later release.)
 */
public final class CapturedDecoder implements Processor<String, byte[], String, Object> {

  public static final String STAGE = "sync-streams";

  private final Deserializer<InvoiceChange> deserializer;
  private final String validChild;
  private final String deadLetterChild;
  private final Runnable onDeadLetter;
  private ProcessorContext<String, Object> context;

  public CapturedDecoder(Deserializer<InvoiceChange> deserializer, String validChild, String deadLetterChild, Runnable onDeadLetter) {
    this.deserializer = deserializer;
    this.validChild = validChild;
    this.deadLetterChild = deadLetterChild;
    this.onDeadLetter = onDeadLetter;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
    try {
      if (record.value() == null) {
        throw new IllegalArgumentException("null value: invoices.captured never carries tombstones");
      }
      InvoiceChange change = deserializer.deserialize(topic, record.headers(), record.value());
      if (record.key() == null || !record.key().equals(change.getInvoiceId())) {
        throw new IllegalArgumentException("record key '" + record.key() + "' is not the invoice id '" + change.getInvoiceId() + "'");
      }
      context.forward(record.withValue(change), validChild);
    } catch (RuntimeException e) {
      onDeadLetter.run();
      context.forward(record.withValue((Object) record.value()).withHeaders(provenance(record, e, topic)), deadLetterChild);
    }
  }

  private Headers provenance(Record<String, byte[]> record, Exception e, String topic) {
    Headers h = new RecordHeaders(record.headers().toArray());
    RecordMetadata md = context.recordMetadata().orElse(null);
    DeadLetterHeaders.setOrigin(h, topic, md == null ? "" : Integer.toString(md.partition()), md == null ? "" : Long.toString(md.offset()),
        record.timestamp(), record.key(), false);
    DeadLetterHeaders.setFailure(h, e, String.valueOf(e.getMessage()));
    DeadLetterHeaders.set(h, DeadLetterHeaders.STAGE, STAGE);
    DeadLetterHeaders.set(h, DeadLetterHeaders.ATTEMPTS, "1");
    DeadLetterHeaders.set(h, DeadLetterHeaders.FIRST_FAILURE_TIMESTAMP, Long.toString(context.currentSystemTimeMs()));
    return h;
  }
}
