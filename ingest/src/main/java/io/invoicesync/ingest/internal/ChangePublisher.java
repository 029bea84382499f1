package io.invoicesync.ingest.internal;

import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a batch's changes to the captured topic, keyed by invoice id, through an idempotent
 * producer, and waits for every acknowledgement. While Kafka is unreachable (a retriable error:
 * timeout, network, not enough replicas) the same changes are sent again after a capped back-off,
 * in place: the batch's offsets stay unmarked, {@link #outage()} says since when, and a change that
 * did reach Kafka before the error is dropped downstream as a redelivery (by source position). Any
 * other error (a record too large, authorization) is thrown: the engine stops, the process ends,
 * naming it, and a restart re-reads the batch.
 */
public final class ChangePublisher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ChangePublisher.class);

  /** Kafka refuses the batch being published: since when, and the last error it answered with. */
  public record Outage(Instant since, String cause) {
  }

  private final String topic;
  private final KafkaProducer<String, InvoiceChange> producer;
  private final OversizeGuard oversize;
  private final KafkaClientMetrics producerMetrics;
  private final BooleanSupplier stopping;
  private final ExponentialBackoff outageBackoff = new ExponentialBackoff(200, 2, 10_000, 0.2);
  private final AtomicReference<Outage> outage = new AtomicReference<>();

  /** @param stopping true once the service is asked to stop: an outage is then no longer ridden out */
  public ChangePublisher(IngestConfig config, SerdeFactory serdes, MeterRegistry registry, BooleanSupplier stopping) {
    this.topic = config.getString(IngestConfig.CAPTURED_TOPIC);
    this.stopping = stopping;
    Properties pp = new Properties();
    pp.putAll(config.kafkaCommon());
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    pp.put(ProducerConfig.CLIENT_ID_CONFIG, config.getString(IngestConfig.ENGINE_NAME) + "-producer");
    pp.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES);
    pp.putAll(config.producerOverrides());
    Serializer<InvoiceChange> valueSerializer = serdes.valueSerde(InvoiceChange.class).serializer();
    this.producer = new KafkaProducer<>(pp, serdes.keySerde().serializer(), valueSerializer);
    this.oversize = new OversizeGuard(valueSerializer, topic, config.getInt(IngestConfig.MAX_CHANGE_BYTES));
    this.producerMetrics = new KafkaClientMetrics(producer);
    producerMetrics.bindTo(registry);
  }

  /** Since when Kafka refuses the batch being published, and why; empty when it does not. */
  public Optional<Outage> outage() {
    return Optional.ofNullable(outage.get());
  }

  /** Publishes the changes (a too large one without its lines, see {@link OversizeGuard}), riding out Kafka outages. */
  public void publish(List<InvoiceChange> changes) throws InterruptedException {
    changes.replaceAll(oversize::guard);
    for (int attempt = 0; ; attempt++) {
      if (attempt > 0 && stopping.getAsBoolean()) {
        throw new IllegalStateException("stopped while Kafka was unreachable; the unpublished batch is re-read on restart");
      }
      Optional<Exception> failed = send(changes);
      if (failed.isEmpty()) {
        if (outage.getAndSet(null) != null) {
          log.info("Kafka reachable again: {} changes published to {}", changes.size(), topic);
        }
        return;
      }
      Exception error = failed.get();
      if (!(error instanceof RetriableException) || stopping.getAsBoolean()) {
        // offsets stay uncommitted: the engine stops, and a restart re-reads these changes
        throw new IllegalStateException("could not publish " + changes.size() + " changes to " + topic, error);
      }
      Outage before = outage.getAndUpdate(o -> new Outage(o == null ? Instant.ofEpochMilli(System.currentTimeMillis()) : o.since(), error.toString()));
      if (before == null) {
        log.warn("cannot publish to {} ({}); retrying the same {} changes with back-off until Kafka answers", topic, error.toString(),
            changes.size());
      }
      Thread.sleep(outageBackoff.backoff(attempt));
    }
  }

  /** Sends every change and flushes; the first send error, if any. */
  private Optional<Exception> send(List<InvoiceChange> changes) {
    AtomicReference<Exception> sendError = new AtomicReference<>();
    try {
      for (InvoiceChange change : changes) {
        producer.send(new ProducerRecord<>(topic, change.getInvoiceId(), change), (md, e) -> {
          if (e != null) {
            sendError.compareAndSet(null, e);
          }
        });
      }
      producer.flush();
    } catch (KafkaException e) {
      sendError.compareAndSet(null, e); // send() itself times out waiting for metadata while the cluster is away
    }
    return Optional.ofNullable(sendError.get());
  }

  @Override
  public void close() {
    producerMetrics.close();
    producer.close(Duration.ofSeconds(10)); // not forever: during a broker outage unsent changes would hold the stop
  }
}
