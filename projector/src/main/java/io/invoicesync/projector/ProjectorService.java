package io.invoicesync.projector;

import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.ReplayHeaders;
import io.invoicesync.schemas.Topics;
import io.invoicesync.schemas.RetryHeaders;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.TopicAdmin;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.Serializer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code invoices.synced} and applies it to the query store in batches, following the
 * error taxonomy of ARCHITECTURE.md (see {@link ProjectorErrorClassifier}):
 *
 * <ul>
 *   <li><b>outage</b>: partitions paused, the same write retried in place with bounded exponential
 *       back-off; nothing skipped, nothing dead-lettered; {@link #isHealthy()} false meanwhile;</li>
 *   <li><b>record-specific transient</b>: the record goes to {@code invoices.synced.retry} with its
 *       attempt count and due time, and its invoice is <i>parked</i>: its later records follow it onto
 *       the retry topic instead of being applied, so the store never applies them out of order.
 *       Other invoices are not held up. A retry partition is a FIFO: when its head is not due, or
 *       fails again, the partition is paused until the head is due;</li>
 *   <li><b>non-retriable, exhausted, poison pill</b>: {@code invoices.synced.dlt}, original bytes
 *       and provenance headers (original coordinates, exception, bounded stack trace, stage,
 *       attempts, first failure time).</li>
 * </ul>
 *
 * <p>Both topics are consumed by one consumer with the range assignor, and the retry topic has the
 * synced topic's partition count: a key's main and retry partitions are always owned by the same
 * instance, which is what lets parking be a local decision. After a restart or rebalance the
 * parking state starts empty; the store's version guard still never lets an older state overwrite
 * a newer one. Offsets are committed only after the database commit and after every record sent to
 * the retry topic or DLT was acknowledged.
 *
 * <p>Every decision about a state is reported on {@code invoices.projection} as a
 * {@link ProjectionEvent} (PROJECTED, ALREADY_CURRENT for a replayed state the store already held,
 * RETRIED, DEAD_LETTERED), acknowledged before the offsets are committed; sync-streams chains them
 * into the invoice's audit trail. The commit-to-visible time of every projected state is the
 * {@code invoicesync_commit_to_visible_seconds} histogram.
 */
public final class ProjectorService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ProjectorService.class);
  public static final String STAGE = "projector";

  private final ProjectorConfig config;
  private final String syncedTopic;
  private final String retryTopic;
  private final Counter applied;
  private final Counter skippedOlder;
  private final Counter deadLettered;
  private final Counter retried;
  private final Counter parkedRecords;
  private final Timer batchTimer;
  private final Timer commitToVisible;
  private final AtomicLong watermarkLagMs = new AtomicLong();
  private final String projectionTopic;
  private final Serializer<ProjectionEvent> projectionSerializer;
  /** Projection events sent since the last offset commit; acknowledged before it. */
  private final List<Future<RecordMetadata>> pendingEvents = new ArrayList<>();
  private final AtomicLong outageSince = new AtomicLong(0);
  private final AtomicBoolean running = new AtomicBoolean();
  private final Deserializer<InvoiceState> stateDeserializer;

  /** Per invoice: how many of its records wait on the retry topic. */
  private final Map<String, Integer> parked = new HashMap<>();
  /** Retry partitions paused until their head is due. */
  private final Map<TopicPartition, Long> resumeAt = new HashMap<>();
  /** Attempts and due time of retry heads that failed again here (offset-keyed; the record itself is immutable). */
  private final Map<String, long[]> retryProgress = new HashMap<>();

  private HikariDataSource dataSource;
  private QueryStoreWriter writer;
  private KafkaConsumer<String, byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private Thread thread;
  private volatile Throwable failure;

  public ProjectorService(ProjectorConfig config, MeterRegistry registry) {
    this.config = config;
    this.syncedTopic = config.getString(ProjectorConfig.SYNCED_TOPIC);
    this.retryTopic = config.getString(ProjectorConfig.SYNCED_RETRY_TOPIC);
    this.applied = Counter.builder("invoicesync.projector.applied").description("invoice states applied to the query store").register(registry);
    this.skippedOlder = Counter.builder("invoicesync.projector.skipped.older")
        .description("states not applied because the store already held the same or a newer source position").register(registry);
    this.deadLettered = Counter.builder("invoicesync.projector.dead.lettered").description("records sent to the DLT").register(registry);
    this.retried = Counter.builder("invoicesync.projector.retried").description("failed attempts of record-specific transient failures").register(registry);
    this.parkedRecords = Counter.builder("invoicesync.projector.parked").description("records parked behind a retrying record of the same invoice").register(registry);
    this.batchTimer = Timer.builder("invoicesync.projector.batch").description("time to write one batch").register(registry);
    this.commitToVisible = Timer.builder("invoicesync.commit.to.visible")
        .description("time from the source transaction's commit to the state being visible in the query store")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(10))
        .register(registry);
    io.micrometer.core.instrument.Gauge.builder("invoicesync.projector.watermark.lag", watermarkLagMs, a -> a.get() / 1000.0)
        .baseUnit("seconds").description("commit-to-visible time of the newest state of the last batch; 0 when nothing is pending")
        .register(registry);
    registry.gauge("invoicesync.projector.outage", outageSince, a -> a.get() == 0 ? 0 : 1);
    registry.gauge("invoicesync.projector.parked.invoices", parked, Map::size);
    SerdeFactory serdes = SerdeFactory.of(config.getString(ProjectorConfig.SCHEMA_REGISTRY_URL));
    this.stateDeserializer = serdes.valueSerde(InvoiceState.class).deserializer();
    this.projectionSerializer = serdes.valueSerde(ProjectionEvent.class).serializer();
    this.projectionTopic = config.getString(ProjectorConfig.PROJECTION_TOPIC);
  }

  public synchronized void start() {
    dataSource = config.queryStorePool("projector", 2);
    if (config.getBoolean(ProjectorConfig.MIGRATE)) {
      QueryStoreSchema.migrate(dataSource);
    }
    writer = new QueryStoreWriter(dataSource);
    ensureRetryTopic();

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.getString(ProjectorConfig.BOOTSTRAP_SERVERS));
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, config.getString(ProjectorConfig.GROUP_ID));
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.getInt(ProjectorConfig.MAX_POLL_RECORDS));
    cp.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName()); // co-locates synced p and retry p
    consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(syncedTopic, retryTopic), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        parked.clear(); // the version guard keeps the store monotonic while parking state is rebuilt
        retryProgress.clear();
        partitions.forEach(resumeAt::remove);
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      }
    });

    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.getString(ProjectorConfig.BOOTSTRAP_SERVERS));
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());

    running.set(true);
    thread = new Thread(this::loop, "invoice-sync-projector");
    thread.start();
    log.info("projector started: {} (+ {}) -> {}", syncedTopic, retryTopic, config.getString(ProjectorConfig.JDBC_URL));
  }

  /**
   * The retry topic gets the synced topic's partition count, so a key's two partitions go to one
   * instance; so does the projection topic, which sync-streams reads co-partitioned with its input.
   */
  private void ensureRetryTopic() {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", config.getString(ProjectorConfig.BOOTSTRAP_SERVERS)))) {
      int partitions = TopicAdmin.partitions(admin, syncedTopic);
      TopicAdmin.createMissing(admin, List.of(new NewTopic(retryTopic, Optional.of(partitions), Optional.empty())
              .configs(Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(7 * 24L * 3600 * 1000))),
          new NewTopic(projectionTopic, Optional.of(partitions), Optional.empty()).configs(Topics.PROJECTION.configs())));
    }
  }

  private void loop() {
    try {
      while (running.get()) {
        resumeDueRetryPartitions();
        ConsumerRecords<String, byte[]> records = consumer.poll(pollTimeout());
        if (records.isEmpty()) {
          watermarkLagMs.set(0);
          continue;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        List<ConsumerRecord<String, byte[]>> main = new ArrayList<>();
        for (TopicPartition tp : records.partitions()) {
          if (tp.topic().equals(syncedTopic)) {
            main.addAll(records.records(tp));
          }
        }
        if (!processMain(main, offsets)) {
          break;
        }
        for (TopicPartition tp : records.partitions()) {
          if (tp.topic().equals(retryTopic) && !processRetry(tp, records.records(tp), offsets)) {
            break;
          }
        }
        if (!running.get()) {
          break;
        }
        awaitProjectionEvents();
        if (!offsets.isEmpty()) {
          consumer.commitSync(offsets);
        }
      }
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

  /** One poll's records of the synced topic, in order. False when stopping interrupted it (nothing to commit). */
  private boolean processMain(List<ConsumerRecord<String, byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets)
      throws InterruptedException, ExecutionException {
    if (records.isEmpty()) {
      return true;
    }
    List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
    List<InvoiceState> states = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      InvoiceState s = decode(r);
      if (s == null) {
        continue;
      }
      if (parkedBehind(r)) {
        continue;
      }
      batch.add(r);
      states.add(s);
    }
    if (!states.isEmpty()) {
      try {
        QueryStoreWriter.WriteResult result = applyOrBackOff(states);
        if (result == null) {
          return false;
        }
        reportApplied(batch, states, result);
      } catch (SQLException | RuntimeException e) {
        // a record-specific failure: find it by writing the batch's records one at a time, in order
        for (int i = 0; i < batch.size(); i++) {
          ConsumerRecord<String, byte[]> r = batch.get(i);
          if (parkedBehind(r)) {
            continue;
          }
          try {
            QueryStoreWriter.WriteResult result = applyOrBackOff(List.of(states.get(i)));
            if (result == null) {
              return false;
            }
            reportApplied(List.of(r), List.of(states.get(i)), result);
          } catch (SQLException | RuntimeException one) {
            ProjectorErrorClassifier.Kind kind = ProjectorErrorClassifier.classify(one);
            if (kind == ProjectorErrorClassifier.Kind.RECORD_TRANSIENT) {
              toRetry(r, 1, System.currentTimeMillis() + backoff(1), one);
              park(r.key());
              retried.increment();
              report(r, "RETRIED", states.get(i), cause(one), 1);
            } else {
              deadLetter(r, states.get(i), one, kind, 1);
            }
          }
        }
      }
    }
    for (ConsumerRecord<String, byte[]> r : records) {
      offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
          (a, b) -> a.offset() >= b.offset() ? a : b);
    }
    return true;
  }

  /** One poll's records of one retry partition: a FIFO, stopped at the first record that is not due or fails again. */
  private boolean processRetry(TopicPartition tp, List<ConsumerRecord<String, byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets)
      throws InterruptedException, ExecutionException {
    for (ConsumerRecord<String, byte[]> r : records) {
      long[] progress = retryProgress.get(tp + "@" + r.offset());
      long attempts = progress != null ? progress[0] : longHeader(r.headers(), RetryHeaders.ATTEMPT, 1);
      long due = progress != null ? progress[1] : longHeader(r.headers(), RetryHeaders.DUE, 0);
      long now = System.currentTimeMillis();
      if (now < due) {
        holdRetryPartition(tp, r.offset(), due);
        return true;
      }
      InvoiceState s = decode(r);
      if (s != null) {
        try {
          QueryStoreWriter.WriteResult result = applyOrBackOff(List.of(s));
          if (result == null) {
            return false;
          }
          reportApplied(List.of(r), List.of(s), result);
        } catch (SQLException | RuntimeException e) {
          ProjectorErrorClassifier.Kind kind = ProjectorErrorClassifier.classify(e);
          long failed = attempts + 1;
          if (kind == ProjectorErrorClassifier.Kind.RECORD_TRANSIENT && failed < config.getInt(ProjectorConfig.RETRY_MAX_ATTEMPTS)) {
            long next = now + backoff((int) failed);
            retryProgress.put(tp + "@" + r.offset(), new long[] {failed, next});
            retried.increment();
            report(r, "RETRIED", s, cause(e), (int) failed);
            holdRetryPartition(tp, r.offset(), next);
            return true;
          }
          deadLetter(r, s, e, kind == ProjectorErrorClassifier.Kind.RECORD_TRANSIENT ? ProjectorErrorClassifier.Kind.NON_RETRIABLE : kind, (int) failed);
        }
      }
      retryProgress.remove(tp + "@" + r.offset());
      unpark(r.key());
      offsets.put(tp, new OffsetAndMetadata(r.offset() + 1));
    }
    return true;
  }

  private void holdRetryPartition(TopicPartition tp, long offset, long until) {
    consumer.seek(tp, offset);
    consumer.pause(List.of(tp));
    resumeAt.put(tp, until);
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
    if (!due.isEmpty() && outageSince.get() == 0) {
      consumer.resume(due);
    }
  }

  private Duration pollTimeout() {
    long now = System.currentTimeMillis();
    long wait = resumeAt.values().stream().mapToLong(t -> t - now).min().orElse(200);
    return Duration.ofMillis(Math.max(1, Math.min(200, wait)));
  }

  private long backoff(int attempt) {
    long initial = config.getLong(ProjectorConfig.RETRY_BACKOFF_INITIAL_MS);
    long b = initial << Math.min(20, Math.max(0, attempt - 1));
    return Math.min(b, config.getLong(ProjectorConfig.RETRY_BACKOFF_MAX_MS));
  }

  /**
   * Writes; while the query store is unreachable, pauses everything and tries the same write again
   * with bounded exponential back-off. Returns null when stopping interrupted the wait; throws the
   * first failure that is not an outage.
   */
  private QueryStoreWriter.WriteResult applyOrBackOff(List<InvoiceState> states) throws SQLException {
    long backoff = config.getLong(ProjectorConfig.BACKOFF_INITIAL_MS);
    Set<TopicPartition> pausedForOutage = new HashSet<>();
    try {
      while (running.get()) {
        try {
          long t0 = System.nanoTime();
          QueryStoreWriter.WriteResult result = writer.write(states);
          batchTimer.record(Duration.ofNanos(System.nanoTime() - t0));
          applied.increment(result.applied());
          skippedOlder.increment(result.skippedOlder());
          endOutage();
          return result;
        } catch (SQLException | RuntimeException e) {
          if (ProjectorErrorClassifier.classify(e) != ProjectorErrorClassifier.Kind.OUTAGE) {
            endOutage();
            throw e;
          }
          beginOutage(e);
          Set<TopicPartition> toPause = new HashSet<>(consumer.assignment());
          toPause.removeAll(consumer.paused());
          consumer.pause(toPause);
          pausedForOutage.addAll(toPause);
          consumer.poll(Duration.ofMillis(backoff)); // waits and keeps the group membership; paused, so returns nothing
          backoff = Math.min(backoff * 2, config.getLong(ProjectorConfig.BACKOFF_MAX_MS));
        }
      }
      return null;
    } finally {
      pausedForOutage.retainAll(consumer.assignment());
      consumer.resume(pausedForOutage);
    }
  }

  private InvoiceState decode(ConsumerRecord<String, byte[]> r) throws InterruptedException, ExecutionException {
    try {
      InvoiceState s = stateDeserializer.deserialize(r.topic(), r.headers(), r.value());
      if (s == null) {
        throw new IllegalArgumentException("null value: invoices.synced never carries tombstones");
      }
      return s;
    } catch (RuntimeException e) {
      deadLetter(r, null, e, ProjectorErrorClassifier.Kind.POISON_PILL, 1);
      return null;
    }
  }

  /** When an earlier record of the same invoice waits on the retry topic, this one follows it there. */
  private boolean parkedBehind(ConsumerRecord<String, byte[]> r) throws InterruptedException, ExecutionException {
    if (!parked.containsKey(r.key())) {
      return false;
    }
    toRetry(r, 0, 0, null);
    park(r.key());
    parkedRecords.increment();
    return true;
  }

  private void park(String key) {
    parked.merge(key, 1, Integer::sum);
  }

  private void unpark(String key) {
    parked.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Sends a record to the retry topic; provenance of its first failure travels with it. */
  private void toRetry(ConsumerRecord<String, byte[]> r, int attempt, long due, Exception e) throws InterruptedException, ExecutionException {
    Headers h = provenance(r, e, attempt);
    DeadLetterHeaders.set(h, RetryHeaders.ATTEMPT, Integer.toString(attempt));
    DeadLetterHeaders.set(h, RetryHeaders.DUE, Long.toString(due));
    byte[] key = r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8);
    producer.send(new ProducerRecord<>(retryTopic, null, key, r.value(), h)).get();
  }

  private void deadLetter(ConsumerRecord<String, byte[]> r, InvoiceState state, Exception e, ProjectorErrorClassifier.Kind kind, int attempts)
      throws InterruptedException, ExecutionException {
    Headers h = provenance(r, e, attempts);
    // the root cause says what went wrong (a BatchUpdateException's own message is mostly the SQL); the stack trace keeps the chain
    DeadLetterHeaders.set(h, DeadLetterHeaders.EXCEPTION_MESSAGE, kind + ": " + DeadLetterHeaders.rootCause(e).getMessage());
    h.remove(RetryHeaders.ATTEMPT);
    h.remove(RetryHeaders.DUE);
    byte[] key = r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8);
    producer.send(new ProducerRecord<>(config.getString(ProjectorConfig.SYNCED_DLT_TOPIC), null, key, r.value(), h)).get();
    deadLettered.increment();
    report(r, "DEAD_LETTERED", state, kind + ": " + cause(e), attempts);
    log.warn("dead-lettered {}-{}@{} ({}, {} attempts): {}", r.topic(), r.partition(), r.offset(), kind, attempts, e.getMessage());
  }

  /**
   * Reports the states of {@code records} that a write made visible (PROJECTED, with their
   * commit-to-visible time); a replayed state the store already held is ALREADY_CURRENT. A state
   * superseded by a newer one of the same invoice in the same batch is not reported: the newer one is.
   */
  private void reportApplied(List<ConsumerRecord<String, byte[]>> records, List<InvoiceState> states, QueryStoreWriter.WriteResult result) {
    Map<InvoiceState, Boolean> applied = new IdentityHashMap<>();
    result.appliedStates().forEach(st -> applied.put(st, true));
    long now = System.currentTimeMillis();
    long lag = 0;
    for (int i = 0; i < records.size(); i++) {
      InvoiceState st = states.get(i);
      if (applied.containsKey(st)) {
        long ms = Math.max(0, now - st.getSource().getCommitTs().toEpochMilli());
        commitToVisible.record(Duration.ofMillis(ms));
        lag = Math.max(lag, ms);
        report(records.get(i), "PROJECTED", st, null, null);
      } else if (!superseded(st, states)) {
        // a re-read after a crash between the store's commit and the PROJECTED report, a redelivery, or a replay: said again,
        // so the trail never stays at APPLIED for a state that is visible
        report(records.get(i), "ALREADY_CURRENT", st, "the store holds this or a newer state", null);
      }
    }
    if (!result.appliedStates().isEmpty()) {
      watermarkLagMs.set(lag);
    }
  }

  /** True when a newer state of the same invoice is in the same write (it, not this one, is reported). */
  private static boolean superseded(InvoiceState st, List<InvoiceState> states) {
    for (InvoiceState o : states) {
      if (o != st && o.getInvoice().getId().equals(st.getInvoice().getId()) && o.getSource().getLsn() > st.getSource().getLsn()) {
        return true;
      }
    }
    return false;
  }

  /** Sends one ProjectionEvent (acknowledged before the next offset commit). A replayed record says so. */
  private void report(ConsumerRecord<String, byte[]> r, String event, InvoiceState state, String detail, Integer attempt) {
    if (r.key() == null) {
      return; // nothing to chain it to; the DLT record itself is the trail
    }
    Header run = r.headers().lastHeader(ReplayHeaders.RUN);
    if (run != null) {
      String replay = "replay " + new String(run.value(), StandardCharsets.UTF_8);
      detail = detail == null ? replay : detail + "; " + replay;
    }
    ProjectionEvent e = ProjectionEvent.newBuilder().setInvoiceId(r.key()).setEvent(event)
        .setVersion(state == null ? null : state.getVersion()).setSource(state == null ? null : state.getSource())
        .setDigest(state == null ? null : state.getDigest()).setDetail(detail).setAttempt(attempt)
        .setInvoiceCode(state == null ? null : state.getInvoice().getInvoiceCode())
        .setInvoiceNumber(state == null ? null : state.getInvoice().getInvoiceNumber())
        .setSellerTaxId(state == null || state.getInvoice().getSeller() == null ? null : state.getInvoice().getSeller().getTaxId())
        .setDecidedAt(Instant.now()).build();
    byte[] value = projectionSerializer.serialize(projectionTopic, e);
    pendingEvents.add(producer.send(new ProducerRecord<>(projectionTopic, r.key().getBytes(StandardCharsets.UTF_8), value)));
  }

  private void awaitProjectionEvents() throws InterruptedException, ExecutionException {
    for (Future<RecordMetadata> f : pendingEvents) {
      f.get();
    }
    pendingEvents.clear();
  }

  /**
   * What failed, without payload: exception class and the first line of the root cause's message
   * (PostgreSQL's "Detail: Failing row contains (...)" line would carry the row, buyer data included).
   */
  static String cause(Exception e) {
    String m = String.valueOf(DeadLetterHeaders.rootCause(e).getMessage());
    int nl = m.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl)).strip();
  }

  /** Original coordinates are set once, when a record first fails; later failures update the exception. */
  private static Headers provenance(ConsumerRecord<String, byte[]> r, Exception e, int attempts) {
    Headers h = new RecordHeaders(r.headers().toArray());
    DeadLetterHeaders.setOrigin(h, r.topic(), Integer.toString(r.partition()), Long.toString(r.offset()), r.timestamp(), r.key(), true);
    DeadLetterHeaders.set(h, DeadLetterHeaders.STAGE, STAGE);
    DeadLetterHeaders.set(h, DeadLetterHeaders.ATTEMPTS, Integer.toString(attempts));
    if (e != null) {
      DeadLetterHeaders.setIfAbsent(h, DeadLetterHeaders.FIRST_FAILURE_TIMESTAMP, Long.toString(System.currentTimeMillis()));
      DeadLetterHeaders.setFailure(h, e, String.valueOf(e.getMessage()));
    }
    return h;
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

  private void beginOutage(Exception e) {
    if (outageSince.compareAndSet(0, System.currentTimeMillis())) {
      log.warn("query store unreachable, pausing consumption and retrying in place: {}", e.getMessage());
    }
  }

  private void endOutage() {
    if (outageSince.getAndSet(0) != 0) {
      log.info("query store reachable again, consumption resumed");
    }
  }

  /** False while the query store is unreachable or after the loop stopped on an error. */
  public boolean isHealthy() {
    return running.get() && failure == null && outageSince.get() == 0;
  }

  public Throwable failure() {
    return failure;
  }

  public double appliedCount() {
    return applied.count();
  }

  /** States not applied because the store held the same or a newer source position (replays, redeliveries). */
  public double skippedOlderCount() {
    return skippedOlder.count();
  }

  public double retriedCount() {
    return retried.count();
  }

  public double deadLetteredCount() {
    return deadLettered.count();
  }

  @Override
  public synchronized void close() {
    running.set(false);
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
