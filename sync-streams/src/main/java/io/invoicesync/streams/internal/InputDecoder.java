package io.invoicesync.streams.internal;

import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Stage;
import java.util.function.Function;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Decodes an input topic's records inside the topology, so a poison pill becomes a dead letter in
 * the same exactly-once transaction as everything else, and the stream goes on. A dead-lettered
 * record with a key also reaches the sync processor as a {@link DeadLetterNotice}, which chains it
 * into the invoice's audit trail: trace can then say "dead-lettered" instead of "unknown".
 *
 * <p>Kafka Streams 4.2 has a dead-letter queue of its own (KIP-1034, {@code errors.dead.letter.queue.topic.name},
 * written in the same transaction). This one stays: an exception handler can only send records, so
 * the {@link DeadLetterNotice} that puts the dead letter into the invoice's audit chain (what lets
 * trace say "dead-lettered") cannot come from it; its headers ({@code __streams.errors.*}) are not the
 * provenance headers the DLT contract documents (stage, attempts, first failure, bounded stack
 * trace); and its record is built from the raw input, which Streams frees once the record was sent
 * to any sink, so a failure after the first write dead-letters null bytes.
 *
 * @param <T> the decoded record type
 */
public final class InputDecoder<T> implements Processor<String, byte[], String, Object> {

  public static final String STAGE = Stage.SYNC_STREAMS.id();

  /** A record of an input topic that went to the DLT instead of being decided on. */
  public record DeadLetterNotice(String topic, int partition, long offset, long timestamp, String cause, boolean capturedInput) {
  }

  private final Deserializer<T> deserializer;
  private final Function<T, String> idOf;
  private final String validChild;
  private final String deadLetterChild;
  private final Runnable onDeadLetter;
  private final boolean capturedInput;
  private ProcessorContext<String, Object> context;

  /**
   * @param idOf the invoice id a decoded record names; it must equal the record key
   */
  public InputDecoder(Deserializer<T> deserializer, Function<T, String> idOf, String validChild, String deadLetterChild,
                      Runnable onDeadLetter, boolean capturedInput) {
    this.capturedInput = capturedInput;
    this.deserializer = deserializer;
    this.idOf = idOf;
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
    T decoded;
    try {
      if (record.value() == null) {
        throw new IllegalArgumentException("null value: " + topic + " never carries tombstones");
      }
      decoded = deserializer.deserialize(topic, record.headers(), record.value());
      String id = idOf.apply(decoded);
      if (record.key() == null || !record.key().equals(id)) {
        throw new IllegalArgumentException("record key '" + record.key() + "' is not the invoice id '" + id + "'");
      }
    } catch (RuntimeException e) {
      if (SerdeFactory.unreachable(e)) {
        // the schema registry is down, not this record: the task fails without a dead letter, and its thread is replaced to retry
        throw new IllegalStateException("schema registry unreachable while decoding " + topic + "; retrying, nothing dead-lettered", e);
      }
      onDeadLetter.run();
      context.forward(record.withValue((Object) record.value()).withHeaders(provenance(record, e, topic)), deadLetterChild);
      if (record.key() != null) {
        RecordMetadata md = context.recordMetadata().orElse(null);
        String cause = e.getClass().getName() + ": " + DeadLetterHeaders.rootCause(e).getMessage();
        context.forward(new Record<>(record.key(), (Object) new DeadLetterNotice(topic, md == null ? -1 : md.partition(),
            md == null ? -1 : md.offset(), record.timestamp(), cause, capturedInput), record.timestamp()), validChild);
      }
      return;
    }
    // outside the try: a failure downstream is not a poison pill of this record, it fails the task (and EOS aborts)
    context.forward(record.withValue(decoded), validChild);
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
