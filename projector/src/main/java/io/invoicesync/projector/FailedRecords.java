package io.invoicesync.projector;

import io.invoicesync.runtime.ErrorClassifier;
import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.Pii;
import io.invoicesync.schemas.RetryHeaders;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Sends the projector's failed records on, original bytes unchanged, with provenance headers
 * (ARCHITECTURE.md, "Dead-letter headers"): to the retry topic with attempt and due time, or to the
 * dead-letter topic with the failure. Each send is acknowledged before the method returns, so the
 * caller may commit the record's offset afterwards; a failed send throws its cause unwrapped (a
 * delivery timeout is a {@link RetriableException}, which the caller rides out as an outage and
 * sends again).
 */
final class FailedRecords {

  private final Producer<byte[], byte[]> producer;
  private final String retryTopic;
  private final String deadLetterTopic;

  FailedRecords(Producer<byte[], byte[]> producer, String retryTopic, String deadLetterTopic) {
    this.producer = producer;
    this.retryTopic = retryTopic;
    this.deadLetterTopic = deadLetterTopic;
  }

  /** To the retry topic after failure number {@code attempt} (0: parked behind an earlier record, not failed itself). */
  void sendToRetry(ConsumerRecord<String, byte[]> r, int attempt, long dueAtMs, Exception failure) {
    Headers h = provenance(r, failure, attempt);
    DeadLetterHeaders.set(h, RetryHeaders.ATTEMPT, Integer.toString(attempt));
    DeadLetterHeaders.set(h, RetryHeaders.DUE, Long.toString(dueAtMs));
    acknowledged(producer.send(new ProducerRecord<>(retryTopic, null, key(r), r.value(), h)));
  }

  /** To the dead-letter topic; the message header leads with the failure kind and the root cause. */
  void sendToDeadLetter(ConsumerRecord<String, byte[]> r, Exception failure, ErrorClassifier.Kind kind, int attempts) {
    Headers h = provenance(r, failure, attempts);
    // the root cause says what went wrong (a BatchUpdateException's own message is mostly the SQL); the stack trace keeps the chain
    DeadLetterHeaders.set(h, DeadLetterHeaders.EXCEPTION_MESSAGE,
        Pii.mask(kind + ": " + firstLine(DeadLetterHeaders.rootCause(failure).getMessage())));
    h.remove(RetryHeaders.ATTEMPT);
    h.remove(RetryHeaders.DUE);
    acknowledged(producer.send(new ProducerRecord<>(deadLetterTopic, null, key(r), r.value(), h)));
  }

  /** Waits for a send; its failure is thrown as the producer's own (unchecked) exception, not wrapped in ExecutionException. */
  static void acknowledged(Future<?> send) {
    try {
      send.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : new KafkaException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }

  /** Attempt and due time a retry record arrived with (attempt 1 and due now when a header is missing or garbled). */
  static int attemptOf(ConsumerRecord<String, byte[]> r) {
    return (int) longHeader(r.headers(), RetryHeaders.ATTEMPT, 1);
  }

  /** Offset on the synced topic of the record a retry record is a copy of (-1 when the header is missing). */
  static long originOf(ConsumerRecord<String, byte[]> r) {
    return longHeader(r.headers(), DeadLetterHeaders.ORIGINAL_OFFSET, -1);
  }

  static long dueOf(ConsumerRecord<String, byte[]> r) {
    return longHeader(r.headers(), RetryHeaders.DUE, 0);
  }

  /**
   * What failed, without payload: exception class and the first line of the root cause's message
   * (PostgreSQL's "Detail: Failing row contains (...)" line would carry the row, buyer data included).
   */
  static String cause(Exception e) {
    return Pii.mask(e.getClass().getSimpleName() + ": " + firstLine(DeadLetterHeaders.rootCause(e).getMessage()));
  }

  private static String firstLine(String message) {
    String m = String.valueOf(message);
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).strip();
  }

  /** Original coordinates are set once, when a record first fails; later failures update the exception. */
  private static Headers provenance(ConsumerRecord<String, byte[]> r, Exception e, int attempts) {
    Headers h = new RecordHeaders(r.headers().toArray());
    DeadLetterHeaders.setOrigin(h, r.topic(), Integer.toString(r.partition()), Long.toString(r.offset()), r.timestamp(), r.key(), true);
    DeadLetterHeaders.set(h, DeadLetterHeaders.STAGE, ProjectorService.STAGE);
    DeadLetterHeaders.set(h, DeadLetterHeaders.ATTEMPTS, Integer.toString(attempts));
    if (e != null) {
      DeadLetterHeaders.setIfAbsent(h, DeadLetterHeaders.FIRST_FAILURE_TIMESTAMP, Long.toString(System.currentTimeMillis()));
      DeadLetterHeaders.setFailure(h, e, firstLine(e.getMessage()));
    }
    return h;
  }

  private static byte[] key(ConsumerRecord<String, byte[]> r) {
    return r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8);
  }

  private static long longHeader(Headers h, String key, long dflt) {
    Header v = h.lastHeader(key);
    if (v == null) {
      return dflt;
    }
    try {
      return Long.parseLong(new String(v.value(), StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      return dflt;
    }
  }
}
