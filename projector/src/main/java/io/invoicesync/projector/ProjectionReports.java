package io.invoicesync.projector;

import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.ReplayHeaders;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Reports every projector decision about a state on {@code invoices.projection} (sync-streams
 * chains them into the invoice's audit trail), and measures commit-to-visible time. Sends are
 * asynchronous; {@link #acknowledge()} waits for all of them and runs before each offset commit. A
 * report whose send failed is sent again by the next {@link #acknowledge()}, so the caller can ride
 * out a broker outage by calling it until it returns.
 */
final class ProjectionReports {


  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final Serializer<ProjectionEvent> serializer;
  private final Timer commitToVisible;
  private final AtomicLong watermarkLagMs;
  private final List<Sent> pending = new ArrayList<>();

  /** A report and its send, kept until acknowledged so that a failed send can be repeated. */
  private static final class Sent {
    final ProducerRecord<byte[], byte[]> record;
    Future<RecordMetadata> future;
    boolean failed;

    Sent(ProducerRecord<byte[], byte[]> record, Future<RecordMetadata> future) {
      this.record = record;
      this.future = future;
    }
  }

  ProjectionReports(Producer<byte[], byte[]> producer, String topic, Serializer<ProjectionEvent> serializer, Timer commitToVisible,
      AtomicLong watermarkLagMs) {
    this.producer = producer;
    this.topic = topic;
    this.serializer = serializer;
    this.commitToVisible = commitToVisible;
    this.watermarkLagMs = watermarkLagMs;
  }

  /**
   * Reports the states of {@code records} that a write made visible (PROJECTED, with their
   * commit-to-visible time); a replayed state the store already held is ALREADY_CURRENT. A state
   * superseded by a newer one of the same invoice in the same write is not reported: the newer one is.
   */
  void written(List<ConsumerRecord<String, byte[]>> records, List<InvoiceState> states, QueryStoreWriter.WriteResult result) {
    Map<InvoiceState, Boolean> applied = new IdentityHashMap<>();
    result.appliedStates().forEach(st -> applied.put(st, true));
    Map<String, InvoiceState> newest = result.kept();
    long now = System.currentTimeMillis();
    long lag = 0;
    for (int i = 0; i < records.size(); i++) {
      InvoiceState st = states.get(i);
      if (applied.containsKey(st)) {
        long ms = Math.max(0, now - st.getSource().getCommitTs().toEpochMilli());
        commitToVisible.record(Duration.ofMillis(ms));
        lag = Math.max(lag, ms);
        send(records.get(i), AuditEvent.PROJECTED, st, null, null);
      } else if (newest.get(st.getInvoice().getId()) == st) { // a state superseded in the same write is not reported: the newer one is
        // a re-read after a crash between the store's commit and the PROJECTED report, a redelivery, or a replay: said again,
        // so the trail never stays at APPLIED for a state that is visible
        send(records.get(i), AuditEvent.ALREADY_CURRENT, st, "the store holds this or a newer state", null);
      }
    }
    if (!result.appliedStates().isEmpty()) {
      watermarkLagMs.set(lag);
    }
  }

  void retried(ConsumerRecord<String, byte[]> r, InvoiceState state, String cause, int attempt) {
    send(r, AuditEvent.RETRIED, state, cause, attempt);
  }

  void deadLettered(ConsumerRecord<String, byte[]> r, InvoiceState state, String cause, int attempts) {
    send(r, AuditEvent.DEAD_LETTERED, state, cause, attempts);
  }

  /**
   * Waits until every report sent since the last successful call is acknowledged. Reports whose
   * send failed are sent again first, in their order; a failure is thrown unwrapped (a delivery
   * timeout is retriable: call again once the broker is back).
   */
  void acknowledge() {
    for (Sent s : pending) {
      if (s.failed) {
        s.future = producer.send(s.record);
        s.failed = false;
      }
    }
    for (Sent s : pending) {
      try {
        FailedRecords.acknowledged(s.future);
      } catch (RuntimeException e) {
        pending.forEach(p -> p.failed = p.future.isDone() && failed(p.future));
        throw e;
      }
    }
    pending.clear();
  }

  private static boolean failed(Future<RecordMetadata> f) {
    try {
      f.get();
      return false;
    } catch (ExecutionException e) {
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** One ProjectionEvent; a replayed record says so. A record without key has nothing to chain to (its DLT record is the trail). */
  private void send(ConsumerRecord<String, byte[]> r, AuditEvent event, InvoiceState state, String detail, Integer attempt) {
    if (r.key() == null) {
      return;
    }
    Header run = r.headers().lastHeader(ReplayHeaders.RUN);
    if (run != null) {
      String replay = "replay " + new String(run.value(), StandardCharsets.UTF_8);
      detail = detail == null ? replay : detail + "; " + replay;
    }
    ProjectionEvent e = ProjectionEvent.newBuilder().setInvoiceId(r.key()).setEvent(event.name())
        .setVersion(state == null ? null : state.getVersion()).setSource(state == null ? null : state.getSource())
        .setDigest(state == null ? null : state.getDigest()).setDetail(detail).setAttempt(attempt)
        .setInvoiceCode(state == null ? null : state.getInvoice().getInvoiceCode())
        .setInvoiceNumber(state == null ? null : state.getInvoice().getInvoiceNumber())
        .setSellerTaxId(state == null || state.getInvoice().getSeller() == null ? null : state.getInvoice().getSeller().getTaxId())
        .setDecidedAt(Instant.now()).build();
    ProducerRecord<byte[], byte[]> report = new ProducerRecord<>(topic, r.key().getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, e));
    pending.add(new Sent(report, producer.send(report)));
  }
}
