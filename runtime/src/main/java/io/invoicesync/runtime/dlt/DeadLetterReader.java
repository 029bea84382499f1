package io.invoicesync.runtime.dlt;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads dead-letter topics from their beginning to their current end, without joining a consumer group. */
public final class DeadLetterReader implements AutoCloseable {

  /** Which dead letters an operator means: all null = every one. */
  public record Filter(Instant since, String errorClass, String key) implements Predicate<DeadLetter> {
    @Override
    public boolean test(DeadLetter d) {
      return (since == null || !d.time().isBefore(since))
          && (errorClass == null || (d.exceptionClass() != null && d.exceptionClass().contains(errorClass))
              || (d.causeClass() != null && d.causeClass().contains(errorClass)))
          && (key == null || key.equals(d.key()));
    }
  }

  private final KafkaConsumer<byte[], byte[]> consumer;

  /** @param clientConfig bootstrap.servers and the cluster's client settings (security) */
  public DeadLetterReader(Map<String, Object> clientConfig) {
    Properties p = new Properties();
    p.putAll(clientConfig);
    p.put("enable.auto.commit", false);
    p.put("isolation.level", "read_committed"); // sync-streams writes its dead letters in transactions: never show an aborted one
    p.put("client.id", "invoice-sync-dlt");
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  public List<DeadLetter> read(List<String> topics, Predicate<DeadLetter> filter) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String t : topics) {
      List<PartitionInfo> infos = consumer.partitionsFor(t, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalArgumentException("topic " + t + " does not exist");
      }
      infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
    List<DeadLetter> out = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("could not read " + topics + " to its end within 5 minutes");
      }
      consumer.poll(Duration.ofMillis(500)).forEach(r -> {
        if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
          DeadLetter d = DeadLetter.of(r);
          if (filter.test(d)) {
            out.add(d);
          }
        }
      });
    }
    return out;
  }

  /** One record by its coordinates. */
  public DeadLetter readOne(String topic, int partition, long offset) {
    TopicPartition tp = new TopicPartition(topic, partition);
    consumer.assign(List.of(tp));
    long end = consumer.endOffsets(List.of(tp)).get(tp);
    if (offset >= end) {
      throw new IllegalArgumentException(topic + ":" + partition + " has no offset " + offset + " (end offset " + end + ")");
    }
    consumer.seek(tp, offset);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (var r : consumer.poll(Duration.ofMillis(500))) {
        if (r.offset() == offset) {
          return DeadLetter.of(r);
        }
      }
    }
    throw new IllegalStateException("could not read " + topic + ":" + partition + ":" + offset);
  }

  @Override
  public void close() {
    consumer.close();
  }
}
