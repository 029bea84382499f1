package io.invoicesync.runtime.dlt;

import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.ReplayHeaders;
import io.invoicesync.schemas.Stage;
import io.invoicesync.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * A dead letter with its provenance, read under any of three header conventions: invoice-sync's
 * ({@link DeadLetterHeaders}), Kafka Connect's ({@code __connect.errors.*}) and Spring Kafka's
 * ({@code kafka_dlt-*}, partition and offsets as big-endian binary numbers).
 */
public record DeadLetter(ConsumerRecord<byte[], byte[]> record, String convention, String originalTopic, Integer originalPartition,
                         Long originalOffset, Long originalTimestamp, String exceptionClass, String exceptionMessage, String stackTrace,
                         String stage, Integer attempts, Long firstFailure, String causeClass) {

  public String coordinates() {
    return record.topic() + ":" + record.partition() + ":" + record.offset();
  }

  public String key() {
    return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
  }

  /** How often this record was replayed before it landed here again (the replay-count header it carries; 0 when never). */
  public int replayCount() {
    String c = str(record.headers(), ReplayHeaders.COUNT);
    try {
      return c == null ? 0 : Integer.parseInt(c.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** True for a dead letter of the projector (its state was valid; only writing it to the store failed). */
  public boolean fromProjector() {
    return Stage.PROJECTOR.id().equals(stage) || (originalTopic != null && originalTopic.startsWith(Topics.SYNCED.name()));
  }

  public Instant time() {
    return Instant.ofEpochMilli(firstFailure != null ? firstFailure : record.timestamp());
  }

  public static DeadLetter of(ConsumerRecord<byte[], byte[]> r) {
    Headers h = r.headers();
    if (h.lastHeader(DeadLetterHeaders.ORIGINAL_TOPIC) != null || h.lastHeader(DeadLetterHeaders.EXCEPTION_CLASS) != null) {
      return new DeadLetter(r, "invoice-sync", str(h, DeadLetterHeaders.ORIGINAL_TOPIC), intStr(h, DeadLetterHeaders.ORIGINAL_PARTITION),
          longStr(h, DeadLetterHeaders.ORIGINAL_OFFSET), longStr(h, DeadLetterHeaders.ORIGINAL_TIMESTAMP), str(h, DeadLetterHeaders.EXCEPTION_CLASS),
          str(h, DeadLetterHeaders.EXCEPTION_MESSAGE), str(h, DeadLetterHeaders.EXCEPTION_STACKTRACE), str(h, DeadLetterHeaders.STAGE),
          intStr(h, DeadLetterHeaders.ATTEMPTS), longStr(h, DeadLetterHeaders.FIRST_FAILURE_TIMESTAMP), str(h, DeadLetterHeaders.EXCEPTION_CAUSE_CLASS));
    }
    if (h.lastHeader("__connect.errors.topic") != null || h.lastHeader("__connect.errors.exception.class.name") != null) {
      String connector = str(h, "__connect.errors.connector.name");
      String stage = str(h, "__connect.errors.stage");
      return new DeadLetter(r, "kafka-connect", str(h, "__connect.errors.topic"), intStr(h, "__connect.errors.partition"),
          longStr(h, "__connect.errors.offset"), null, str(h, "__connect.errors.exception.class.name"),
          str(h, "__connect.errors.exception.message"), str(h, "__connect.errors.exception.stacktrace"),
          (connector == null ? "" : connector + "/") + (stage == null ? "" : stage), null, null, null);
    }
    if (h.lastHeader("kafka_dlt-original-topic") != null || h.lastHeader("kafka_dlt-exception-fqcn") != null) {
      return new DeadLetter(r, "spring-kafka", str(h, "kafka_dlt-original-topic"), binInt(h, "kafka_dlt-original-partition"),
          binLong(h, "kafka_dlt-original-offset"), binLong(h, "kafka_dlt-original-timestamp"), str(h, "kafka_dlt-exception-fqcn"),
          str(h, "kafka_dlt-exception-message"), str(h, "kafka_dlt-exception-stacktrace"), str(h, "kafka_dlt-original-consumer-group"), null, null,
          str(h, "kafka_dlt-exception-cause-fqcn"));
    }
    return new DeadLetter(r, "unknown", null, null, null, null, null, null, null, null, null, null, null);
  }

  /** Decodes a header for display, knowing Spring's binary numbers. */
  public static String display(Header header) {
    byte[] v = header.value();
    if (v == null) {
      return "null";
    }
    if (header.key().equals("kafka_dlt-original-partition") && v.length == 4) {
      return Integer.toString(ByteBuffer.wrap(v).getInt());
    }
    if ((header.key().equals("kafka_dlt-original-offset") || header.key().equals("kafka_dlt-original-timestamp")) && v.length == 8) {
      return Long.toString(ByteBuffer.wrap(v).getLong());
    }
    return printable(v);
  }

  /** UTF-8 when it reads as text, otherwise hex. */
  public static String printable(byte[] v) {
    String s = new String(v, StandardCharsets.UTF_8);
    boolean text = s.chars().allMatch(c -> c == '\n' || c == '\t' || c == '\r' || (c >= 0x20 && c != 0xFFFD));
    return text ? s : "0x" + HexFormat.of().formatHex(v);
  }

  private static String str(Headers h, String key) {
    Header v = h.lastHeader(key);
    return v == null || v.value() == null ? null : new String(v.value(), StandardCharsets.UTF_8);
  }

  private static Integer intStr(Headers h, String key) {
    String s = str(h, key);
    try {
      return s == null || s.isEmpty() ? null : Integer.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Long longStr(Headers h, String key) {
    String s = str(h, key);
    try {
      return s == null || s.isEmpty() ? null : Long.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Integer binInt(Headers h, String key) {
    Header v = h.lastHeader(key);
    return v == null || v.value() == null || v.value().length != 4 ? null : ByteBuffer.wrap(v.value()).getInt();
  }

  private static Long binLong(Headers h, String key) {
    Header v = h.lastHeader(key);
    return v == null || v.value() == null || v.value().length != 8 ? null : ByteBuffer.wrap(v.value()).getLong();
  }
}
