package io.invoicesync.projector;

import io.invoicesync.runtime.ErrorClassifier;
import io.invoicesync.schemas.Stage;
import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.runtime.Commits;
import io.invoicesync.projector.internal.ParkingLot;
import io.invoicesync.projector.internal.ProjectionPolicy;
import io.invoicesync.projector.internal.ProjectionPolicy.DeadLetter;
import io.invoicesync.projector.internal.ProjectionPolicy.Decision;
import io.invoicesync.projector.internal.ProjectionPolicy.Hold;
import io.invoicesync.projector.internal.ProjectionPolicy.Retry;
import io.invoicesync.projector.internal.RetryProgress;
import io.invoicesync.runtime.StoreOutage;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code invoices.synced} and applies it to the query store in batches. This class is the
 * shell that polls, writes, sends and commits; what happens to each record is decided by
 * {@link ProjectionPolicy} (ARCHITECTURE.md, error taxonomy; see {@link ErrorClassifier}):
 *
 * <ul>
 *   <li><b>outage</b>: partitions paused, the same write retried in place with capped exponential
 *       back-off ({@link StoreOutage}); nothing skipped, nothing dead-lettered; {@link #isHealthy()}
 *       false meanwhile;</li>
 *   <li><b>record-specific transient</b>: the record goes to {@code invoices.synced.retry} with its
 *       attempt count and due time, and its invoice is <i>parked</i> ({@link ParkingLot}): its later
 *       records follow it onto the retry topic instead of being applied, so the store never applies
 *       them out of order. Other invoices are not held up. A retry partition is a FIFO: when its head
 *       is not due, or fails again ({@link RetryProgress}), the partition is paused until the head is due;</li>
 *   <li><b>non-retriable, exhausted, poison pill</b>: {@code invoices.synced.dlt}, original bytes
 *       and provenance headers ({@link FailedRecords}).</li>
 * </ul>
 *
 * <p>Both topics are consumed by one consumer with the range assignor, and the retry topic has the
 * synced topic's partition count (the topic plan checks it at start): a key's main and retry
 * partitions are always owned by the same instance, which is what lets parking be a local decision.
 * After a restart or rebalance the new owner restores it before applying anything: the invoices with
 * records still waiting on the retry topic are parked again, and a held head's attempts come back from
 * the metadata of its partition's commit ({@link RetryProgress.Saved}). Offsets are committed only after the database commit and
 * after every record sent to the retry topic or DLT, and every {@link ProjectionEvent}
 * ({@link ProjectionReports}), was acknowledged.
 *
 * <p>Size: about 450 lines, half of them Javadoc, the consumer and producer set-up, lag and accessors for
 * health and tests; the decisions are in {@link ProjectionPolicy}.
 */
public final class ProjectorService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ProjectorService.class);
  public static final String STAGE = Stage.PROJECTOR.id();

  private final ProjectorConfig config;
  private final String syncedTopic;
  private final String retryTopic;
  private final ProjectorMetrics metrics;
  private final AtomicBoolean running = new AtomicBoolean();
  private final Deserializer<InvoiceState> stateDeserializer;
  private final SerdeFactory serdes;
  private final ProjectionPolicy policy;
  private final StoreOutage outage;
  private final ParkingLot parkingLot = new ParkingLot();
  private final RetryProgress retryProgress = new RetryProgress();
  /** Retry partitions paused until their head is due. */
  private final Map<TopicPartition, Long> resumeAt = new HashMap<>();

  private HikariDataSource dataSource;
  private QueryStoreWriter writer;
  private KafkaConsumer<String, byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private FailedRecords failedRecords;
  private ProjectionReports reports;
  private Thread thread;
  private volatile Throwable failure;
  private final MeterRegistry registry;
  private io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics consumerMetrics;
  private io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics producerMetrics;
  /** Records behind the end of the assigned partitions, as of the last poll (-1 before the first). */
  private volatile long lag = -1;
  private long lagMeasuredAt;

  /** A record of the synced or retry topic, decoded or with the reason it does not decode. */
  private record Decoded(InvoiceState state, RuntimeException error) {
    boolean ok() {
      return state != null;
    }
  }

  public ProjectorService(ProjectorConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    this.syncedTopic = config.getString(ProjectorConfig.SYNCED_TOPIC);
    this.retryTopic = config.getString(ProjectorConfig.SYNCED_RETRY_TOPIC);
    this.metrics = new ProjectorMetrics(registry);
    this.policy = new ProjectionPolicy(config.getInt(ProjectorConfig.RETRY_MAX_ATTEMPTS),
        ProjectionPolicy.doubling(config.getLong(ProjectorConfig.RETRY_BACKOFF_INITIAL_MS), config.getLong(ProjectorConfig.RETRY_BACKOFF_MAX_MS)));
    this.outage = new StoreOutage("consumption", log, new ExponentialBackoff(config.getLong(ProjectorConfig.BACKOFF_INITIAL_MS), 2,
        config.getLong(ProjectorConfig.BACKOFF_MAX_MS), 0.2), running::get);
    registry.gauge("invoicesync.projector.outage", outage.since(), a -> a.get() == 0 ? 0 : 1);
    registry.gauge("invoicesync.projector.parked.invoices", parkingLot, ParkingLot::invoices);
    this.serdes = SerdeFactory.of(config.getString(ProjectorConfig.SCHEMA_REGISTRY_URL), config.originals());
    this.stateDeserializer = serdes.valueSerde(InvoiceState.class).deserializer();
  }

  public synchronized void start() {
    dataSource = config.queryStorePool("projector", 2, registry);
    if (config.getBoolean(ProjectorConfig.MIGRATE)) {
      QueryStoreSchema.migrate(dataSource);
    }
    writer = new QueryStoreWriter(dataSource);
    try (Admin admin = Admin.create(config.adminProperties())) {
      // the retry topic takes the synced topic's partition count, so a key's two partitions go to one instance
      config.topicPlan().ensure(admin, List.of(Topics.SYNCED, Topics.SYNCED_RETRY, Topics.PROJECTION));
    }

    Properties cp = config.consumerProperties(config.getString(ProjectorConfig.GROUP_ID));
    cp.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName()); // co-locates synced p and retry p
    consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(syncedTopic, retryTopic), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        parkingLot.clear(); // rebuilt from the retry topic when partitions are assigned again
        retryProgress.clear();
        heldOrigin.clear();
        partitions.forEach(resumeAt::remove);
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        List<TopicPartition> retries = partitions.stream().filter(tp -> tp.topic().equals(retryTopic)).toList();
        if (!retries.isEmpty()) {
          restoreParking(retries);
        }
      }
    });

    producer = new KafkaProducer<>(config.producerProperties("invoice-sync-projector"), new ByteArraySerializer(), new ByteArraySerializer());
    consumerMetrics = new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(consumer);
    consumerMetrics.bindTo(registry);
    producerMetrics = new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(producer);
    producerMetrics.bindTo(registry);
    failedRecords = new FailedRecords(producer, retryTopic, config.getString(ProjectorConfig.SYNCED_DLT_TOPIC));
    String projectionTopic = config.getString(ProjectorConfig.PROJECTION_TOPIC);
    reports = new ProjectionReports(producer, projectionTopic, serdes.valueSerde(ProjectionEvent.class).serializer(), metrics.commitToVisible,
        metrics.watermarkLagMs);

    running.set(true);
    thread = new Thread(this::loop, "invoice-sync-projector");
    thread.start();
    log.info("projector started: {} (+ {}) -> {}", syncedTopic, retryTopic, config.getString(ProjectorConfig.JDBC_URL).replaceAll("\\?.*", ""));
  }

  private void loop() {
    org.slf4j.MDC.put("component", STAGE);
    try {
      while (running.get()) {
        resumeDueRetryPartitions();
        ConsumerRecords<String, byte[]> records = consumer.poll(pollTimeout());
        measureLag();
        if (records.isEmpty()) {
          metrics.watermarkLagMs.set(0);
          continue;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        List<ConsumerRecord<String, byte[]>> main = new ArrayList<>();
        for (TopicPartition tp : records.partitions()) {
          if (tp.topic().equals(syncedTopic)) {
            main.addAll(records.records(tp));
          }
        }
        projectMain(main, offsets);
        for (TopicPartition tp : records.partitions()) {
          if (tp.topic().equals(retryTopic)) {
            projectRetries(tp, records.records(tp), offsets);
          }
        }
        unchecked(() -> {
          reports.acknowledge(); // a delivery timeout is ridden out here, the reports sent again
          return null;
        });
        Commits.afterWrite(consumer, offsets, log);
      }
    } catch (StoreOutage.Stopped e) {
      log.info("projector stopped during a query-store outage; the unwritten batch is re-read on restart");
    } catch (WakeupException e) {
      if (running.get()) {
        failure = e;
      }
    } catch (Throwable t) {
      failure = t;
      log.error("projector stopped on an unexpected error; offsets of the failed batch were not committed", t);
    } finally {
      consumer.close();
    }
  }

  /** One poll's records of the synced topic, in order: applied in one write, or one by one when that write failed. */
  private void projectMain(List<ConsumerRecord<String, byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets)
      throws StoreOutage.Stopped {
    List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
    List<InvoiceState> states = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      Decoded d = decode(r);
      Decision decision = policy.onMainRecord(d.ok(), parkingLot.holds(r.key()));
      if (decision instanceof DeadLetter dl) {
        sendToDeadLetter(r, null, d.error(), dl);
      } else if (decision instanceof ProjectionPolicy.Park) {
        parkBehind(r);
      } else {
        batch.add(r);
        states.add(d.state());
      }
    }
    if (!states.isEmpty()) {
      try {
        write(batch, states);
      } catch (SQLException | RuntimeException e) {
        // a record-specific failure: find it by writing the batch's records one at a time, in order
        for (int i = 0; i < batch.size(); i++) {
          ConsumerRecord<String, byte[]> r = batch.get(i);
          if (parkingLot.holds(r.key())) {
            parkBehind(r); // an earlier record of its invoice in this batch just went to the retry topic
            continue;
          }
          try {
            write(List.of(r), List.of(states.get(i)));
          } catch (SQLException | RuntimeException one) {
            settleFailure(r, states.get(i), one, 0, false);
          }
        }
      }
    }
    for (ConsumerRecord<String, byte[]> r : records) {
      offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
          (a, b) -> a.offset() >= b.offset() ? a : b);
    }
  }

  /** One poll's records of one retry partition: a FIFO, stopped at the first record that is not due or fails again. */
  private void projectRetries(TopicPartition tp, List<ConsumerRecord<String, byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets)
      throws StoreOutage.Stopped {
    for (ConsumerRecord<String, byte[]> r : records) {
      RetryProgress.Position position = new RetryProgress.Position(tp, r.offset());
      RetryProgress.Attempt progress = retryProgress.of(position, new RetryProgress.Attempt(FailedRecords.attemptOf(r), FailedRecords.dueOf(r)));
      Decoded d = decode(r);
      Decision decision = policy.onRetryHead(progress, d.ok(), System.currentTimeMillis());
      if (decision instanceof Hold hold) {
        holdRetryPartition(tp, r, progress, hold.untilMs(), offsets);
        return;
      }
      if (decision instanceof DeadLetter dl) {
        sendToDeadLetter(r, null, d.error(), dl);
      } else {
        try {
          write(List.of(r), List.of(d.state()));
        } catch (SQLException | RuntimeException e) {
          if (settleFailure(r, d.state(), e, progress.failures(), true) instanceof Retry again) {
            RetryProgress.Attempt attempt = new RetryProgress.Attempt(again.attempt(), again.dueAtMs());
            retryProgress.failedAgain(position, attempt);
            holdRetryPartition(tp, r, attempt, again.dueAtMs(), offsets);
            return;
          }
        }
      }
      retryProgress.settled(position);
      parkingLot.release(r.key());
      offsets.put(tp, new OffsetAndMetadata(r.offset() + 1));
    }
  }

  /**
   * A write of {@code r} failed after {@code failuresBefore} earlier failures: retried or dead-lettered,
   * as the policy says. A record from the synced topic is retried by sending it to the retry topic and
   * parking its invoice; one already on the retry topic stays where it is (the caller holds its partition).
   */
  private Decision settleFailure(ConsumerRecord<String, byte[]> r, InvoiceState state, Exception e, int failuresBefore, boolean onRetryTopic)
      throws StoreOutage.Stopped {
    Decision decision = policy.onWriteFailure(ErrorClassifier.classify(e), failuresBefore, System.currentTimeMillis());
    if (decision instanceof Retry retry) {
      if (!onRetryTopic) {
        unchecked(() -> {
          failedRecords.sendToRetry(r, retry.attempt(), retry.dueAtMs(), e);
          return null;
        });
        parkingLot.park(r.key());
      }
      metrics.retried.increment();
      reports.retried(r, state, FailedRecords.cause(e), retry.attempt());
    } else if (decision instanceof DeadLetter dl) {
      sendToDeadLetter(r, state, e, dl);
    }
    return decision;
  }

  /** An earlier record of the same invoice waits on the retry topic: this one follows it there, unapplied. */
  private void parkBehind(ConsumerRecord<String, byte[]> r) throws StoreOutage.Stopped {
    unchecked(() -> {
      failedRecords.sendToRetry(r, 0, 0, null);
      return null;
    });
    parkingLot.park(r.key());
    metrics.parkedRecords.increment();
  }

  private void sendToDeadLetter(ConsumerRecord<String, byte[]> r, InvoiceState state, Exception e, DeadLetter dl)
      throws StoreOutage.Stopped {
    unchecked(() -> {
      failedRecords.sendToDeadLetter(r, e, dl.kind(), dl.attempts());
      return null;
    });
    metrics.deadLettered.increment();
    reports.deadLettered(r, state, dl.kind() + ": " + FailedRecords.cause(e), dl.attempts());
    try (var invoice = org.slf4j.MDC.putCloseable("invoice", r.key());
         var topic = org.slf4j.MDC.putCloseable("topic", r.topic());
         var partition = org.slf4j.MDC.putCloseable("partition", Integer.toString(r.partition()));
         var offset = org.slf4j.MDC.putCloseable("offset", Long.toString(r.offset()))) {
      log.warn("dead-lettered {}-{}@{} ({}, {} attempts): {}", r.topic(), r.partition(), r.offset(), dl.kind(), dl.attempts(),
          FailedRecords.cause(e));
    }
  }

  /** Writes the states (riding out an outage in place) and reports what became visible. */
  private void write(List<ConsumerRecord<String, byte[]>> records, List<InvoiceState> states) throws SQLException, StoreOutage.Stopped {
    QueryStoreWriter.WriteResult result = outage.ride(consumer, () -> {
      long t0 = System.nanoTime();
      QueryStoreWriter.WriteResult r = writer.write(states);
      metrics.batchTimer.record(Duration.ofNanos(System.nanoTime() - t0));
      return r;
    });
    metrics.applied.increment(result.applied());
    metrics.skippedOlder.increment(result.skippedOlder());
    reports.written(records, states, result);
  }

  /** The record decoded, or why it does not decode; while the schema registry is unreachable, retried in place (an outage, not a poison pill). */
  private Decoded decode(ConsumerRecord<String, byte[]> r) throws StoreOutage.Stopped {
    return unchecked(() -> decodeOnce(r));
  }

  /** A call that cannot fail with SQLException (a decode, a send), its outages (registry, broker) ridden out in place. */
  private <T> T unchecked(java.util.function.Supplier<T> call) throws StoreOutage.Stopped {
    try {
      return outage.ride(consumer, call::get);
    } catch (SQLException e) {
      throw new IllegalStateException("a call without SQL raised " + e, e);
    }
  }

  private Decoded decodeOnce(ConsumerRecord<String, byte[]> r) {
    try {
      InvoiceState s = stateDeserializer.deserialize(r.topic(), r.headers(), r.value());
      if (s == null) {
        return new Decoded(null, new IllegalArgumentException("null value: invoices.synced never carries tombstones"));
      }
      return new Decoded(s, null);
    } catch (RuntimeException e) {
      if (SerdeFactory.unreachable(e)) {
        throw e; // the registry, not the record: StoreOutage retries it in place
      }
      return new Decoded(null, e);
    }
  }


  /**
   * The head {@code r} of retry partition {@code tp} waits until {@code until}: the partition is paused
   * there, and committed at the head with its progress and origin ({@link RetryProgress.Saved}), so a
   * restart goes on counting and, should the retry records expire, knows where to project again from.
   */
  private void holdRetryPartition(TopicPartition tp, ConsumerRecord<String, byte[]> r, RetryProgress.Attempt progress, long until,
      Map<TopicPartition, OffsetAndMetadata> offsets) {
    consumer.seek(tp, r.offset());
    consumer.pause(List.of(tp));
    resumeAt.put(tp, until);
    RetryProgress.Saved saved = new RetryProgress.Saved(progress, FailedRecords.originOf(r));
    heldOrigin.put(tp, saved.origin());
    offsets.put(tp, new OffsetAndMetadata(r.offset(), saved.metadata()));
  }

  /** Original synced offsets of the held retry heads, by retry partition. */
  private final Map<TopicPartition, Long> heldOrigin = new HashMap<>();

  /**
   * After an assignment: the parking lot and the retry heads' progress as they were, from the
   * committed retry offsets and the records waiting after them. A retry partition whose waiting
   * records expired (retention) before they were settled is answered by projecting its synced
   * partition again from the oldest expired record's origin; the store's guard keeps that idempotent.
   */
  private void restoreParking(List<TopicPartition> retries) {
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(retries));
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(retries);
    Map<TopicPartition, Long> from = new HashMap<>();
    for (TopicPartition tp : retries) {
      OffsetAndMetadata c = committed.get(tp);
      long start = c == null ? begin.get(tp) : c.offset();
      java.util.Optional<RetryProgress.Saved> saved = c == null ? java.util.Optional.empty() : RetryProgress.Saved.parse(c.metadata());
      if (start < begin.get(tp)) {
        projectAgainAfterExpiry(tp, start, begin.get(tp), saved.map(RetryProgress.Saved::origin).orElse(-1L));
        start = begin.get(tp);
      } else if (saved.isPresent()) {
        retryProgress.failedAgain(new RetryProgress.Position(tp, start), saved.get().attempt());
        heldOrigin.put(tp, saved.get().origin());
      }
      from.put(tp, start);
    }
    int parked = parkWaiting(from);
    if (parked > 0) {
      log.info("parking restored: {} records of {} invoices wait on {}", parked, parkingLot.invoices(), retryTopic);
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
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (from.keySet().stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          // not fatal: the store's version guard keeps an invoice monotonic even when a later record overtakes its waiting one
          log.warn("could not read every waiting record of {} within 60 s; parking restored for {} records only", from.keySet(), n);
          break;
        }
        for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            parkingLot.park(r.key());
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
   * there), in order. Without an origin, only a reconciliation can find them, and this says so.
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
      OffsetAndMetadata committed = consumer.committed(java.util.Set.of(synced)).get(synced);
      // back, never forward: records before the origin that were never committed are read again rather than skipped
      rewind.put(synced, new OffsetAndMetadata(committed == null ? origin : Math.min(origin, committed.offset())));
      consumer.seek(synced, rewind.get(synced).offset());
    }
    Commits.afterWrite(consumer, rewind, log);
    heldOrigin.remove(tp);
  }

  private void resumeDueRetryPartitions() {
    long now = System.currentTimeMillis();
    List<TopicPartition> due = new ArrayList<>();
    resumeAt.forEach((tp, t) -> {
      if (t <= now) {
        due.add(tp);
      }
    });
    due.forEach(resumeAt::remove);
    due.retainAll(consumer.assignment());
    if (!due.isEmpty()) {
      // a held head that expired meanwhile (retention) would otherwise be skipped silently by the offset reset
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(due);
      boolean expired = false;
      for (TopicPartition tp : due) {
        long held = consumer.position(tp);
        if (held < begin.get(tp)) {
          projectAgainAfterExpiry(tp, held, begin.get(tp), heldOrigin.getOrDefault(tp, -1L));
          consumer.seek(tp, begin.get(tp));
          expired = true;
        }
      }
      if (expired) {
        parkingLot.clear(); // some of the parked records are gone: what waits is recounted
        Map<TopicPartition, Long> from = new HashMap<>();
        consumer.assignment().stream().filter(tp -> tp.topic().equals(retryTopic)).forEach(tp -> from.put(tp, consumer.position(tp)));
        parkWaiting(from);
      }
    }
    if (!due.isEmpty() && !outage.active()) {
      consumer.resume(due);
    }
  }

  private Duration pollTimeout() {
    long now = System.currentTimeMillis();
    long wait = resumeAt.values().stream().mapToLong(t -> t - now).min().orElse(200);
    return Duration.ofMillis(Math.max(1, Math.min(200, wait)));
  }

  /** False while the query store is unreachable or after the loop stopped on an error. */
  public boolean isHealthy() {
    return health().ready();
  }

  /** At most once a second, on the poll thread: the records behind the end of the assigned partitions. */
  private void measureLag() {
    long now = System.currentTimeMillis();
    if (now - lagMeasuredAt < 1000) {
      return;
    }
    lagMeasuredAt = now;
    long sum = 0;
    for (TopicPartition tp : consumer.assignment()) {
      sum += consumer.currentLag(tp).orElse(0);
    }
    lag = sum;
  }

  /** For the management port: up, riding out a query-store outage, or failed for good (the process should end). */
  public io.invoicesync.schemas.ComponentHealth health() {
    return io.invoicesync.runtime.LoopHealth.of(thread, running.get(), failure, outage, Map.of("lag", lag, "parkedInvoices", parkingLot.invoices()));
  }

  public Throwable failure() {
    return failure;
  }

  public double appliedCount() {
    return metrics.applied.count();
  }

  /** States not applied because the store held the same or a newer source position (replays, redeliveries). */
  public double skippedOlderCount() {
    return metrics.skippedOlder.count();
  }

  public double retriedCount() {
    return metrics.retried.count();
  }

  public double deadLetteredCount() {
    return metrics.deadLettered.count();
  }

  @Override
  public synchronized void close() {
    running.set(false);
    if (consumerMetrics != null) {
      consumerMetrics.close();
      producerMetrics.close();
    }
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (producer != null) {
      producer.close();
    }
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
