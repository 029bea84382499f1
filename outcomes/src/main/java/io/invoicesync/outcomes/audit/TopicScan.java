package io.invoicesync.outcomes.audit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a topic (or some of its partitions) from the beginning to its end at the start of the scan,
 * read_committed, without a consumer group: what an auditor's tool does.
 */
public final class TopicScan implements AutoCloseable {

  public interface Sink {
    void accept(ConsumerRecord<String, byte[]> record);
  }

  private final KafkaConsumer<String, byte[]> consumer;

  public TopicScan(Map<String, Object> clientConfig) {
    Properties p = new Properties();
    p.putAll(clientConfig);
    p.put("enable.auto.commit", false);
    p.put("isolation.level", "read_committed");
    p.put("client.id", "invoice-sync-audit");
    p.put("max.poll.records", 5000);
    consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** Partitions of {@code topic}; an unknown topic is an error naming it. */
  public List<TopicPartition> partitions(String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalArgumentException("topic " + topic + " does not exist");
    }
    List<TopicPartition> out = new ArrayList<>();
    infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
    out.sort(Comparator.comparingInt(TopicPartition::partition));
    return out;
  }

  /** Records in these partitions until now, how many in all (for a progress bar). */
  public long size(List<TopicPartition> partitions) {
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
    return partitions.stream().mapToLong(tp -> end.get(tp) - begin.get(tp)).sum();
  }

  /** The end offset of each of {@code partitions}, by partition number. */
  public Map<Integer, Long> endOffsets(List<TopicPartition> partitions) {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    consumer.endOffsets(partitions).forEach((tp, end) -> out.put(tp.partition(), end));
    return out;
  }

  /** Every record of {@code partitions} up to their end offsets now, in offset order per partition. */
  public void scan(List<TopicPartition> partitions, Sink sink, LongConsumer progress) {
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
    long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
    while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("could not read " + partitions + " to the end within 30 minutes");
      }
      long n = 0;
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
        if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
          sink.accept(r);
          n++;
        }
      }
      progress.accept(n);
    }
  }

  @Override
  public void close() {
    consumer.close();
  }
}
