package io.invoicesync.testkit;

import io.invoicesync.schemas.Topic;
import io.invoicesync.schemas.TopicAdmin;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;

/** Topic creation and draining helpers for integration tests against a real broker. */
public final class KafkaTestSupport {

  private KafkaTestSupport() {
  }

  public static void createTopics(String bootstrap, Collection<Topic<?>> topics) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      TopicAdmin.createMissing(admin, TopicAdmin.of(topics, Map.of(), java.util.Optional.of((short) 1)));
    }
  }

  /** A consumer from the beginning of {@code topic}, reading committed data only. */
  public static <V> KafkaConsumer<String, V> consumer(String bootstrap, String topic, Deserializer<String> keys, Deserializer<V> values) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    KafkaConsumer<String, V> c = new KafkaConsumer<>(p, keys, values);
    c.subscribe(List.of(topic));
    return c;
  }

  /** Polls once and appends what came. */
  public static <V> void pollInto(KafkaConsumer<String, V> consumer, List<ConsumerRecord<String, V>> into) {
    consumer.poll(Duration.ofMillis(200)).forEach(into::add);
  }

  public static String uniqueSuffix() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
