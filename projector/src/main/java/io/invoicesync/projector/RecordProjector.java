package io.invoicesync.projector;

import io.invoicesync.projector.internal.Decoded;
import io.invoicesync.projector.internal.Decoded.Ok;
import io.invoicesync.projector.internal.Decoded.Poison;
import io.invoicesync.projector.internal.ProjectionPolicy;
import io.invoicesync.projector.internal.ProjectionPolicy.Apply;
import io.invoicesync.projector.internal.ProjectionPolicy.DeadLetter;
import io.invoicesync.projector.internal.ProjectionPolicy.Decision;
import io.invoicesync.projector.internal.ProjectionPolicy.Hold;
import io.invoicesync.projector.internal.ProjectionPolicy.Park;
import io.invoicesync.projector.internal.ProjectionPolicy.Retry;
import io.invoicesync.projector.internal.RetryState;
import io.invoicesync.projector.internal.RetryState.Attempt;
import io.invoicesync.projector.internal.RetryState.Position;
import io.invoicesync.runtime.ConsumerLoop;
import io.invoicesync.runtime.ErrorClassifier;
import io.invoicesync.runtime.StoreOutage;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What the projector does with one poll's records, as {@link ProjectionPolicy} decides: the synced
 * topic's records applied in one write (one by one when that write failed, to find the record at
 * fault), parked behind an earlier record of their invoice, sent to the retry topic or dead-lettered;
 * each retry partition's records in order, up to the first that is not due or fails again (its
 * partition then held: {@link RetryPartitions}). Every write, decode and send rides out an outage in
 * place through the loop; reports are acknowledged before the offsets it returns are committed.
 */
final class RecordProjector {

  private static final Logger log = LoggerFactory.getLogger(RecordProjector.class);

  private final String syncedTopic;
  private final String retryTopic;
  private final ProjectionPolicy policy;
  private final Deserializer<InvoiceState> states;
  private final ConsumerLoop<String, byte[]> loop;
  private final RetryState retryState;
  private final RetryPartitions retryPartitions;
  private final QueryStoreWriter writer;
  private final FailedRecords failedRecords;
  private final ProjectionReports reports;
  private final ProjectorMetrics metrics;

  /** What the projector reads: the synced topic, its retry topic, and how their values decode. */
  record Inputs(String syncedTopic, String retryTopic, Deserializer<InvoiceState> states) {
  }

  /** What a record's decision is carried out with: the store and the topics a record goes to. */
  record Outputs(QueryStoreWriter writer, FailedRecords failedRecords, ProjectionReports reports) {
  }

  RecordProjector(Inputs inputs, ProjectionPolicy policy, ConsumerLoop<String, byte[]> loop, RetryState retryState,
      RetryPartitions retryPartitions, Outputs outputs, ProjectorMetrics metrics) {
    this.syncedTopic = inputs.syncedTopic();
    this.retryTopic = inputs.retryTopic();
    this.states = inputs.states();
    this.policy = policy;
    this.loop = loop;
    this.retryState = retryState;
    this.retryPartitions = retryPartitions;
    this.writer = outputs.writer();
    this.failedRecords = outputs.failedRecords();
    this.reports = outputs.reports();
    this.metrics = metrics;
  }

  /** One poll: the synced topic's records first, then each retry partition's; the offsets to commit once the reports are acknowledged. */
  Map<TopicPartition, OffsetAndMetadata> project(ConsumerRecords<String, byte[]> records) throws StoreOutage.Stopped {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    List<ConsumerRecord<String, byte[]>> main = new ArrayList<>();
    for (TopicPartition tp : records.partitions()) {
      if (tp.topic().equals(syncedTopic)) {
        List<ConsumerRecord<String, byte[]>> rs = records.records(tp);
        main.addAll(rs);
        offsets.put(tp, new OffsetAndMetadata(rs.get(rs.size() - 1).offset() + 1)); // returned only once the whole poll is settled
      }
    }
    projectMain(main);
    for (TopicPartition tp : records.partitions()) {
      if (tp.topic().equals(retryTopic)) {
        projectRetries(tp, records.records(tp), offsets);
      }
    }
    loop.ride(reports::acknowledge); // a delivery timeout is ridden out here, the reports sent again
    return offsets;
  }

