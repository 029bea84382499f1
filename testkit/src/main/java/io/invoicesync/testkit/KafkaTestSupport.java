package io.invoicesync.testkit;

import io.invoicesync.schemas.Topic;
import io.invoicesync.schemas.TopicAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/** Topic creation and draining helpers for integration tests against a real broker. */
public final class KafkaTestSupport {

  private KafkaTestSupport() {
  }

  public static void createTopics(String bootstrap, Collection<Topic<?>> topics) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      TopicAdmin.createMissing(admin, TopicAdmin.of(topics, Map.of(), Optional.of((short) 1)));
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

  /**
   * Every committed record of {@code topic}, from the beginning to the end offsets taken when the read
   * starts, in partition and offset order: what a test asserts on is the whole topic, not what a few
   * polls happened to bring.
   */
  public static <K, V> List<ConsumerRecord<K, V>> readToEnd(String bootstrap, String topic, Deserializer<K> keys, Deserializer<V> values) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    try (KafkaConsumer<K, V> c = new KafkaConsumer<>(p, keys, values)) {
      List<TopicPartition> partitions = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(partitions);
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = c.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<K, V> r : c.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            out.add(r);
          }
        }
      }
    }
    out.sort(Comparator.comparingInt((ConsumerRecord<K, V> r) -> r.partition()).thenComparingLong(ConsumerRecord::offset));
    return out;
  }

  /** Polls once and appends what came. */
  public static <V> void pollInto(KafkaConsumer<String, V> consumer, List<ConsumerRecord<String, V>> into) {
    consumer.poll(Duration.ofMillis(200)).forEach(into::add);
  }

  public static String uniqueSuffix() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
