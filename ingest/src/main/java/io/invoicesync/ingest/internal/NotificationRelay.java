package io.invoicesync.ingest.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.debezium.pipeline.notification.Notification;
import io.invoicesync.ingest.IngestConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays Debezium's notifications (e.g. an incremental snapshot's progress), which its sink channel
 * hands to the engine's consumer as records of the notifications topic, as JSON on that topic, for
 * operators' tools. Its producer is created on the first notification.
 */
public final class NotificationRelay implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NotificationRelay.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final IngestConfig config;
  private final String topic;
  private KafkaProducer<String, String> producer;

  public NotificationRelay(IngestConfig config) {
    this.config = config;
    this.topic = config.getString(IngestConfig.NOTIFICATIONS_TOPIC);
  }

  /** Whether the record is one of Debezium's notifications (never, when no notifications topic is set). */
  public boolean isNotification(SourceRecord record) {
    return !topic.isBlank() && topic.equals(record.topic());
  }

  /** Publishes the notification; one that cannot be written as JSON is logged and skipped. */
  public void relay(SourceRecord record) {
    if (!(record.value() instanceof Struct s)) {
      return;
    }
    Map<String, Object> n = new LinkedHashMap<>();
    for (Field f : s.schema().fields()) {
      n.put(f.name(), s.get(f) instanceof Struct inner ? inner.toString() : s.get(f));
    }
    try {
      if (producer == null) {
        Properties pp = new Properties();
        pp.putAll(config.kafkaCommon());
        pp.put(ProducerConfig.CLIENT_ID_CONFIG, config.getString(IngestConfig.ENGINE_NAME) + "-notifications");
        producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
      }
      producer.send(new ProducerRecord<>(topic, String.valueOf(n.get(Notification.AGGREGATE_TYPE)), JSON.writeValueAsString(n)));
      log.info("debezium notification: {} {}", n.get(Notification.AGGREGATE_TYPE), n.get(Notification.TYPE));
    } catch (JsonProcessingException e) {
      log.warn("notification not published: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
