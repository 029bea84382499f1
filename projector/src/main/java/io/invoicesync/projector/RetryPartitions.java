package io.invoicesync.projector;

import io.invoicesync.runtime.ConsumerLoop;
import io.invoicesync.projector.internal.RetryState;
import io.invoicesync.projector.internal.RetryState.Attempt;
import io.invoicesync.projector.internal.RetryState.HeldPartition;
import io.invoicesync.projector.internal.RetryState.Position;
import io.invoicesync.projector.internal.RetryState.Saved;
import io.invoicesync.runtime.Commits;
import io.invoicesync.runtime.StoreOutage;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retry topic's partitions on this instance, on the consumer's side: a partition whose head is
 * not due is paused there ({@link #hold}) and resumed once it is ({@link #resumeDue}); after an
 * assignment the {@link RetryState} is restored from the retry topic and its commits before anything
 * is applied; and waiting records that expired (retention) before they were settled are answered by
 * projecting their synced partition again from the oldest one's origin. The rebalance listener of
 * the projector's consumer. Runs on the poll thread.
 */
final class RetryPartitions implements ConsumerRebalanceListener {

  private static final Logger log = LoggerFactory.getLogger(RetryPartitions.class);
  /** How long restoring the parking may read the retry topic at assignment. */
  private static final Duration RESTORE_WITHIN = Duration.ofSeconds(60);

  private final ProjectorConfig config;
  private final String syncedTopic;
  private final String retryTopic;
  private final Consumer<String, byte[]> consumer;
  private final RetryState state;
  private final StoreOutage outage;
  private final ProjectorMetrics metrics;

  RetryPartitions(ProjectorConfig config, Consumer<String, byte[]> consumer, RetryState state, StoreOutage outage, ProjectorMetrics metrics) {
    this.config = config;
    this.syncedTopic = config.getString(ProjectorConfig.SYNCED_TOPIC);
    this.retryTopic = config.getString(ProjectorConfig.SYNCED_RETRY_TOPIC);
    this.consumer = consumer;
    this.state = state;
    this.outage = outage;
    this.metrics = metrics;
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    state.revoked(partitions); // parking and progress are rebuilt from the retry topic when partitions are assigned again
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    List<TopicPartition> retries = partitions.stream().filter(tp -> tp.topic().equals(retryTopic)).toList();
    if (!retries.isEmpty()) {
      restore(retries);
    }
  }

  /**
   * The head {@code r} at {@code head} waits until {@code attempt.dueAtMs()}: its partition is paused
   * there. Returns the partition's commit at the head, with its progress and origin ({@link Saved}),
   * so that a restart goes on counting and, should the retry records expire, knows where to project
   * again from.
   */
  OffsetAndMetadata hold(Position head, ConsumerRecord<String, byte[]> r, Attempt attempt) {
    consumer.seek(head.partition(), r.offset());
    consumer.pause(List.of(head.partition()));
    Saved saved = state.hold(head, attempt, FailedRecords.originOf(r));
    return new OffsetAndMetadata(r.offset(), saved.metadata());
  }

  /** How long the next poll may wait: until the next held partition is due. */
  Duration pollTimeout() {
    return state.untilNextDue(System.currentTimeMillis(), ConsumerLoop.POLL_TIMEOUT);
  }

  /** Resumes the held partitions whose head is due, after checking that what they held is still there. */
  void resumeDue() {
    List<HeldPartition> due = state.releaseDue(System.currentTimeMillis());
    Set<TopicPartition> assigned = consumer.assignment();
    List<HeldPartition> mine = due.stream().filter(h -> assigned.contains(h.partition())).toList();
    if (mine.isEmpty()) {
      return;
    }
    List<TopicPartition> partitions = mine.stream().map(HeldPartition::partition).toList();
    // a held head that expired meanwhile (retention) would otherwise be skipped silently by the offset reset
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
    boolean expired = false;
    for (HeldPartition h : mine) {
      TopicPartition tp = h.partition();
      long heldAt = consumer.position(tp);
      if (heldAt < begin.get(tp)) {
        projectAgainAfterExpiry(tp, heldAt, begin.get(tp), h.origin());
        consumer.seek(tp, begin.get(tp));
        expired = true;
      }
    }
    if (expired) {
      state.forgetParking(); // some of the parked records are gone: what waits is recounted
      Map<TopicPartition, Long> from = new HashMap<>();
      consumer.assignment().stream().filter(tp -> tp.topic().equals(retryTopic)).forEach(tp -> from.put(tp, consumer.position(tp)));
      parkWaiting(from);
    }
    if (!outage.active()) {
      consumer.resume(partitions);
    }
  }

  /**
   * After an assignment: the parking and the retry heads' progress as they were, from the committed
   * retry offsets and the records waiting after them. A retry partition whose waiting records
   * expired (retention) before they were settled is answered by projecting its synced partition
   * again from the oldest expired record's origin; the store's guard keeps that idempotent.
   */
  private void restore(List<TopicPartition> retries) {
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(retries));
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(retries);
    Map<TopicPartition, Long> from = new HashMap<>();
    for (TopicPartition tp : retries) {
      OffsetAndMetadata c = committed.get(tp);
      long start = c == null ? begin.get(tp) : c.offset();
      Optional<Saved> saved = c == null ? Optional.empty() : Saved.parse(c.metadata());
      if (start < begin.get(tp)) {
        projectAgainAfterExpiry(tp, start, begin.get(tp), saved.map(Saved::origin).orElse(-1L));
        start = begin.get(tp);
      } else if (saved.isPresent()) {
        state.restore(new Position(tp, start), saved.get().attempt());
      }
      from.put(tp, start);
    }
    int parked = parkWaiting(from);
    if (parked > 0) {
      log.info("parking restored: {} records of {} invoices wait on {}", parked, state.parkedInvoices(), retryTopic);
    }
  }

  /** Parks the invoice of every record from {@code from} to the end of its retry partition; how many records. */
  private int parkWaiting(Map<TopicPartition, Long> from) {
    Map<TopicPartition, Long> end = consumer.endOffsets(from.keySet());
    from.entrySet().removeIf(e -> e.getValue() >= end.get(e.getKey()));
    if (from.isEmpty()) {
      return 0;
    }
    int n = 0;
    Properties p = config.consumerProperties(config.getString(ProjectorConfig.GROUP_ID) + "-parking");
    try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      reader.assign(from.keySet());
      from.forEach(reader::seek);
      long deadline = System.nanoTime() + RESTORE_WITHIN.toNanos();
      while (from.keySet().stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          // not fatal: the store's version guard keeps an invoice monotonic even when a later record overtakes its waiting one
          log.warn("could not read every waiting record of {} within 60 s; parking restored for {} records only", from.keySet(), n);
          break;
        }
        for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            state.park(r.key());
            n++;
          }
        }
      }
    }
    return n;
  }

  /**
   * Retry records [{@code lost}, {@code begin}) of {@code tp} expired before they were settled: their
   * states are projected again from the synced topic, from {@code origin} (the oldest one's offset
   * there), in order. Without an origin (-1), only a reconciliation can find them, and this says so.
   */
  private void projectAgainAfterExpiry(TopicPartition tp, long lost, long begin, long origin) {
    TopicPartition synced = new TopicPartition(syncedTopic, tp.partition());
    if (origin >= 0) {
      log.error("{} records of {} (offsets {} to {}) expired before they were settled (retention); projecting {} again from offset {}, "
          + "where the oldest of them came from", begin - lost, tp, lost, begin - 1, synced, origin);
    } else {
      log.error("{} records of {} (offsets {} to {}) expired before they were settled (retention), and where they came from is not known: "
          + "run 'invoice-sync reconcile --repair' to find and resync the invoices they held", begin - lost, tp, lost, begin - 1);
    }
    metrics.retryExpired.increment(begin - lost);
    // committed together, so that the expiry is answered once: the synced partition back at the origin, the retry one past the gap
    Map<TopicPartition, OffsetAndMetadata> rewind = new HashMap<>();
    rewind.put(tp, new OffsetAndMetadata(begin));
    if (origin >= 0) {
      OffsetAndMetadata committed = consumer.committed(Set.of(synced)).get(synced);
      // back, never forward: records before the origin that were never committed are read again rather than skipped
      rewind.put(synced, new OffsetAndMetadata(committed == null ? origin : Math.min(origin, committed.offset())));
      consumer.seek(synced, rewind.get(synced).offset());
    }
    Commits.afterWrite(consumer, rewind, log);
  }
}