  /** One poll's records of the synced topic, in order: applied in one write, or one by one when that write failed. */
  private void projectMain(List<ConsumerRecord<String, byte[]>> records) throws StoreOutage.Stopped {
    List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
    List<InvoiceState> batchStates = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      Decoded d = decode(r);
      Decision decision = policy.onMainRecord(d, retryState.parkingOf(r.key()));
      if (decision instanceof DeadLetter dl && d instanceof Poison poison) {
        sendToDeadLetter(r, null, poison.error(), dl);
      } else if (decision instanceof Park) {
        parkBehind(r);
      } else if (decision instanceof Apply && d instanceof Ok ok) {
        batch.add(r);
        batchStates.add(ok.state());
      } else {
        throw unexpected(decision, d);
      }
    }
    if (!batchStates.isEmpty()) {
      try {
        write(batch, batchStates);
      } catch (SQLException | RuntimeException e) {
        // a record-specific failure: find it by writing the batch's records one at a time, in order
        for (int i = 0; i < batch.size(); i++) {
          ConsumerRecord<String, byte[]> r = batch.get(i);
          if (retryState.parkingOf(r.key()) == RetryState.Parking.PARKED) {
            parkBehind(r); // an earlier record of its invoice in this batch just went to the retry topic
            continue;
          }
          try {
            write(List.of(r), List.of(batchStates.get(i)));
          } catch (SQLException | RuntimeException one) {
            failedOnSyncedTopic(r, batchStates.get(i), one);
          }
        }
      }
    }
  }

  /** One poll's records of one retry partition: a FIFO, stopped at the first record that is not due or fails again. */
  private void projectRetries(TopicPartition tp, List<ConsumerRecord<String, byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets)
      throws StoreOutage.Stopped {
    for (ConsumerRecord<String, byte[]> r : records) {
      Position head = new Position(tp, r.offset());
      Attempt progress = retryState.attemptOf(head, new Attempt(FailedRecords.attemptOf(r), FailedRecords.dueOf(r)));
      Decoded d = decode(r);
      Decision decision = policy.onRetryHead(progress, d, System.currentTimeMillis());
      if (decision instanceof Hold hold) {
        offsets.put(tp, retryPartitions.hold(head, r, new Attempt(progress.failures(), hold.untilMs())));
        return;
      }
      if (decision instanceof DeadLetter dl && d instanceof Poison poison) {
        sendToDeadLetter(r, null, poison.error(), dl);
      } else if (decision instanceof Apply && d instanceof Ok ok) {
        try {
          write(List.of(r), List.of(ok.state()));
        } catch (SQLException | RuntimeException e) {
          Decision failed = policy.onWriteFailure(ErrorClassifier.classify(e), progress.failures(), System.currentTimeMillis());
          if (failed instanceof Retry again) { // it stays where it is: its partition is held until it is due again
            reportRetried(r, ok.state(), e, again);
            offsets.put(tp, retryPartitions.hold(head, r, new Attempt(again.attempt(), again.dueAtMs())));
            return;
          }
          deadLetterOrFail(r, ok.state(), e, failed);
        }
      } else {
        throw unexpected(decision, d);
      }
      retryState.settle(head, r.key());
      offsets.put(tp, new OffsetAndMetadata(r.offset() + 1));
    }
  }

  /**
   * A write of {@code r}, read from the synced topic, failed: on a retry, {@code r} goes to the retry
   * topic and its invoice is parked; otherwise it is dead-lettered.
   */
  private void failedOnSyncedTopic(ConsumerRecord<String, byte[]> r, InvoiceState state, Exception e) throws StoreOutage.Stopped {
    Decision decision = policy.onWriteFailure(ErrorClassifier.classify(e), 0, System.currentTimeMillis());
    if (decision instanceof Retry retry) {
      loop.ride(() -> failedRecords.sendToRetry(r, retry.attempt(), retry.dueAtMs(), e));
      retryState.park(r.key());
      reportRetried(r, state, e, retry);
    } else {
      deadLetterOrFail(r, state, e, decision);
    }
  }

  private void reportRetried(ConsumerRecord<String, byte[]> r, InvoiceState state, Exception e, Retry retry) {
    metrics.retried.increment();
    reports.retried(r, state, FailedRecords.cause(e), retry.attempt());
  }

  /** An earlier record of the same invoice waits on the retry topic: this one follows it there, unapplied. */
  private void parkBehind(ConsumerRecord<String, byte[]> r) throws StoreOutage.Stopped {
    loop.ride(() -> failedRecords.sendToRetry(r, 0, 0, null));
    retryState.park(r.key());
    metrics.parkedRecords.increment();
  }

  private void deadLetterOrFail(ConsumerRecord<String, byte[]> r, InvoiceState state, Exception e, Decision decision)
      throws StoreOutage.Stopped {
    if (!(decision instanceof DeadLetter dl)) {
      throw new IllegalStateException("a failed write decided as " + decision); // the policy answers a failure with Retry or DeadLetter
    }
    sendToDeadLetter(r, state, e, dl);
  }

  private void sendToDeadLetter(ConsumerRecord<String, byte[]> r, InvoiceState state, Exception e, DeadLetter dl)
      throws StoreOutage.Stopped {
    loop.ride(() -> failedRecords.sendToDeadLetter(r, e, dl.kind(), dl.attempts()));
    metrics.deadLettered.increment();
    reports.deadLettered(r, state, dl.kind() + ": " + FailedRecords.cause(e), dl.attempts());
    try (var invoice = MDC.putCloseable("invoice", r.key());
         var topic = MDC.putCloseable("topic", r.topic());
         var partition = MDC.putCloseable("partition", Integer.toString(r.partition()));
         var offset = MDC.putCloseable("offset", Long.toString(r.offset()))) {
      log.warn("dead-lettered {}-{}@{} ({}, {} attempts): {}", r.topic(), r.partition(), r.offset(), dl.kind(), dl.attempts(),
          FailedRecords.cause(e));
    }
  }

  /** Writes the states (riding out an outage in place) and reports what became visible. */
  private void write(List<ConsumerRecord<String, byte[]>> records, List<InvoiceState> batchStates) throws SQLException, StoreOutage.Stopped {
    QueryStoreWriter.WriteResult result = loop.ride(() -> {
      long t0 = System.nanoTime();
      QueryStoreWriter.WriteResult r = writer.write(batchStates);
      metrics.batchTimer.record(Duration.ofNanos(System.nanoTime() - t0));
      return r;
    });
    metrics.applied.increment(result.applied());
    metrics.skippedOlder.increment(result.skippedOlder());
    reports.written(records, batchStates, result);
  }

  /** The record decoded, or why it does not decode; while the schema registry is unreachable, retried in place (an outage, not a poison pill). */
  private Decoded decode(ConsumerRecord<String, byte[]> r) throws StoreOutage.Stopped {
    return loop.ride(() -> decodeOnce(r));
  }

  private Decoded decodeOnce(ConsumerRecord<String, byte[]> r) {
    try {
      InvoiceState s = states.deserialize(r.topic(), r.headers(), r.value());
      if (s == null) {
        return new Poison(new IllegalArgumentException("null value: invoices.synced never carries tombstones"));
      }
      return new Ok(s);
    } catch (RuntimeException e) {
      if (SerdeFactory.unreachable(e)) {
        throw e; // the registry, not the record: StoreOutage retries it in place
      }
      return new Poison(e);
    }
  }

  private static IllegalStateException unexpected(Decision decision, Decoded d) {
    return new IllegalStateException("the policy decided " + decision + " for a record " + d.getClass().getSimpleName());
  }
}
